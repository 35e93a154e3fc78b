/// Builds a balanced UnixFS file DAG from chunks fed in file order (boxo's balanced layout).
///
/// Leaves are returned as they are added and internal nodes as soon as they are complete, so
/// a streaming caller stores blocks early; the builder keeps only one pending link list per
/// level (at most `maxLinks` entries each), so memory does not grow with the file.
///
/// Shape (all leaves at the same depth): each level is grouped into runs of `maxLinks` nodes
/// until one node remains; a trailing single node still gets its own parent. A full level is
/// closed only when the next entry arrives, so the root is always the last block `finish()`
/// returns.
public struct FileDAGBuilder: Sendable {
    /// A finished subtree waiting to be linked from its parent.
    struct Child: Sendable {
        let cid: CID
        /// Cumulative block bytes of the subtree (the link's Tsize).
        let tsize: UInt64
        /// File bytes under the subtree (the parent's blocksizes entry).
        let fileBytes: UInt64
    }

    /// The layout every node is built with.
    public let layout: DAGLayout
    /// `levels[0]` holds leaves, `levels[k]` nodes of height k, none of them linked yet.
    private var levels: [[Child]] = []
    private var completed: [Block] = []
    private var fileSize: UInt64 = 0
    private var leafCount = 0

    /// A builder for one file; traps on an invalid layout (see `DAGLayout.checked`).
    public init(layout: DAGLayout) {
        precondition(layout.isValid, "invalid DAG layout \(layout)")
        self.layout = layout
    }

    /// The leaf block for the next chunk, in file order (a raw block, or a legacy dag-pb
    /// `File` leaf). The caller stores it.
    ///
    /// Chunkers never emit empty chunks; if one is passed anyway it becomes an empty-file leaf.
    public mutating func addChunk(_ chunk: [UInt8]) -> Block {
        let leaf = makeLeaf(chunk)
        fileSize += UInt64(chunk.count)
        leafCount += 1
        push(Child(cid: leaf.cid, tsize: UInt64(leaf.bytes.count), fileBytes: UInt64(chunk.count)), level: 0)
        return leaf
    }

    /// Internal (dag-pb) nodes completed since the last call, children before parents.
    public mutating func takeCompletedNodes() -> [Block] {
        defer { completed.removeAll(keepingCapacity: true) }
        return completed
    }

    /// Closes every open level and returns the blocks not yet taken, root last.
    ///
    /// Zero chunks give the empty file (v1 raw: the empty raw block; dag-pb leaves:
    /// `0a 04 08 02 18 00`), which is then in `blocks`. With one chunk the leaf is the root and
    /// `blocks` is empty. The builder is reset afterwards and can build another file.
    public mutating func finish() -> FileDAGResult {
        defer { self = FileDAGBuilder(layout: layout) }
        if leafCount == 0 {
            let empty = makeLeaf([])
            return FileDAGResult(root: empty.cid, blocks: [empty], fileSize: 0,
                                 rootTsize: UInt64(empty.bytes.count), leafCount: 0)
        }
        var height = 0
        while true {
            let isTop = height == levels.count - 1
            if isTop, levels[height].count == 1 {
                let root = levels[height][0]
                return FileDAGResult(root: root.cid, blocks: takeCompletedNodes(), fileSize: fileSize,
                                     rootTsize: root.tsize, leafCount: leafCount)
            }
            if !levels[height].isEmpty {
                push(closeLevel(height), level: height + 1)
            }
            height += 1
        }
    }

    /// Adds `child` at `level`, first closing that level into a parent if it is already full.
    private mutating func push(_ child: Child, level: Int) {
        if level == levels.count {
            levels.append([])
            levels[level].reserveCapacity(layout.maxLinks)
        }
        if levels[level].count == layout.maxLinks {
            push(closeLevel(level), level: level + 1)
        }
        levels[level].append(child)
    }

    /// Emits the node linking every pending child of `level` and returns it as a child.
    private mutating func closeLevel(_ level: Int) -> Child {
        let node = UnixFSFileNodes.interior(levels[level])
        levels[level].removeAll(keepingCapacity: true)
        let cid = CID.dagPB(sha256Of: node.bytes, version: layout.cidVersion)
        completed.append(Block(cid: cid, bytes: node.bytes))
        return Child(cid: cid, tsize: UInt64(node.bytes.count) + node.childTsize, fileBytes: node.fileBytes)
    }

    private func makeLeaf(_ chunk: [UInt8]) -> Block {
        if layout.rawLeaves {
            return Block.raw(chunk)
        }
        let bytes = UnixFSFileNodes.leaf(chunk)
        return Block(cid: .dagPB(sha256Of: bytes, version: layout.cidVersion), bytes: bytes)
    }
}

/// The outcome of `FileDAGBuilder.finish()`.
public struct FileDAGResult: Sendable {
    /// The file's CID.
    public let root: CID
    /// Internal nodes not yet returned by `takeCompletedNodes()`, root last (plus the empty
    /// leaf for an empty file).
    public let blocks: [Block]
    /// Total file bytes.
    public let fileSize: UInt64
    /// Cumulative size of the whole DAG (what a parent directory link records as Tsize).
    public let rootTsize: UInt64
    /// Number of chunks added.
    public let leafCount: Int

    /// Creates a result.
    public init(root: CID, blocks: [Block], fileSize: UInt64, rootTsize: UInt64, leafCount: Int) {
        self.root = root
        self.blocks = blocks
        self.fileSize = fileSize
        self.rootTsize = rootTsize
        self.leafCount = leafCount
    }
}
