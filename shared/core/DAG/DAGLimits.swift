/// Bounds on DAGs from untrusted sources, checked where a node is decoded and on every walk,
/// so no stored or received DAG can make a reader trap, recurse without end or allocate
/// without bound. The numbers leave room for every layout IPFS tools produce (docs/design.md,
/// "Hostile DAGs").
public enum DAGLimits {
    /// Links in one dag-pb node. Files use 174 (unixfs-v0-2015) or 1024 (unixfs-v1-2025) per
    /// node; Kubo shards directories above 256 KiB of entries (a few thousand links).
    public static let maximumLinksPerNode = 32_768

    /// Levels below a root that a walk follows (reads, CAR export, pins, directory creation).
    /// A balanced 174-link DAG of 256 KiB leaves passes 2^64 bytes at depth 7; trickle DAGs and directory
    /// trees stay far below this.
    public static let maximumDepth = 256

    /// Bytes one file DAG may claim (2^53, 8 PiB): sizes stay exact in every JSON and HTTP
    /// client, and offsets and lengths fit `Int` wherever they become one.
    public static let maximumFileSize: UInt64 = 1 << 53

    /// Longest identity-multihash digest accepted in a CID (the inline data), as boxo's
    /// `verifcid` allows.
    public static let maximumIdentityDigestSize = 128
}
