import NIOCore
import PakitCore

/// Reads content: blocks, path resolution through UnixFS directories, file sizes, byte ranges
/// of file DAGs, and DAG traversal for CAR export. Blocks come from the local block store;
/// with `remote`, a block this node lacks is fetched from the peers that hold the read's root
/// (`fetching(under:)`), verified and kept.
struct DAGReader: Sendable {
    let blockStore: BlockStore
    let metadata: MetadataStore
    /// Fetches what this node lacks (nil: reads are local only).
    var remote: RemoteBlocks?
    /// The root of the read: its providers are asked for every block under it.
    var root: CID?

    init(blockStore: BlockStore, metadata: MetadataStore, remote: RemoteBlocks? = nil) {
        self.blockStore = blockStore
        self.metadata = metadata
        self.remote = remote
    }

    /// This reader for a read of the DAG under `root` (the session a fetch of any block under
    /// it asks the root's providers in).
    func fetching(under root: CID) -> DAGReader {
        var reader = self
        reader.root = root
        return reader
    }

    /// This reader without the network: only what is stored here.
    var localOnly: DAGReader {
        var reader = self
        reader.remote = nil
        return reader
    }

    /// Makes `children` local before a walk reads them one by one (many fetched at once).
    private func prefetch(_ children: [CID], fallbackRoot: CID) async throws(StorageError) {
        guard let remote, !children.isEmpty else { return }
        try await remote.prefetch(children, root: root ?? fallbackRoot)
    }

    /// The blocks of `children` this node lacks, fetched (many at once) for a read to send
    /// from memory; they are kept on disk in the background.
    private func prefetchForReading(_ children: [CID], fallbackRoot: CID) async throws(StorageError) -> [CID: [UInt8]] {
        guard let remote, !children.isEmpty else { return [:] }
        return try await remote.prefetchForReading(children, root: root ?? fallbackRoot)
    }

    func block(_ cid: CID) async throws(StorageError) -> [UInt8] {
        // Identity CIDs carry their block inline (multihash code 0x00): nothing to look up.
        if cid.multihash.code == 0x00 { return cid.multihash.digest }
        let stored: [UInt8]?
        do {
            stored = try await blockStore.read(cid)
        } catch {
            throw .internalFailure("\(error)")
        }
        guard let bytes = stored else {
            if let remote { return try await remote.fetch(cid, root: root ?? cid) }
            throw .notFound("block \(cid) is not stored on this node")
        }
        return bytes
    }

    func node(_ cid: CID) async throws(StorageError) -> DecodedNode {
        let bytes = try await block(cid)
        do {
            return try DecodedNode(cid: cid, block: bytes)
        } catch {
            throw .invalidContent("block \(cid) cannot be decoded: \(error.message)")
        }
    }

    /// Follows `path` (already split, percent-decoded) from `root` through directories.
    func resolve(_ root: CID, path: [String]) async throws(StorageError) -> CID {
        try await resolveCollecting(root, path: path).target
    }

    /// Like `resolve`, also returning the directories walked through (root first), which a
    /// verifying client needs to check the path.
    func resolveCollecting(_ root: CID, path: [String]) async throws(StorageError) -> (target: CID, walked: [CID]) {
        var current = root
        var walked: [CID] = []
        for component in path where !component.isEmpty {
            walked.append(current)
            guard case .directory(let entries) = try await node(current) else {
                throw .notFound("'\(component)' not found: \(current) is not a directory")
            }
            guard let entry = entries.first(where: { $0.name == component }) else {
                throw .notFound("'\(component)' not found in directory \(current)")
            }
            current = entry.hash
        }
        return (current, walked)
    }

