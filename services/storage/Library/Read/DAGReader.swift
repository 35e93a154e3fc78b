import NIOCore
import PakitCore

/// Reads content from the local block store: blocks, path resolution through UnixFS
/// directories, file sizes, byte ranges of file DAGs, and DAG traversal for CAR export.
struct DAGReader: Sendable {
    let blockStore: BlockStore

    func block(_ cid: CID) async throws(StorageError) -> [UInt8] {
        // Identity CIDs carry their block inline (multihash code 0x00): nothing to look up.
        if cid.multihash.code == 0x00 { return cid.multihash.digest }
        let stored: [UInt8]?
        do {
            stored = try await blockStore.read(cid)
        } catch {
            throw .internalFailure("\(error)")
        }
        guard let bytes = stored else { throw .notFound("block \(cid) is not stored on this node") }
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

    /// The bytes a file DAG represents.
    func fileSize(_ cid: CID, node: DecodedNode) -> UInt64? {
        switch node {
        case .raw(let bytes): UInt64(bytes.count)
        case .file(_, _, let filesize): filesize
        default: nil
        }
    }

    /// Writes bytes `range` of the file rooted at `node` in order, descending only into the
    /// children that overlap the range (using blocksizes), one block in memory at a time.
    func writeRange(of node: DecodedNode, range: Range<UInt64>, to write: (ByteBuffer) async throws -> Void) async throws {
        switch node {
        case .raw(let bytes):
            let lower = Int(min(range.lowerBound, UInt64(bytes.count)))
            let upper = Int(min(range.upperBound, UInt64(bytes.count)))
            if lower < upper { try await write(ByteBuffer(bytes: bytes[lower..<upper])) }
        case .file(let data, let children, _):
            var offset: UInt64 = 0
            if !data.isEmpty {
                let end = UInt64(data.count)
                if range.lowerBound < end && range.upperBound > 0 {
                    let lower = Int(range.lowerBound)
                    let upper = Int(min(range.upperBound, end))
                    try await write(ByteBuffer(bytes: data[lower..<upper]))
                }
                offset = end
            }
            for child in children {
                let childRange = offset..<(offset + child.fileBytes)
                defer { offset += child.fileBytes }
                guard childRange.overlaps(range) else {
                    if childRange.lowerBound >= range.upperBound { break }
                    continue
                }
                let lower = max(range.lowerBound, childRange.lowerBound) - offset
                let upper = min(range.upperBound, childRange.upperBound) - offset
                try await writeRange(of: try await self.node(child.cid), range: lower..<upper, to: write)
            }
        default:
            throw StorageError.invalidContent("not a file")
        }
    }

    /// Every block of the DAG under `root`, depth-first, each once. `visit` gets the block bytes.
    func traverse(_ root: CID, visit: (CID, [UInt8]) async throws -> Void) async throws {
        var stack = [root]
        var seen: Set<CID> = []
        while let cid = stack.popLast() {
            guard seen.insert(cid.v1).inserted else { continue }
            let bytes = try await block(cid)
            try await visit(cid, bytes)
            if cid.codec == .dagPB {
                let links = (try? DecodedNode(cid: cid, block: bytes).links) ?? []
                stack.append(contentsOf: links.reversed())
            }
        }
    }
}
