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
                let pin = try QueryParameters(request).bool("pin", default: true)
                if let length = request.headers[.contentLength].flatMap(Int64.init), length > self.configuration.maxUploadBytes {
                    throw StorageError.tooLarge("CAR of \(length) bytes exceeds the configured limit")
                }
                let imported = try await self.importCAR(request.body, pin: pin)
                if imported.pinned { self.announcePinned(imported.roots) }
                return try jsonResponse(imported, status: .created)
            }
        }
        router.get("/v1/car/:cid") { request, context in
            try await handle {
                let cid = try context.cidParameter()
                try await self.authorizeRead(try ReadQuery(request), context: context, root: cid, path: "")
                return try await self.exportCAR(cid)
            }
        }
    }

    /// Bytes charged per CAR section on top of its length, so a flood of tiny blocks meets the
    /// size limit long before it costs millions of rows.
    static let carSectionOverhead: UInt64 = 512
    /// Block rows committed per transaction during an import.
    static let carImportBatchRows = 4096

    /// Verifies every block against its CID and requires every root's DAG to be complete (in
    /// the CAR or already stored); a lying or truncated CAR is rejected and pins nothing. Rows
    /// are committed in batches under GC protection; when a CAR larger than one batch is
    /// rejected late, its committed blocks stay unpinned until the next GC.
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
            var charged: UInt64 = 0
            let limit = UInt64(configuration.maxUploadBytes)
            // Links to blocks not (yet) seen in the CAR: a DFS-ordered CAR keeps this to its frontier.
            var unresolved: Set<CID> = []
            // The CAR's own link graph, for the depth of what it brings.
            var graph: [CID: [CID]] = [:]
            for try await buffer in body {
                total += UInt64(buffer.readableBytes)
                charged += UInt64(buffer.readableBytes)
                if charged > limit { throw StorageError.tooLarge("CAR exceeds the configured limit of \(limit) bytes (\(Self.carSectionOverhead) counted per block)") }
                let events: [CARReader.Event]
                do { events = try parser.push(Array(buffer.readableBytesView)) } catch {
                    throw StorageError.invalidContent("CAR rejected: \(error.message)")
                }
                for event in events {
                    switch event {
                    case .header(let headerRoots): roots = headerRoots
                    case .block(let block):
                        charged += Self.carSectionOverhead
                        if charged > limit { throw StorageError.tooLarge("CAR exceeds the configured limit of \(limit) bytes (\(Self.carSectionOverhead) counted per block)") }
                        guard session.blockCount < configuration.maxCARBlocks else {
                            throw StorageError.tooLarge("CAR holds more than \(configuration.maxCARBlocks) blocks")
                        }
                        let linksBefore = session.links.count
                        try await session.add(block)
                        unresolved.remove(block.cid.v1)
                        let children = session.links[linksBefore...].map(\.child.v1)
                        if !children.isEmpty { graph[block.cid.v1] = children }
                        for child in children where !session.seen.contains(child) { unresolved.insert(child) }
                        guard unresolved.count <= configuration.maxCARBlocks else {
                            throw StorageError.tooLarge("CAR links to more than \(configuration.maxCARBlocks) blocks it does not hold")
                        }
                        if session.uncommittedRows >= Self.carImportBatchRows { try await session.commitRows(metadata: metadata) }
                    }
                }
            }
            do { try parser.finish() } catch { throw StorageError.invalidContent("CAR rejected: \(error.message)") }
            guard !roots.isEmpty else { throw StorageError.invalidContent("CAR rejected: it names no root") }
            if let deepest = Self.height(of: roots.map(\.v1), in: graph), deepest > DAGLimits.maximumDepth {
                throw StorageError.invalidContent("CAR rejected: its DAG is \(deepest) levels deep, more than \(DAGLimits.maximumDepth)")
            }
            // Completeness: every link of every imported dag-pb block, and every root, must resolve.
            for root in roots where !session.seen.contains(root.v1) { unresolved.insert(root.v1) }
            let outside = unresolved.filter { $0.multihash.code != Multihash.identity }
            for cid in outside { await session.protectExisting(cid) }
            let stored = try await metadata.blockSizes(of: Array(outside))
            let missing = outside.filter { stored[$0] == nil }
            if let first = missing.first {
                throw StorageError.invalidContent("CAR rejected: incomplete DAG, \(missing.count) block(s) missing, e.g. \(first)")
            }
            let pinRoots = roots
            try await session.commit(metadata: metadata) { tx in
                if pin { for root in pinRoots { try await MetadataStore.pin(root, name: nil, replicas: nil, defaultReplicas: self.configuration.replicationFactor, in: tx) } }
            }
            return CARImportResponse(roots: roots.map(\.string), blocks: session.blockCount, bytes: total, pinned: pin)
        } catch {
            await session.abort()
            throw error
        }
    }

    /// The most levels below any of `roots` in `graph` (children by parent), found once per
    /// node by an iterative post-order walk; nil for no roots.
    static func height(of roots: [CID], in graph: [CID: [CID]]) -> Int? {
        var heights: [CID: Int] = [:]
        for root in roots {
            var stack: [(cid: CID, expanded: Bool)] = [(root, false)]
            while let (cid, expanded) = stack.popLast() {
                if heights[cid] != nil { continue }
                let children = graph[cid] ?? []
                if expanded || children.isEmpty {
                    heights[cid] = children.isEmpty ? 0 : 1 + (children.map { heights[$0] ?? 0 }.max() ?? 0)
                } else {
                    stack.append((cid, true))
                    for child in children where heights[child] == nil { stack.append((child, false)) }
                }
            }
        }
        return roots.compactMap { heights[$0] }.max()
    }

    /// What of the target DAG a CAR carries (the trustless gateway's `dag-scope` and
    /// `entity-bytes`).
    enum CARScope: Equatable {
        /// Every block under the target.
        case all
        /// The target entity: a file's blocks (those covering `bytes`, all when nil), or a
        /// directory's or other node's own block.
        case entity(bytes: EntityBytes?)
        /// The target block only.
        case block

        /// Part of the ETag, which must change with the scope and range.
        var tag: String {
            switch self {
            case .all: ""
            case .entity(nil): ".entity"
            case .entity(let bytes?): ".entity.\(bytes.from):\(bytes.to.map(String.init) ?? "*")"
            case .block: ".block"
            }
        }
    }

    /// `entity-bytes=from:to`: inclusive, either end negative to count from the end, `to` may
    /// be `*` (the end). Anything else is refused.
    struct EntityBytes: Equatable {
        let from: Int64
        let to: Int64?

        init(parsing text: String) throws(StorageError) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let from = Self.offset(parts[0]), parts[1] == "*" || Self.offset(parts[1]) != nil else {
                throw StorageError.invalidParameter("entity-bytes must be from:to (integers, negative from the end; to may be *)")
            }
            self.from = from
            self.to = parts[1] == "*" ? nil : Self.offset(parts[1])
        }

        /// An optionally negative decimal integer; one beyond Int64 is clamped (it is past
        /// either end of any file anyway).
        private static func offset(_ text: Substring) -> Int64? {
            let negative = text.hasPrefix("-")
            let digits = negative ? text.dropFirst() : text
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int64(text) ?? (negative ? Int64.min : Int64.max)
        }

        /// The half-open byte range in a file of `size` bytes: empty when nothing of it is in
        /// the file or it ends before it starts (then the file's root alone is sent, as for a
        /// range past the end; HTTP likewise ignores an inverted `Range`).
        func range(in size: UInt64) -> Range<UInt64> {
            let size = Int64(clamping: size)
            // size ≥ 0, so adding a negative offset cannot overflow.
            let start = from < 0 ? max(0, size + from) : min(from, size)
            let last = to.map { $0 < 0 ? size + $0 : $0 } ?? size - 1
            let end = last >= size ? size : max(0, last + 1)
            return end > start ? UInt64(start)..<UInt64(end) : UInt64(start)..<UInt64(start)
        }
    }

    /// Streams the DAG under `root` as a CARv1, depth-first, each block once. The root block is
    /// read before answering so a missing root is a 404, not a broken stream.
    /// `pathBlocks` (directories walked from `root` to a path's target `dag`) come first, so
    /// a trustless client can verify the path as well as the content; `scope` says how much of
    /// the target follows.
    func exportCAR(_ root: CID, dag: CID? = nil, pathBlocks: [CID] = [], scope: CARScope = .all) async throws -> Response {
        let dag = dag ?? root
        let reader = self.reader(under: root)
        let target = try await reader.block(dag)
        // An entity that is a file is sent as the blocks covering its byte range.
        let fileRange: Range<UInt64>? = {
            guard case .entity(let bytes) = scope, let size = (try? DecodedNode(cid: dag, block: target))?.fileSize else { return nil }
            return bytes?.range(in: size) ?? 0..<size
        }()
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: CARWriter.header(roots: [root])))
            for cid in pathBlocks {
                try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, block: try await reader.block(cid))))
            }
            switch scope {
            case .all:
                try await reader.traverse(dag) { cid, bytes in
                    try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, block: self.served(bytes))))
                }
            case .entity where fileRange != nil:
                try await reader.visitFileRange(dag, range: fileRange ?? 0..<0) { cid, bytes in
                    try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: cid, block: self.served(bytes))))
                }
            case .entity, .block:  // a directory's or other node's own block
                try await writer.write(ByteBuffer(bytes: CARWriter.section(cid: dag, block: self.served(target))))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: Self.carContentType, .eTag: "\"\(root.string).car\(scope.tag)\"",
            .cacheControl: "public, max-age=29030400, immutable",
            .contentDisposition: "attachment; filename=\"\(root.string).car\"",
        ], body: body)
    }
}