    /// Follows a file DAG's first path (to its first non-empty leaf) before any header is sent,
    /// checking each child holds what its parent claims and the depth bound: chains too deep
    /// and sizes that lie along the way are a 422 rather than a stream that breaks off. A raw
    /// leaf is sized from its row, not read (the stream reads it next anyway).
    func checkLeadingPath(of node: DecodedNode) async throws {
        var current = node
        var depth = 0
        while case .file(_, let children, _) = current, let first = children.first(where: { $0.fileBytes > 0 }) ?? children.first {
            depth += 1
            guard depth < DAGLimits.maximumDepth else {
                throw StorageError.invalidContent("file DAG is more than \(DAGLimits.maximumDepth) levels deep")
            }
            let claimMismatch = StorageError.invalidContent("\(first.cid) does not hold the \(first.fileBytes) bytes its parent claims")
            if first.cid.codec == .raw, first.cid.multihash.code != Multihash.identity {
                var stored = try await metadata.blockSizes(of: [first.cid])[first.cid.v1]
                if stored == nil, remote != nil { stored = UInt64(try await block(first.cid).count) }
                guard let size = stored else {
                    throw StorageError.notFound("block \(first.cid) is not stored on this node")
                }
                guard size == first.fileBytes else { throw claimMismatch }
                return
            }
            let child = try await self.node(first.cid)
            guard child.fileSize == first.fileBytes else { throw claimMismatch }
            current = child
        }
    }

    /// Writes bytes `range` of the file rooted at `node` in order, descending only into the
    /// children that overlap the range (using blocksizes), one block in memory at a time.
    ///
    /// Each child it descends into must hold exactly the bytes its parent claims, and the DAG
    /// may be at most `DAGLimits.maximumDepth` deep: a lying DAG (stored before its children,
    /// whose sizes could not be checked then) throws instead of sending bytes that do not add
    /// up to the announced length, and the caller ends the response as failed.
    func writeRange(of node: DecodedNode, range: Range<UInt64>, depth: Int = 0, to write: (ByteBuffer) async throws -> Void) async throws {
        switch node {
        case .raw(let bytes):
            let count = UInt64(bytes.count)
            guard range.upperBound <= count else { throw StorageError.invalidContent("a leaf holds fewer bytes than its parent claims") }
            if !range.isEmpty { try await write(ByteBuffer(bytes: bytes[Int(range.lowerBound)..<Int(range.upperBound)])) }
        case .file(let data, let children, _):
            guard depth < DAGLimits.maximumDepth else {
                throw StorageError.invalidContent("file DAG is more than \(DAGLimits.maximumDepth) levels deep")
            }
            // Decoding bounded the node's total by DAGLimits.maximumFileSize: no offset overflows.
            let inline = UInt64(data.count)
            if range.lowerBound < inline {
                let upper = min(range.upperBound, inline)
                try await write(ByteBuffer(bytes: data[Int(range.lowerBound)..<Int(upper)]))
            }
            var start = inline
            // With a remote, the children the range needs are made local ahead of the walk: a
            // few first (the first bytes go out soon), then batches of 32, the next batch
            // fetched while this one is sent.
            var prefetchedThrough = 0
            var ahead: (through: Int, task: Task<[CID: [UInt8]], any Error>)?
            defer { ahead?.task.cancel() }
            // Fetched children not yet sent, by CID (sent from memory, not read back from disk).
            var fetched: [CID: [UInt8]] = [:]
            for (index, child) in children.enumerated() {
                let end = start + child.fileBytes
                defer { start = end }
                if end <= range.lowerBound { continue }
                if start >= range.upperBound { break }
                if remote != nil, index >= prefetchedThrough {
                    if let pending = ahead, pending.through > index {
                        fetched.merge(try await pending.task.value) { first, _ in first }
                        prefetchedThrough = pending.through
                    } else {
                        let batch = Self.batch(children, from: index, offset: start, count: prefetchedThrough == 0 ? 4 : 32, before: range.upperBound)
                        fetched.merge(try await prefetchForReading(batch.cids, fallbackRoot: child.cid)) { first, _ in first }
                        prefetchedThrough = batch.through
                    }
                    ahead = nil
                    if prefetchedThrough < children.count {
                        var offset = start
                        for skipped in children[index..<prefetchedThrough] { offset += skipped.fileBytes }
                        let next = Self.batch(children, from: prefetchedThrough, offset: offset, count: 32, before: range.upperBound)
                        if !next.cids.isEmpty {
                            let reader = self
                            let fallback = child.cid
                            ahead = (next.through, Task { try await reader.prefetchForReading(next.cids, fallbackRoot: fallback) })
                        }
                    }
                }
                let childNode: DecodedNode
                if let bytes = fetched.removeValue(forKey: child.cid.v1) {
                    do { childNode = try DecodedNode(cid: child.cid, block: bytes) } catch {
                        throw StorageError.invalidContent("block \(child.cid) cannot be decoded: \(error.message)")
                    }
                } else {
                    childNode = try await self.node(child.cid)
                }
                guard childNode.fileSize == child.fileBytes else {
                    throw StorageError.invalidContent("\(child.cid) does not hold the \(child.fileBytes) bytes its parent claims")
                }
                let lower = max(range.lowerBound, start) - start
                let upper = min(range.upperBound, end) - start
                try await writeRange(of: childNode, range: lower..<upper, depth: depth + 1, to: write)
            }
        default:
            throw StorageError.invalidContent("not a file")
        }
    }

