import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `GET /v1/providers/{cid}`, `GET /routing/v1/providers/{cid}`, `GET /v1/mesh/announcements/{peer}/{sequence}`,
/// `POST /v1/mesh/providers/digest`, and storage's `POST /internal/v1/provide`.
extension MeshGatewayNode {
    /// Only this node's storage tells the gateway what the node holds.
    static let provideCallers = CallerPolicy.only(.service(.storage))

    func addProviderRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/providers/:cid") { _, context in
            let cid = try Self.cid(context.parameters.get("cid"))
            let found = try await self.startedProviders().providers(of: cid)
            return try jsonResponse(ProvidersResponse(cid: cid.string, providers: found.map {
                MeshPeer(record: $0.record, status: MeshPeer.Status(rawValue: $0.status.rawValue) ?? .alive,
                         incarnation: $0.record.incarnation, secondsInStatus: 0)
            }, learnedAt: Dictionary(found.map { ($0.record.peer.string, $0.learnedAt) }, uniquingKeysWith: { first, _ in first })))
        }
        // The IPFS delegated-routing form, from the same index: JSON, or NDJSON when asked.
        router.get("/routing/v1/providers/:cid") { request, context in
            let cid = try Self.cid(context.parameters.get("cid"))
            let found = try await self.startedProviders().providers(of: cid)
            let records = found.map { Self.routingRecord($0.record) }
            guard !records.isEmpty else { throw ServiceError.notFound("no provider of \(cid.string) is known") }
            let accept = request.headers[.accept] ?? ""
            if accept.contains("application/x-ndjson") {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.withoutEscapingSlashes]
                var body = Data()
                for record in records {
                    body.append(try encoder.encode(record))
                    body.append(0x0A)
                }
                return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(data: body)))
            }
            return try jsonResponse(RoutingProvidersResponse(providers: records))
        }
        // An announcement too large for a datagram, pulled by a peer it was advertised to.
        router.get("/v1/mesh/announcements/:peer/:sequence") { _, context in
            try self.peerRequestLimiter.check(context.rateLimitKey, what: "announcement pulls")
            guard let text = context.parameters.get("peer"), text.utf8.count <= 128, let origin = try? PeerID(text) else {
                throw ServiceError.badRequest("invalid_peer", "'\((context.parameters.get("peer") ?? "").prefix(80))' is not a peer ID")
            }
            guard let sequence = context.parameters.get("sequence").flatMap(UInt64.init), sequence >= 1 else {
                throw ServiceError.badRequest("invalid_sequence", "the sequence is a whole number from 1")
            }
            guard let bytes = try await self.startedProviders().announcement(of: origin, sequence: sequence) else {
                throw ServiceError.notFound("no announcement \(sequence) of \(origin) is held here")
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.post("/v1/mesh/providers/digest") { request, context in
            try self.peerRequestLimiter.check(context.rateLimitKey, what: "provider digests")
            let body = try await request.body.collect(upTo: 1 << 20)
            let digest: ProviderDigest
            do {
                digest = try JSONDecoder().decode(ProviderDigest.self, from: Data(body.readableBytesView))
            } catch {
                throw ServiceError.badRequest("invalid_digest", "the body is not a provider digest: {\"have\": {peerID: n}}")
            }
            let answer = try await self.startedProviders().answer(digest)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        let storageOnly = router.group().add(middleware: RequireCallerMiddleware(Self.provideCallers))
        storageOnly.post("/internal/v1/provide") { request, context in
            let body = try await request.body.collect(upTo: 8 << 20)
            let provide: ProvideRequest
            do {
                provide = try JSONDecoder().decode(ProvideRequest.self, from: Data(body.readableBytesView))
            } catch {
                throw ServiceError.badRequest("invalid_request", "the body is not {\"added\": [CID], \"removed\": [CID]}")
            }
            guard provide.added.count + provide.removed.count <= 100_000 else {
                throw ServiceError.badRequest("too_many", "at most 100000 CIDs per request")
            }
            let added = try provide.added.map { try Self.cid($0) }
            let removed = try provide.removed.map { try Self.cid($0) }
            return try jsonResponse(try await self.startedProviders().provide(added: added, removed: removed))
        }
        storageOnly.post("/internal/v1/providers/report") { request, context in
            let body = try await request.body.collect(upTo: 64 << 10)
            let report: ProviderReport
            do {
                report = try JSONDecoder().decode(ProviderReport.self, from: Data(body.readableBytesView))
            } catch {
                throw ServiceError.badRequest("invalid_request", "the body is not {\"peerID\": …, \"cid\": …, \"reason\": …}")
            }
            guard report.peerID.utf8.count <= 128, let peer = try? PeerID(report.peerID) else {
                throw ServiceError.badRequest("invalid_peer", "'\(report.peerID.prefix(80))' is not a peer ID")
            }
            let cid = try Self.cid(report.cid)
            let score = try await self.startedProviders().penalise(peer, for: report.kind)
            self.logger.warning(report.kind == .corrupt ? "a provider served bytes that fail verification"
                                                        : "a provider does not hold what it announces", metadata: [
                "peer": "\(peer)", "cid": "\(cid)", "reason": "\(report.reason.prefix(200))", "score": "\(score.map { "\($0)" } ?? "not a gossip peer")",
            ])
            return try jsonResponse(ProviderReportResponse(peerID: peer.string, score: score))
        }
    }

    static func cid(_ text: String?) throws -> CID {
        guard let text, text.utf8.count <= 256, let cid = try? CID(text) else {
            throw ServiceError.badRequest("invalid_cid", "'\((text ?? "").prefix(80))' is not a CID")
        }
        return cid
    }

    /// The storage URL as a multiaddr: `/ip4/A/tcp/P/https` (or `/ip6/…`, `/dns/…`).
    static func routingRecord(_ record: PeerRecord) -> RoutingPeerRecord {
        var addrs: [String] = []
        if let url = URL(string: record.storageURL), let host = url.host, let scheme = url.scheme {
            let port = url.port ?? (scheme == "https" ? 443 : 80)
            let protocolName = host.contains(":") ? "ip6" : (host.allSatisfy { $0.isNumber || $0 == "." } ? "ip4" : "dns")
            addrs.append("/\(protocolName)/\(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))/tcp/\(port)/\(scheme)")
        }
        return RoutingPeerRecord(id: record.peer.string, addrs: addrs, protocols: ["transport-ipfs-gateway-http"])
    }

    func startedProviders() throws -> ProviderBook {
        guard let providerBook else { throw ServiceError(.serviceUnavailable, "starting", "the membership has not started yet") }
        return providerBook
    }
}
