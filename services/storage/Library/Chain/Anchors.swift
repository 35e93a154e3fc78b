import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer

/// `POST /v1/anchors` and `GET /v1/anchors/{cid}`: content stored here anchored on BelizeChain
/// through this node's chain relay, as `StorageProof.submit_storage_proof` (`anchorCall`).
///
/// The submission's idempotency key is `storage:anchor:<cid>` and the call is the same for the
/// same file, so anchoring again (a retry, a second `pakit anchor`) returns the first
/// submission: a file is anchored once.
extension StorageNode {
    func addAnchorRoutes(to router: Router<ServiceRequestContext>) {
        addChainSubmissionRoute(to: router)
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

    /// `GET /v1/chain/submissions/{id}`: one of the relay's submissions, for clients that follow
    /// what `POST /v1/anchors` or `POST /v1/sites` started (the relay itself is internal).
    func addChainSubmissionRoute(to router: Router<ServiceRequestContext>) {
        router.get("/v1/chain/submissions/:id") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let id = context.parameters.get("id") ?? ""
                guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F }) else {
                    throw StorageError.invalidParameter("'\(id.prefix(80))' is not a submission id")
                }
                let (relay, client) = try self.relay()
                let answer: Result<SubmissionRecord, ServiceCallError>
                do {
                    answer = .success(try await client.get("/v1/submissions/\(id)", from: relay, as: SubmissionRecord.self))
                } catch let error as ServiceCallError {
                    answer = .failure(error)
                }
                switch answer {
                case .success(let record): return try jsonResponse(record)
                case .failure(let error) where error.status == 404: throw StorageError.notFound("no submission '\(id)'")
                case .failure(let error): throw Self.relayError(error)
                }
            }
        }
    }

    static func anchorKey(_ cid: CID) -> String { "storage:anchor:\(cid.string)" }

    func relay() throws(StorageError) -> (String, ServiceClient) {
        guard let url = configuration.chainRelay, let relayClient else {
            throw StorageError.unavailable("this node has no chain relay (setting chain-relay)")
        }
        return (url, relayClient)
    }

    /// The anchor of a root: for a file added here, its Merkle tree from the leaves kept at
    /// ingest and the first leaf's proof; for any other DAG stored here (a directory, a site, an
    /// imported CAR), the one-leaf tree of `blake2_256(CIDv1 bytes)`: the CID commits to the whole
    /// DAG. The content id is remembered, so a Bns record's content hash leads back to the root.
    func anchorCall(for cid: CID) async throws -> (call: ChainCall, contentID: [UInt8]) {
        let leaves: [[UInt8]]
        if let fileLeaves = try await metadata.merkleLeaves(of: cid) {
            leaves = fileLeaves
        } else if await blockStore.contains(cid) {
            leaves = [BinaryMerkleTree.leafHash(cid.v1.bytes)]
        } else {
            throw StorageError.notFound("\(cid) is not stored on this node")
        }
        let tree = BinaryMerkleTree(leafHashes: leaves)
        guard let proof = tree.anchorProof(forLeaf: 0) else { throw StorageError.internalFailure("\(cid) has no Merkle leaves") }
        try await metadata.recordAnchor(contentID: proof.contentID, cid: cid)
        let call = ChainCall.submitStorageProof(contentID: Hex.encode(proof.contentID), leaf: Hex.encode(proof.leaf),
                                                siblings: proof.steps.map { ChainMerkleStep(node: Hex.encode($0.node), nodeIsLeft: $0.nodeIsLeft) })
        return (call, proof.contentID)
    }

    static func relayError(_ error: ServiceCallError) -> StorageError {
        if let status = error.status, (400..<500).contains(status) {
            return .refused(ServiceError(.badGateway, error.code ?? "relay_refused", "the chain relay refused the anchor: \(error.message)"))
        }
        return .unavailable("the chain relay cannot be reached: \(error.message)")
    }
}
