import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `POST /v1/files`, `POST /v1/dirs`, `GET|HEAD /v1/files/{cid}[/path]`.
extension StorageNode {
    func addFileRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/files") { request, context in
            try await handle {
                try context.require(.write)
                let query = request.queryDictionary
                let profile = try self.profile(query["profile"])
                let pin = try Self.boolParameter(query["pin"], name: "pin", default: true)
                let name = query["name"].flatMap { $0.isEmpty ? nil : $0 }
                if let name, name.utf8.count > 255 || name.contains("/") {
                    throw StorageError.invalidParameter("name must be at most 255 bytes and contain no '/'")
                }
                if let length = request.headers[.contentLength].flatMap(Int64.init), length > self.configuration.maxUploadBytes {
                    throw StorageError.tooLarge("upload of \(length) bytes exceeds the configured limit of \(self.configuration.maxUploadBytes) bytes")
                }
                let result = try await self.ingest.ingest(body: request.body, profile: profile, name: name, pin: pin,
                                                          maxBytes: self.configuration.maxUploadBytes)
                return try jsonResponse(result, status: .created)
            }
        }
        router.post("/v1/dirs") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: DirectoryCreateRequest.self, context: context)
                return try jsonResponse(try await self.createDirectory(body), status: .created)
            }
        }
        for head in [false, true] {
            let serve: @Sendable (Request, ServiceRequestContext) async throws -> Response = { request, context in
                try await handle {
                    try await self.serveContent(request, context: context, root: try context.cidParameter(), path: context.pathTail, head: head)
                }
            }
            router.on("/v1/files/:cid", method: head ? .head : .get, use: serve)
            router.on("/v1/files/:cid/**", method: head ? .head : .get, use: serve)
        }
    }

    func profile(_ name: String?) throws(StorageError) -> ChunkingProfile {
        guard let name, !name.isEmpty else { return configuration.defaultProfile }
        guard let profile = ChunkingProfile(rawValue: name) else {
            throw .invalidParameter("unknown profile '\(name)'; use one of \(ChunkingProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return profile
    }

    static func boolParameter(_ value: String?, name: String, default defaultValue: Bool) throws(StorageError) -> Bool {
        switch value?.lowercased() {
        case nil, "": return defaultValue
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .invalidParameter("\(name) must be true or false")
        }
    }

    /// Builds a UnixFS directory over stored content. Every entry's DAG must be present;
    /// they are protected from GC until the directory is committed.
    func createDirectory(_ request: DirectoryCreateRequest) async throws -> DirectoryCreateResponse {
        let version = request.cidVersion ?? 1
        guard version == 0 || version == 1 else { throw StorageError.invalidParameter("cidVersion must be 0 or 1") }
        guard request.entries.count <= 10_000 else {
            throw StorageError.invalidParameter("at most 10000 entries per directory (sharded HAMT directories are not built)")
        }
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian)
        do {
            var entries: [UnixFSDirectory.Entry] = []
            for entry in request.entries {
                let cid = try StorageError.parseCID(entry.cid)
                let tsize = try await protectDAG(cid, session: session)
                entries.append(.init(name: entry.name, cid: cid, tsize: tsize))
            }
            let block: Block
            do {
                block = try UnixFSDirectory.build(entries: entries, cidVersion: version)
            } catch {
                throw StorageError.invalidParameter(error.message)
            }
            try await session.add(block)
            let pin = request.pin ?? true
            try await session.commit(metadata: metadata) { tx in
                if pin { try await MetadataStore.pin(block.cid, name: nil, in: tx) }
            }
            let tsize = UInt64(block.bytes.count) + entries.reduce(0) { $0 + $1.tsize }
            return DirectoryCreateResponse(cid: block.cid.string, size: tsize, entries: entries.count, pinned: pin)
        } catch {
            await session.abort()
            throw error
        }
    }

    /// Checks that the whole DAG under `root` is stored, protecting each block from GC (before
    /// reading it) for the life of `session`; returns the root's cumulative size (Tsize).
    @discardableResult
    func protectDAG(_ root: CID, session: BlockWriteSession) async throws -> UInt64 {
        var stack = [root]
        var seen: Set<CID> = []
        var rootSize: UInt64?
        while let cid = stack.popLast() {
            guard seen.insert(cid.v1).inserted else { continue }
            await session.protectExisting(cid)
            let bytes = try await reader.block(cid)
            if rootSize == nil {
                do { rootSize = try cumulativeSize(ofBlock: bytes, cid: cid) } catch {
                    throw StorageError.invalidContent("\(cid): \(error.message)")
                }
            }
            if cid.codec == .dagPB, let node = try? DecodedNode(cid: cid, block: bytes) {
                stack.append(contentsOf: node.links)
            }
        }
        return rootSize ?? 0
    }
}
