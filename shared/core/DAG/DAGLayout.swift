/// The shape parameters of a UnixFS file DAG (the chunk size belongs to the chunker).
public struct DAGLayout: Hashable, Sendable {
    /// CID version of the dag-pb nodes (raw leaves are always CIDv1).
    public var cidVersion: Int
    /// Raw leaves (codec raw) instead of dag-pb `File` leaves.
    public var rawLeaves: Bool
    /// Maximum children per internal node.
    public var maxLinks: Int

    /// A layout from trusted constants; traps on a CID version other than 0/1 or fewer than 2
    /// links. Use `checked(cidVersion:rawLeaves:maxLinks:)` for values from requests.
    public init(cidVersion: Int, rawLeaves: Bool, maxLinks: Int) {
        precondition(cidVersion == 0 || cidVersion == 1, "CID version must be 0 or 1")
        precondition(maxLinks >= 2, "a balanced DAG needs at least 2 links per node")
        self.cidVersion = cidVersion
        self.rawLeaves = rawLeaves
        self.maxLinks = maxLinks
    }

    /// A layout from untrusted values, rejected with `CoreError(.unixFS, …)` instead of trapping.
    public static func checked(cidVersion: Int, rawLeaves: Bool, maxLinks: Int) throws(CoreError) -> DAGLayout {
        guard cidVersion == 0 || cidVersion == 1 else {
            throw CoreError(.unixFS, "CID version must be 0 or 1, got \(cidVersion)")
        }
        guard maxLinks >= 2 else {
            throw CoreError(.unixFS, "max links must be at least 2, got \(maxLinks)")
        }
        return DAGLayout(cidVersion: cidVersion, rawLeaves: rawLeaves, maxLinks: maxLinks)
    }

    /// Whether the fields (which are mutable) still describe a buildable layout.
    public var isValid: Bool {
        (cidVersion == 0 || cidVersion == 1) && maxLinks >= 2
    }

    /// IPIP-499 `unixfs-v1-2025`: CIDv1, raw leaves, 1024 links (with 1 MiB chunks). Pakit's default.
    public static let unixfsV1_2025 = DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 1024)

    /// IPIP-499 `unixfs-v0-2015`: CIDv0, dag-pb `File` leaves, 174 links (with 256 KiB chunks);
    /// only for reproducing legacy CIDs.
    public static let unixfsV0_2015 = DAGLayout(cidVersion: 0, rawLeaves: false, maxLinks: 174)
}