    /// Visits, depth-first, the blocks a verifier needs for bytes `range` of the file entity
    /// `cid` (a raw leaf or a UnixFS file DAG): every file node on the way and every leaf the
    /// range touches. Anything other than a file is visited alone.
    func visitFileRange(_ cid: CID, range: Range<UInt64>, depth: Int = 0, visit: (CID, [UInt8]) async throws -> Void) async throws {
        guard depth <= DAGLimits.maximumDepth else {
            throw StorageError.invalidContent("file DAG is more than \(DAGLimits.maximumDepth) levels deep")
        }
        let bytes = try await block(cid)
        try await visit(cid, bytes)
        guard cid.codec == .dagPB else { return }
        let node: DecodedNode
        do { node = try DecodedNode(cid: cid, block: bytes) } catch {
            throw StorageError.invalidContent("block \(cid) cannot be decoded: \(error.message)")
        }
        guard case .file(let data, let children, _) = node, !range.isEmpty else { return }
        // Decoding bounded the node's total by DAGLimits.maximumFileSize: no offset overflows.
        var start = UInt64(data.count)
        for child in children {
            let end = start + child.fileBytes
            defer { start = end }
            if end <= range.lowerBound { continue }
            if start >= range.upperBound { break }
            let lower = max(range.lowerBound, start) - start
            let upper = min(range.upperBound, end) - start
            try await visitFileRange(child.cid, range: lower..<upper, depth: depth + 1, visit: visit)
        }
    }

    /// Up to `count` children from `from` that start before `limit` (their CIDs), and the index
    /// after the last one taken.
    private static func batch(_ children: [DecodedNode.FileChild], from: Int, offset: UInt64, count: Int, before limit: UInt64) -> (cids: [CID], through: Int) {
        var cids: [CID] = []
        var position = offset
        var index = from
        while index < children.count, index < from + count, position < limit {
            cids.append(children[index].cid)
            position += children[index].fileBytes
            index += 1
        }
        return (cids, index)
    }

    /// Every block of the DAG under `root`, depth-first, each once. `visit` gets the block
    /// bytes. Throws past `DAGLimits.maximumDepth` levels or at a dag-pb block that does not
    /// decode (its links would be missing from the walk).
    func traverse(_ root: CID, visit: (CID, [UInt8]) async throws -> Void) async throws {
        var stack = [(cid: root, depth: 0)]
        var seen: Set<CID> = []
        while let (cid, depth) = stack.popLast() {
            guard seen.insert(cid.v1).inserted else { continue }
            guard depth <= DAGLimits.maximumDepth else {
                throw StorageError.invalidContent("the DAG under \(root) is more than \(DAGLimits.maximumDepth) levels deep")
            }
            let bytes = try await block(cid)
            try await visit(cid, bytes)
            if cid.codec == .dagPB {
                let links: [CID]
                do { links = try DecodedNode(cid: cid, block: bytes).links } catch {
                    throw StorageError.invalidContent("block \(cid) cannot be decoded: \(error.message)")
                }
                try await prefetch(links, fallbackRoot: root)
                stack.append(contentsOf: links.reversed().map { ($0, depth + 1) })
            }
        }
    }
}
