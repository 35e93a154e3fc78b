import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer
import Synchronization

/// `POST /v1/pins`, `DELETE /v1/pins/{cid}`, `GET /v1/pins?limit=&after=`. Pins are recursive
/// (the whole DAG is kept), as Kubo's default.
extension StorageNode {
    func addPinRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/pins") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: PinRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                if let name = body.name, name.utf8.count > 255 { throw StorageError.invalidParameter("name must be at most 255 bytes") }
                var session = BlockWriteSession(blockStore: self.blockStore, guardian: self.guardian, source: .builder)
                let createdAt = PinTime()
                do {
                    try await self.protectDAG(cid, session: session)
                    try await session.commit(metadata: self.metadata) { tx in
                        let time = try await MetadataStore.pin(cid, name: body.name, in: tx)
                        createdAt.value.withLock { $0 = time }
                    }
                } catch {
                    await session.abort()
                    throw error
                }
                let time = createdAt.value.withLock { $0 }
                self.announcePinned([cid.string])
                return try jsonResponse(Pin(cid: cid.string, name: body.name,
                                            createdAt: Self.rfc3339(Date(timeIntervalSince1970: TimeInterval(time)))), status: .created)
            }
        }
        router.delete("/v1/pins/:cid") { _, context in
            try await handle {
                try context.require(.write)
                let cid = try context.cidParameter()
                guard try await self.metadata.unpin(cid) else { throw StorageError.notFound("\(cid) is not pinned") }
                return Response(status: .noContent)
            }
        }
        router.get("/v1/pins") { request, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let query = try QueryParameters(request)
                let limit = Int(try query.integer("limit", in: 1...1000) ?? 100)
                let after = try query.string("after", maxLength: 200).map { text throws(StorageError) in try StorageError.parseCID(text) }
                let rows = try await self.metadata.pins(after: after, limit: limit + 1)
                let page = rows.prefix(limit)
                let pins = page.map { Pin(cid: $0.cid, name: $0.name, createdAt: Self.rfc3339(Date(timeIntervalSince1970: TimeInterval($0.createdAt)))) }
                let next = rows.count > limit ? page.last?.cid : nil
                return try jsonResponse(PinList(pins: pins, next: next))
            }
        }
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
