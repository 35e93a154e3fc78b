import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PakitChain
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer
import Synchronization

/// `.bz` websites: `POST /v1/sites` points a name at stored content through the chain relay
/// (Bns `register_domain` + `activate_hosting`, or `update_hosting_content`), and a request
/// whose Host is `NAME.bz` (or `NAME.bz.<site-domain>`) is served from the root the name's
/// finalized record names, as `/ipfs/{root}/{path}` is: `index.html` for directories, the
/// same Range, ETag and cache semantics, the site's own `404.html` when a path is missing.
extension StorageNode {
    func addSiteRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/sites") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: SiteRequest.self, context: context)
                let domain = try Self.siteName(body.domain)
                let cid = try StorageError.parseCID(body.cid)
                let (relay, client) = try self.relay()
                let anchor = try await self.anchorCall(for: cid)
                let contentHash = Hex.encode(anchor.contentID)
                let current = try await self.hostingRecord(domain, fresh: true)
                var calls: [(String, ChainCall)] = []
                if let current {
                    if current.contentHash != contentHash {
                        calls.append(("storage:bns:update:\(domain):\(contentHash)",
                                      .updateHostingContent(domain: domain, contentHash: contentHash, description: String("pakit \(cid)".prefix(128)),
                                                            sizeBytes: try await self.dagSize(cid))))
                    }
                } else {
                    calls.append(("storage:bns:register:\(domain)", .registerDomain(domain: domain, tier: 0)))
                    calls.append(("storage:bns:activate:\(domain):\(contentHash)",
                                  .activateHosting(domain: domain, tier: 0, contentHash: contentHash, autoRenew: false)))
                }
                calls.append((Self.anchorKey(cid), anchor.call))
                var records: [SubmissionRecord] = []
                for (key, call) in calls {
                    do {
                        records.append(try await client.call(.POST, "/internal/v1/submissions", json: SubmissionRequest(idempotencyKey: key, call: call),
                                                             to: relay, idempotent: true))
                    } catch let error as ServiceCallError {
                        throw Self.relayError(error)
                    }
                }
                self.logger.info("site published", metadata: ["domain": "\(domain)", "cid": "\(cid)", "submissions": "\(records.count)"])
                return try jsonResponse(SiteResponse(domain: domain, cid: cid.string, contentID: contentHash, submissions: records), status: .accepted)
            }
        }
        router.get("/v1/sites/:domain") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let domain = try Self.siteName(context.parameters.get("domain") ?? "")
                guard let record = try await self.hostingRecord(domain, fresh: true) else {
                    throw StorageError.notFound("'\(domain)' has no hosting record in the finalized state")
                }
                var root: CID?
                if let contentID = Hex.decode(record.contentHash) { root = try await self.metadata.anchoredRoot(contentID: contentID) }
                return try jsonResponse(SiteStatus(domain: domain, contentID: record.contentHash, cid: root?.string, finalizedNumber: record.finalizedNumber))
            }
        }
    }

    /// A `.bz` name as Bns stores it: the pallet's rules (`BnsCall.domainBytes`), lowercased
    /// (Host headers are case-insensitive), and the `.bz` suffix Pakit's sites carry.
    static func siteName(_ text: String) throws(StorageError) -> String {
        let name = text.lowercased()
        guard name.hasSuffix(".bz"), name.utf8.count > 3, (try? BnsCall.domainBytes(name)) != nil else {
            throw StorageError.invalidParameter("'\(text.prefix(80))' is not a .bz name (a-z, 0-9, '-' and '.', at most 64 bytes, ending in .bz)")
        }
        return name
    }

    /// The DAG's size as its root block reports it (a file's size, a directory's total).
    func dagSize(_ cid: CID) async throws -> UInt64 {
        (try? await reader(under: cid).node(cid).fileSize) ?? 0
    }

    /// The name's hosting record in the finalized state, from the relay; cached for
    /// `site-cache-seconds` unless `fresh`.
    func hostingRecord(_ domain: String, fresh: Bool = false) async throws -> BnsHostingRecord? {
        let now = ContinuousClock.now
        if !fresh, let cached = siteCache.withLock({ $0[domain] }), now < cached.until { return cached.record }
        let (relay, client) = try self.relay()
        let record: BnsHostingRecord?
        let answer: Result<BnsHostingRecord, ServiceCallError>
        do {
            answer = .success(try await client.get("/internal/v1/bns/\(domain)", from: relay, as: BnsHostingRecord.self))
        } catch {
            answer = .failure(error)
        }
        switch answer {
        case .success(let found): record = found
        case .failure(let error) where error.status == 404: record = nil
        case .failure(let error): throw Self.relayError(error)
        }
        let until = now + .seconds(configuration.siteCacheSeconds)
        siteCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[domain] = (record, until)
        }
        return record
    }

    /// The site a Host names: `NAME.bz`, or `NAME.bz.<site-domain>`; nil for any other host.
    func siteDomain(ofHost authority: String?) -> String? {
        guard var host = authority?.lowercased() else { return nil }
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        if host.hasSuffix(".") { host.removeLast() }
        if let suffix = configuration.siteDomain, host.hasSuffix(".bz." + suffix) {
            host.removeLast(suffix.utf8.count + 1)
        }
        guard host.hasSuffix(".bz"), let name = try? Self.siteName(host) else { return nil }
        return name
    }

    /// Serves `path` of the site `domain` names.
    func serveSite(_ domain: String, request: Request, context: ServiceRequestContext) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            throw ServiceError(.methodNotAllowed, "method_not_allowed", "a .bz site answers GET and HEAD")
        }
        guard let record = try await hostingRecord(domain) else {
            throw StorageError.notFound("'\(domain)' has no hosting record on BelizeChain")
        }
        guard let contentID = Hex.decode(record.contentHash), let root = try await metadata.anchoredRoot(contentID: contentID) else {
            throw StorageError.notFound("'\(domain)' names content 0x\(record.contentHash) that this node has not published or anchored")
        }
        let path = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        let query = try ReadQuery(request)
        do {
            return try await serveContent(request, query: query, context: context, root: root, path: path, head: request.method == .head)
        } catch StorageError.notFound(_) where !path.isEmpty {
            // The site's own 404 page, when it has one.
            guard let page = try? await serveContent(request, query: query, context: context, root: root, path: ["404.html"],
                                                     head: request.method == .head) else { throw StorageError.notFound("\(request.uri.path) is not on \(domain)") }
            var response = page
            response.status = .notFound
            return response
        }
    }
}

/// Sends requests for a `.bz` host to the site, before any route: on such a host every path is
/// the site's.
struct SiteHostMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let node: StorageNode

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let domain = node.siteDomain(ofHost: request.head.authority) else { return try await next(request, context) }
        return try await StorageService.handle { try await node.serveSite(domain, request: request, context: context) }
    }
}
