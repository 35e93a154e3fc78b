import Foundation
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPClient

/// This node's storage as the bridge's block source, over storage's internal routes (mutual
/// TLS: storage admits the lora-bridge certificate on `GET|PUT /internal/v1/blocks/{cid}`).
struct StorageBlocks: BlockSource {
    let client: ServiceClient
    /// Read when needed: storage may start after the bridge (`pakit up` writes the file).
    let storageURL: @Sendable () -> String?

    func localBlock(_ cid: CID) async throws -> [UInt8]? {
        guard let base = storageURL() else { throw StorageUnavailable() }
        do {
            return try await client.send(ServiceRequest(.GET, "/internal/v1/blocks/\(cid.string)", responseLimit: 4 << 20), to: base).bytes
        } catch {
            if error.status == 404 { return nil }
            throw error
        }
    }

    func store(_ cid: CID, bytes: [UInt8]) async throws {
        guard let base = storageURL() else { throw StorageUnavailable() }
        _ = try await client.send(ServiceRequest(.PUT, "/internal/v1/blocks/\(cid.string)", body: .bytes(ByteBuffer(bytes: bytes))), to: base)
    }

    func pinnedRoots(limit: Int) async throws -> [CID] {
        guard let base = storageURL() else { throw StorageUnavailable() }
        var roots: [CID] = []
        var after: String?
        repeat {
            let page = try await client.send(
                ServiceRequest(.GET, "/internal/v1/pins?limit=1000" + (after.map { "&after=\($0)" } ?? "")), to: base
            ).decode(PinList.self)
            roots += page.pins.compactMap { try? CID($0.cid) }
            after = page.next
        } while after != nil && roots.count < limit
        return Array(roots.prefix(limit))
    }
}

struct StorageUnavailable: Error, CustomStringConvertible {
    var description: String { "this node's storage URL is not known yet" }
}
