import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer
import Synchronization

/// `POST /v1/pins`, `DELETE /v1/pins/{cid}`, `GET /v1/pins?limit=&after=`. Pins are recursive
/// (the whole DAG is kept), as Kubo's default. A pin's `replicas` (k) asks k − 1 other nodes to
/// hold the DAG too (`Replicator`); `GET /v1/pins/{cid}` shows them (`Routes/Replicas.swift`).
extension StorageNode {
    func addPinRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/pins") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: PinRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                if let name = body.name, name.utf8.count > 255 { throw StorageError.invalidParameter("name must be at most 255 bytes") }
                if let replicas = body.replicas {
                    guard (1...StorageConfiguration.maximumReplicas).contains(replicas) else {
                        throw StorageError.invalidParameter("replicas must be 1…\(StorageConfiguration.maximumReplicas)")
                    }
                    guard replicas == 1 || self.replicator != nil else {
                        throw StorageError.invalidParameter("replicas above 1 need a mesh gateway (setting mesh-gateway)")
                    }
                }
                let defaultReplicas = self.configuration.replicationFactor
                var session = BlockWriteSession(blockStore: self.blockStore, guardian: self.guardian, source: .builder)
                let createdAt = PinTime()
                do {
                    do {
                        try await self.protectDAG(cid, session: session)
                    } catch StorageError.notFound(_) where self.remote != nil {
                        // Like `ipfs pin add`: what this node lacks is fetched from the mesh.
                        try await self.pullDAG(cid)
                        try await self.protectDAG(cid, session: session)
                    }
                    try await session.commit(metadata: self.metadata) { tx in
                        let time = try await MetadataStore.pin(cid, name: body.name, replicas: body.replicas, defaultReplicas: defaultReplicas, in: tx)
                        createdAt.value.withLock { $0 = time }
                    }
                } catch {
                    await session.abort()
                    throw error
                }
                self.announcePinned([cid.string])
                self.replicator?.pinsChanged()
                guard let pin = try await self.pinDetails([cid]).first else { throw StorageError.notFound("\(cid) is not pinned") }
                return try jsonResponse(pin, status: .created)
            }
        }
        router.delete("/v1/pins/:cid") { _, context in
            try await handle {
                try context.require(.write)
                let cid = try context.cidParameter()
                guard try await self.metadata.unpin(cid) else { throw StorageError.notFound("\(cid) is not pinned") }
                self.replicator?.pinsChanged()  // its replicas are released
                return Response(status: .noContent)
            }
        }
        router.get("/v1/pins") { request, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                return try jsonResponse(try await self.pinPage(request, details: true))
            }
        }
    }

    /// One page of pins in CID order (`?limit=&after=`); `details` adds replica counts.
    func pinPage(_ request: Request, details withDetails: Bool) async throws -> PinList {
        let query = try QueryParameters(request)
        let limit = Int(try query.integer("limit", in: 1...1000) ?? 100)
        let after = try query.string("after", maxLength: 200).map { text throws(StorageError) in try StorageError.parseCID(text) }
        let rows = try await self.metadata.pins(after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        let details = withDetails
            ? Dictionary(try await self.pinDetails(try page.map { try CID($0.cid) }).map { ($0.cid, $0) }, uniquingKeysWith: { first, _ in first })
            : [:]
        let pins = page.map {
            details[$0.cid] ?? Pin(cid: $0.cid, name: $0.name, createdAt: Self.rfc3339(Date(timeIntervalSince1970: TimeInterval($0.createdAt))))
        }
        return PinList(pins: pins, next: rows.count > limit ? page.last?.cid : nil)
    }

    /// Carries the stored pin time out of the commit closure.
    final class PinTime: Sendable {
        let value = Mutex<Int64>(0)
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
