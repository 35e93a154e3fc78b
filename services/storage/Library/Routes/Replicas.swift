import Foundation
import HTTPTypes
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer

/// The replica side, for other nodes only (`/peer/v1/…`: mutual TLS with the certificate the
/// caller's signed mesh record names, `CallerPolicy.peerNodes`): `POST /peer/v1/replicas` holds
/// a DAG for the calling node, `DELETE /peer/v1/replicas/{cid}` lets it go. And
/// `GET /v1/pins/{cid}` for this node's users: a pin and where its replicas are.
extension StorageNode {
    func addReplicaRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/pins/:cid") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let cid = try context.cidParameter()
                guard let pin = try await self.pinDetails([cid]).first else { throw StorageError.notFound("\(cid) is not pinned") }
                return try jsonResponse(PinStatus(pin: pin, replicas: try await self.replicaStore.infos(of: cid)))
            }
        }
        let peerRoutes = router.group("/peer/v1").add(middleware: RequireCallerMiddleware(.peerNodes))
        peerRoutes.post("/replicas") { request, context in
            try await handle {
                guard let origin = context.caller?.peerID else { throw StorageError.forbidden("only other nodes ask for replicas") }
                let body = try await request.decode(as: ReplicaRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                return try jsonResponse(try await self.holdReplica(cid, for: origin, announcedBytes: body.bytes))
            }
        }
        peerRoutes.delete("/replicas/:cid") { _, context in
            try await handle {
                guard let origin = context.caller?.peerID else { throw StorageError.forbidden("only other nodes release replicas") }
                let cid = try context.cidParameter()
                let (released, unpinned) = try await self.replicaStore.release(cid, for: origin)
                guard released else { throw StorageError.notFound("\(cid) is not held here for \(origin)") }
                self.logger.notice("replica released", metadata: ["cid": "\(cid)", "origin": "\(origin)", "unpinned": "\(unpinned)"])
                return Response(status: .noContent)
            }
        }
    }

    /// Pulls what this node lacks of the DAG (from the network), pins it for `origin` and signs
    /// that it holds all of it. Asking again is harmless: the pin and the hold are made once.
    func holdReplica(_ cid: CID, for origin: String, announcedBytes: UInt64?) async throws -> ReplicaStatement {
        guard configuration.acceptReplicas else {
            throw StorageError.replicaRefused(.forbidden, "this node does not hold replicas for other nodes")
        }
        if configuration.replicaQuota > 0, let announcedBytes {
            let held = try await replicaStore.heldForOthers(except: cid)
            let (total, overflow) = held.addingReportingOverflow(announcedBytes)
            guard !overflow, total <= UInt64(configuration.replicaQuota) else {
                throw StorageError.replicaRefused(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"),
                    "the replica quota is full: \(held) of \(configuration.replicaQuota) bytes held for other nodes; \(announcedBytes) more asked")
            }
        }
        // Every block, fetched where missing (verified against its CID on the way).
        var blocks = 0
        var bytes: UInt64 = 0
        try await pullDAG(cid) { _, block in
            blocks += 1
            bytes += UInt64(block.count)
        }
        if configuration.replicaQuota > 0 {
            let held = try await replicaStore.heldForOthers(except: cid)
            let (total, overflow) = held.addingReportingOverflow(bytes)
            guard !overflow, total <= UInt64(configuration.replicaQuota) else {
                throw StorageError.replicaRefused(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"),
                    "the replica quota is full: \(held) of \(configuration.replicaQuota) bytes held for other nodes; the DAG has \(bytes)")
            }
        }
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian, source: .builder)
        let held = bytes
        do {
            _ = try await protectDAG(cid, session: session)
            try await session.commit(metadata: metadata) { tx in
                try await ReplicaStore.hold(cid, for: origin, bytes: held, in: tx)
            }
        } catch {
            await session.abort()
            throw error
        }
        announcePinned([cid.string])
        let heldAt = UInt64(Date().timeIntervalSince1970 * 1_000)
        let message = ReplicaStatement.signedMessage(cid: cid.string, peerID: peerID.string, heldAt: heldAt, blocks: blocks, bytes: bytes)
        let signature = try identity.sign(message)
        logger.notice("holding a replica", metadata: ["cid": "\(cid)", "origin": "\(origin)", "blocks": "\(blocks)", "bytes": "\(bytes)"])
        return ReplicaStatement(cid: cid.string, peerID: peerID.string, heldAt: heldAt, blocks: blocks, bytes: bytes,
                                signature: Hex.encode(signature))
    }

    /// Pins as listings show them: factor, confirmed replicas, and whom they are held for.
    func pinDetails(_ cids: [CID]) async throws -> [Pin] {
        guard !cids.isEmpty else { return [] }
        var pins: [Pin] = []
        for chunk in cids.chunked(500) {
            let rows = try await metadata.database.read(
                "SELECT cid, name, created_at, replication_factor, own FROM pins WHERE cid IN (\(MetadataStore.placeholders(chunk.count)))",
                chunk.map { .blob($0.v1.bytes) })
            let found = try rows.map { row in
                (cid: try CID(bytes: try row.blob("cid")), name: row.optionalText("name"), createdAt: try row.int("created_at"),
                 factor: Int(try row.int("replication_factor")), own: try row.int("own") == 1)
            }
            let confirmed = try await replicaStore.confirmedCounts(of: found.map(\.cid))
            let origins = try await replicaStore.origins(of: found.map(\.cid))
            for pin in found {
                pins.append(Pin(cid: cids.first { $0.v1 == pin.cid }?.string ?? pin.cid.string, name: pin.name,
                                createdAt: Self.rfc3339(Date(timeIntervalSince1970: TimeInterval(pin.createdAt))),
                                replicas: pin.own ? pin.factor : 1, confirmedReplicas: confirmed[pin.cid] ?? 0,
                                replicaFor: origins[pin.cid].flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        return pins
    }
}
