/// Plain (non-HAMT) UnixFS directories.
public enum UnixFSDirectory {
    /// One named child of a directory.
    public struct Entry: Hashable, Sendable {
        /// The link name (one path component).
        public var name: String
        /// The child's root.
        public var cid: CID
        /// Cumulative size of the child's DAG (its link Tsize).
        public var tsize: UInt64

        /// Creates an entry.
        public init(name: String, cid: CID, tsize: UInt64) {
            self.name = name
            self.cid = cid
            self.tsize = tsize
        }
    }

    /// Builds a directory node: links sorted bytewise by UTF-8 name (as Kubo/go-merkledag
    /// sort them), `Data{Type=Directory}`, CIDv0 or CIDv1 dag-pb.
    ///
    /// Names must be non-empty, contain no `/`, not be `.` or `..`, and be unique as bytes;
    /// otherwise throws `CoreError(.unixFS, …)`. (Swift strings are always valid UTF-8.)
    /// Large directories would need HAMT sharding, which this builder does not do.
    public static func build(entries: [Entry], cidVersion: Int) throws(CoreError) -> Block {
        guard cidVersion == 0 || cidVersion == 1 else {
            throw CoreError(.unixFS, "CID version must be 0 or 1, got \(cidVersion)")
        }
        // Sort and compare by bytes: Swift's String ordering and equality follow Unicode
        // canonical equivalence, which would merge or reorder names Kubo keeps distinct.
        var named: [(name: [UInt8], entry: Entry)] = []
        named.reserveCapacity(entries.count)
        for entry in entries {
            try validate(entry.name)
            named.append((Array(entry.name.utf8), entry))
        }
        named.sort { $0.name.lexicographicallyPrecedes($1.name) }
        for (previous, next) in zip(named, named.dropFirst()) where previous.name == next.name {
            throw CoreError(.unixFS, "duplicate directory entry name \(next.entry.name.debugDescription)")
        }
        let links = named.map { PBLink(hash: $0.entry.cid, name: $0.entry.name, tsize: $0.entry.tsize) }
        let data = UnixFSData(type: .directory).encoded()
        let bytes = PBNode(links: links, data: data).encoded()
        return Block(cid: .dagPB(sha256Of: bytes, version: cidVersion), bytes: bytes)
    }

    /// Throws unless `name` is usable as a single path component.
    public static func validate(_ name: String) throws(CoreError) {
        if name.isEmpty {
            throw CoreError(.unixFS, "empty directory entry name")
        }
        if name == "." || name == ".." {
            throw CoreError(.unixFS, "directory entry name \(name.debugDescription) is reserved")
        }
        if name.utf8.contains(UInt8(ascii: "/")) {
            throw CoreError(.unixFS, "directory entry name \(name.debugDescription) contains '/'")
        }
    }
}
