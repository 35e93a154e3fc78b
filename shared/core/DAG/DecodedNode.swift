/// A block decoded for readers: path resolution, range reads, CAR traversal, GC link
/// extraction. Decoding does not verify the block against its CID (see `CID.verifies`).
public enum DecodedNode: Sendable {
    /// A child of a file node and the number of file bytes under it (its blocksizes entry).
    public struct FileChild: Hashable, Sendable {
        /// The child block.
        public let cid: CID
        /// File bytes under the child.
        public let fileBytes: UInt64

        /// Creates a child entry.
        public init(cid: CID, fileBytes: UInt64) {
            self.cid = cid
            self.fileBytes = fileBytes
        }
    }

    /// A raw block: all of it is file content.
    case raw(bytes: [UInt8])
    /// A UnixFS file (or UnixFS `Raw`) node: inline `data` first, then `children` in order;
    /// `filesize` = `data.count` + Σ children's `fileBytes`.
    case file(data: [UInt8], children: [FileChild], filesize: UInt64)
    /// A plain UnixFS directory; entries in block order.
    case directory(entries: [PBLink])
    /// A UnixFS symlink.
    case symlink(target: String)
    /// Any other dag-pb node (HAMT shard, metadata, non-UnixFS payload): links only.
    case other(links: [PBLink])

    /// Decodes `block` according to `cid.codec`.
    ///
    /// raw → `.raw`; dag-pb → PBNode + UnixFS. A dag-pb node without Data, or whose Data is
    /// not a UnixFS message, is `.other`. Throws for malformed dag-pb, a file whose
    /// blocksizes do not match its links or whose filesize disagrees with its parts, a
    /// symlink target that is not UTF-8, a node over `DAGLimits` (links, claimed bytes), and
    /// for dag-cbor/dag-json (not decodable here).
    public init(cid: CID, block: [UInt8]) throws(CoreError) {
        switch cid.codec {
        case .raw:
            self = .raw(bytes: block)
        case .dagPB:
            self = try Self.decodeDagPB(block)
        case .dagCBOR, .dagJSON:
            throw CoreError(.cid, "cannot decode \(cid.codec.name) blocks (\(cid))")
        }
    }

    /// The file bytes this node stands for: a raw block's length or a file node's total; nil
    /// for anything that is not file content.
    public var fileSize: UInt64? {
        switch self {
        case .raw(let bytes): UInt64(bytes.count)
        case .file(_, _, let filesize): filesize
        default: nil
        }
    }

    /// The CIDs this node links to, in order.
    public var links: [CID] {
        switch self {
        case .raw, .symlink: []
        case .file(_, let children, _): children.map(\.cid)
        case .directory(let entries): entries.map(\.hash)
        case .other(let links): links.map(\.hash)
        }
    }

    private static func decodeDagPB(_ block: [UInt8]) throws(CoreError) -> DecodedNode {
        let (links, dataRange) = try PBNode.parse(block)
        guard let dataRange, let unixFS = try? UnixFSData(decoding: block, range: dataRange) else {
            return .other(links: links)
        }
        switch unixFS.type {
        case .file, .raw:
            let file = try fileNode(unixFS, links: links)
            return .file(data: file.data, children: file.children, filesize: file.filesize)
        case .directory:
            return .directory(entries: links)
        case .symlink:
            guard let target = String(validating: unixFS.data ?? [], as: UTF8.self) else {
                throw CoreError(.unixFS, "symlink target is not valid UTF-8")
            }
            return .symlink(target: target)
        case .metadata, .hamtShard:
            return .other(links: links)
        }
    }

    private static func fileNode(_ unixFS: UnixFSData, links: [PBLink]) throws(CoreError)
        -> (data: [UInt8], children: [FileChild], filesize: UInt64)
    {
        guard unixFS.blocksizes.count == links.count else {
            throw CoreError(.unixFS, "file node has \(links.count) links but \(unixFS.blocksizes.count) blocksizes")
        }
        let data = unixFS.data ?? []
        var total = UInt64(data.count)
        var children: [FileChild] = []
        children.reserveCapacity(links.count)
        for (link, size) in zip(links, unixFS.blocksizes) {
            let (sum, overflow) = total.addingReportingOverflow(size)
            guard !overflow, sum <= DAGLimits.maximumFileSize else {
                throw CoreError(.unixFS, "file node claims more than \(DAGLimits.maximumFileSize) bytes")
            }
            total = sum
            children.append(FileChild(cid: link.hash, fileBytes: size))
        }
        // Range reads seek with blocksizes, so a filesize that disagrees means a corrupt node.
        if let filesize = unixFS.filesize, filesize != total {
            throw CoreError(.unixFS, "file node filesize \(filesize) != data + blocksizes \(total)")
        }
        return (data, children, total)
    }
}

/// The Tsize of a block (rule 6): a raw block's length; a dag-pb block's length plus the
/// Tsize of each of its links (missing Tsize counts as 0). Other codecs: the block length.
public func cumulativeSize(ofBlock bytes: [UInt8], cid: CID) throws(CoreError) -> UInt64 {
    guard cid.codec == .dagPB else {
        return UInt64(bytes.count)
    }
    var total = UInt64(bytes.count)
    for link in try PBNode.parse(bytes).links {
        let (sum, overflow) = total.addingReportingOverflow(link.tsize ?? 0)
        guard !overflow else {
            throw CoreError(.dagPB, "cumulative size overflows 64 bits")
        }
        total = sum
    }
    return total
}
