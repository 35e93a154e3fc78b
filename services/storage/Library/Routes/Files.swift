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
                let query = try QueryParameters(request)
                let profile = try query.oneOf("profile", ChunkingProfile.allCases.map(\.rawValue)).flatMap(ChunkingProfile.init(rawValue:))
                    ?? self.configuration.defaultProfile
                let pin = try query.bool("pin", default: true)
                let name = try query.string("name", maxLength: 255)
                if let name, name.isEmpty || name.contains("/") {
                    throw StorageError.invalidParameter("name must be 1…255 characters without '/'")
                }
                if let length = request.headers[.contentLength].flatMap(Int64.init), length > self.configuration.maxUploadBytes {
                    throw StorageError.tooLarge("upload of \(length) bytes exceeds the configured limit of \(self.configuration.maxUploadBytes) bytes")
                }
                let result = try await self.ingest.ingest(body: request.body, profile: profile, name: name, pin: pin,
                                                          maxBytes: self.configuration.maxUploadBytes)
                if pin { self.announcePinned([result.cid]) }
                return try jsonResponse(result, status: .created)
            }
        }
        router.post("/v1/dirs") { request, context in
            try await handle {
                try context.require(.write)
                let body = try await request.decode(as: DirectoryCreateRequest.self, context: context)
                let created = try await self.createDirectory(body)
                if created.pinned { self.announcePinned([created.cid]) }
                return try jsonResponse(created, status: .created)
            }
        }
        for head in [false, true] {
            let serve: @Sendable (Request, ServiceRequestContext) async throws -> Response = { request, context in
                try await handle {
                    try await self.serveContent(request, query: try ReadQuery(request), context: context, root: try context.cidParameter(),
                                                path: context.pathTail, head: head)
                }
            }
            router.on("/v1/files/:cid", method: head ? .head : .get, use: serve)
            router.on("/v1/files/:cid/**", method: head ? .head : .get, use: serve)
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
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian, source: .builder)
        do {
            var entries: [UnixFSDirectory.Entry] = []
            for entry in request.entries {
                let cid = try StorageError.parseCID(entry.cid)
                let tsize = try await protectDAG(cid, session: session)
                entries.append(.init(name: entry.name, cid: cid, tsize: tsize))
            }
            // Unique names are a rule over the whole list, which no request schema can state: 422.
            if Set(entries.map(\.name)).count != entries.count {
                throw StorageError.invalidContent("directory entry names must be unique")
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
                if pin { try await MetadataStore.pin(block.cid, name: nil, replicas: nil, defaultReplicas: self.configuration.replicationFactor, in: tx) }
            }
            let tsize = UInt64(block.bytes.count) + entries.reduce(0) { $0 + $1.tsize }
            return DirectoryCreateResponse(cid: block.cid.string, size: tsize, entries: entries.count, pinned: pin)
        } catch {
            await session.abort()
            throw error
        }
    }

    /// Checks that the whole DAG under `root` is stored, protecting each block from GC (before
    /// looking for it) for the life of `session`; returns the root's cumulative size (Tsize).
    /// The walk goes level by level over the links table: no block is read or hashed again,
    /// except the root (for its Tsize) and identity blocks (inline, so never stored).
    @discardableResult
    func protectDAG(_ root: CID, session: BlockWriteSession) async throws -> UInt64 {
        var level = [root]
        var seen: Set<CID> = [root.v1]
        var depth = 0
        while !level.isEmpty {
            guard depth <= DAGLimits.maximumDepth else {
                throw StorageError.invalidContent("the DAG under \(root) is more than \(DAGLimits.maximumDepth) levels deep")
            }
            for cid in level { await session.protectExisting(cid) }
            let stored = level.filter { $0.multihash.code != Multihash.identity }
            let present = try await metadata.blockSizes(of: stored)
            if let missing = stored.first(where: { present[$0.v1] == nil }) {
                throw StorageError.notFound("block \(missing) of the DAG under \(root) is not stored on this node")
            }
            var children = try await metadata.children(ofAll: stored)
            for inline in level where inline.multihash.code == Multihash.identity && inline.codec == .dagPB {
                children += (try await reader.node(inline)).links
            }
            level = []
            for child in children where seen.insert(child.v1).inserted { level.append(child) }
            depth += 1
        }
        do {
            return try cumulativeSize(ofBlock: try await reader.block(root), cid: root)
        } catch let error as CoreError {
            throw StorageError.invalidContent("\(root): \(error.message)")
        }
    }
}
