import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer

/// `POST /v1/anchors` and `GET /v1/anchors/{cid}`: a file added here anchored on BelizeChain
/// through this node's chain relay, as `StorageProof.submit_storage_proof` with the file's
/// BLAKE2-256 Merkle root (computed at ingest) and the inclusion proof of its first leaf.
///
/// The submission's idempotency key is `storage:anchor:<cid>` and the call is the same for the
/// same file, so anchoring again (a retry, a second `pakit anchor`) returns the first
/// submission: a file is anchored once.
extension StorageNode {
    func addAnchorRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/anchors") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: AnchorRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                let (relay, client) = try self.relay()
                let anchor = try await self.anchorCall(for: cid)
                let submission = SubmissionRequest(idempotencyKey: Self.anchorKey(cid), call: anchor.call)
                let record: SubmissionRecord
                do {
                    record = try await client.call(.POST, "/internal/v1/submissions", json: submission, to: relay, idempotent: true)
                } catch let error as ServiceCallError {
                    throw Self.relayError(error)
                }
                return try jsonResponse(AnchorResponse(cid: cid.string, contentID: Hex.encode(anchor.contentID), leafIndex: 0, submission: record),
                                        status: record.state == .queued && record.signings == 0 ? .accepted : .ok)
            }
        }
        router.get("/v1/anchors/:cid") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let cid = try context.cidParameter()
                let (relay, client) = try self.relay()
                let key = Self.anchorKey(cid).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let list: SubmissionListResponse
                do {
                    list = try await client.get("/v1/submissions?key=\(key)", from: relay)
                } catch let error as ServiceCallError {
                    throw Self.relayError(error)
                }
                guard let record = list.submissions.first else { throw StorageError.notFound("\(cid) has not been anchored from this node") }
                let anchor = try await self.anchorCall(for: cid)
                return try jsonResponse(AnchorResponse(cid: cid.string, contentID: Hex.encode(anchor.contentID), leafIndex: 0, submission: record))
            }
        }
    }

    static func anchorKey(_ cid: CID) -> String { "storage:anchor:\(cid.string)" }

    private func relay() throws(StorageError) -> (String, ServiceClient) {
        guard let url = configuration.chainRelay, let relayClient else {
            throw StorageError.unavailable("this node has no chain relay (setting chain-relay)")
        }
        return (url, relayClient)
    }

    /// The submission for a file: its Merkle tree from the leaves kept at ingest, first leaf.
    private func anchorCall(for cid: CID) async throws -> (call: ChainCall, contentID: [UInt8]) {
        guard let leaves = try await metadata.merkleLeaves(of: cid) else {
            throw StorageError.notFound("\(cid) is not a file added on this node (its Merkle leaves are computed when a file is added)")
        }
        let tree = BinaryMerkleTree(leafHashes: leaves)
        guard let proof = tree.anchorProof(forLeaf: 0) else { throw StorageError.internalFailure("\(cid) has no Merkle leaves") }
        let call = ChainCall.submitStorageProof(contentID: Hex.encode(proof.contentID), leaf: Hex.encode(proof.leaf),
                                                siblings: proof.steps.map { ChainMerkleStep(node: Hex.encode($0.node), nodeIsLeft: $0.nodeIsLeft) })
        return (call, proof.contentID)
    }

    private static func relayError(_ error: ServiceCallError) -> StorageError {
        if let status = error.status, (400..<500).contains(status) {
            return .refused(ServiceError(.badGateway, error.code ?? "relay_refused", "the chain relay refused the anchor: \(error.message)"))
        }
        return .unavailable("the chain relay cannot be reached: \(error.message)")
    }
}
