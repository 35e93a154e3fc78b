import Foundation
import Hummingbird
import PakitChain
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `GET /internal/v1/bns/{domain}`: a name's hosting record in the finalized state, for
/// storage's `.bz` sites.
extension ChainRelayNode {
    func addBnsRoutes(to router: Router<ServiceRequestContext>) {
        let readers = router.group().add(middleware: RequireCallerMiddleware(.only(.service(.storage), .operator)))
        readers.get("/internal/v1/bns/:domain") { _, context in
            let domain = context.parameters.get("domain") ?? ""
            do {
                _ = try BnsCall.domainBytes(domain)
            } catch let error as ChainError {
                throw ServiceError.badRequest("invalid_domain", "'\(domain.prefix(80))': \(error.message)")
            }
            guard let pipeline = self.pipeline else {
                throw ServiceError(.serviceUnavailable, "no_chain", "this relay has no chain configured (chain-url)")
            }
            guard let record = try await pipeline.hosting(domain) else {
                throw ServiceError.notFound("'\(domain)' has no hosting record in the finalized state")
            }
            return try jsonResponse(record)
        }
    }
}

extension SubmissionPipeline {
    /// The record at the finalized head the pipeline last saw, cached per head: a record that
    /// changes is seen as soon as its block is finalized.
    func hosting(_ domain: String) async throws -> BnsHostingRecord? {
        guard refusal == nil else { throw ServiceError(.serviceUnavailable, "chain_refused", refusal ?? "") }
        let head: ChainHeader
        do {
            head = try await currentFinalized()
        } catch {
            throw ServiceError(.serviceUnavailable, "chain_unreachable", "the chain node cannot be reached: \(error)")
        }
        if let cached = bnsCache[domain], cached.head == head.hash { return cached.record }
        let bytes: [UInt8]?
        do {
            bytes = try await node.storage(try StorageValue.HostingInfo.key(domain: domain), at: head.hash)
        } catch {
            throw ServiceError(.serviceUnavailable, "chain_unreachable", "reading Bns.HostedWebsites: \(error)")
        }
        let record = try bytes.map { bytes in
            let info = try StorageValue.HostingInfo.decode(bytes)
            return BnsHostingRecord(domain: domain, contentHash: Hex.encode(info.contentHash), subscriber: SS58.encode(info.subscriber),
                                    tier: info.tier, expiresAt: info.expiresAt, finalizedNumber: head.number)
        }
        if bnsCache.count > 10_000 { bnsCache.removeAll() }
        bnsCache[domain] = (head.hash, record)
        return record
    }
}
