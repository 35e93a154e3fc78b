import Hummingbird
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `POST /v1/car` (import, roots pinned as Kubo's `dag import`), `GET /v1/car/{cid}` (export).
extension StorageNode {
    static let carContentType = "application/vnd.ipld.car; version=1; order=dfs; dups=n"

    func addCARRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/car") { request, context in
            try await handle {
                try context.require(.write)
                let pin = try Self.boolParameter(request.queryDictionary["pin"], name: "pin", default: true)
                if let length = request.headers[.contentLength].flatMap(Int64.init), length > self.configuration.maxUploadBytes {
                    throw StorageError.tooLarge("CAR of \(length) bytes exceeds the configured limit")
                }
                return try jsonResponse(try await self.importCAR(request.body, pin: pin), status: .created)
            }
        }
        router.get("/v1/car/:cid") { request, context in
            try await handle {
                let cid = try context.cidParameter()
                try self.authorizeRead(request, context: context, root: cid, path: "")
                return try await self.exportCAR(cid)
            }
        }
    }

    /// Verifies every block against its CID and requires every root's DAG to be complete (in
    /// the CAR or already stored); a truncated or lying CAR is rejected whole and changes nothing.
    func importCAR<Body: AsyncSequence & Sendable>(_ body: Body, pin: Bool) async throws -> CARImportResponse where Body.Element == ByteBuffer {
        // Parsing and hashing every block against its CID is CPU work per block: on the compute
        // threads (file writes hop to the blocking-I/O threads).
        try await blockStore.executors.compute.run { try await importCARHere(body, pin: pin) }
    }

    private func importCARHere<Body: AsyncSequence & Sendable>(_ body: Body, pin: Bool) async throws -> CARImportResponse where Body.Element == ByteBuffer {
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian)
        do {
            var parser = CARReader()
            var roots: [CID] = []
            var total: UInt64 = 0
            var inCAR: Set<CID> = []
            for try await buffer in body {
                total += UInt64(buffer.readableBytes)
                if total > UInt64(configuration.maxUploadBytes) { throw StorageError.tooLarge("CAR exceeds the configured limit") }
                let events: [CARReader.Event]
                do { events = try parser.push(Array(buffer.readableBytesView)) } catch {
                    throw StorageError.invalidContent("CAR rejected: \(error.message)")
                }
                for event in events {
                    switch event {
                    case .header(let headerRoots): roots = headerRoots
                    case .block(let block):
                        inCAR.insert(block.cid.v1)
                        try await session.add(block)
                    }
                }
            }
            do { try parser.finish() } catch { throw StorageError.invalidContent("CAR rejected: \(error.message)") }
            guard !roots.isEmpty else { throw StorageError.invalidContent("CAR rejected: it names no root") }
            // Completeness: every link of every imported dag-pb block, and every root, must resolve.
            var missing: [CID] = []
            for link in session.links where !inCAR.contains(link.child.v1) {
                await session.protectExisting(link.child)
                if !(await blockStore.contains(link.child)) { missing.append(link.child) }
            }
            for root in roots where !inCAR.contains(root.v1) {
                await session.protectExisting(root)
                if !(await blockStore.contains(root)) { missing.append(root) }
            }
            if let first = missing.first {
                throw StorageError.invalidContent("CAR rejected: incomplete DAG, \(missing.count) block(s) missing, e.g. \(first)")
            }
            let pinRoots = roots
            try await session.commit(metadata: metadata) { tx in
                if pin { for root in pinRoots { try await MetadataStore.pin(root, name: nil, in: tx) } }
            }
            return CARImportResponse(roots: roots.map(\.string), blocks: session.blockCount, bytes: total, pinned: pin)
        } catch {
            await session.abort()
            throw error
        }
    }

    /// Streams the DAG under `root` as a CARv1, depth-first, each block once. The root block is
    /// read before answering so a missing root is a 404, not a broken stream.
    /// `pathBlocks` (directories walked from `root` to a path's target `dag`) come first, so
    /// a trustless client can verify the path as well as the content.
    func exportCAR(_ root: CID, dag: CID? = nil, pathBlocks: [CID] = []) async throws -> Response {
        let dag = dag ?? root
        _ = try await reader.block(dag)
        let reader = self.reader
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: CARWriter.header(roots: [root])))
            for cid in pathBlocks {
                try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, block: try await reader.block(cid))))
            }
            try await reader.traverse(dag) { cid, bytes in
                try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, block: bytes)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: Self.carContentType, .eTag: "\"\(root.string).car\"",
            .cacheControl: "public, max-age=29030400, immutable",
            .contentDisposition: "attachment; filename=\"\(root.string).car\"",
        ], body: body)
    }
}
