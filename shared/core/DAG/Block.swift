/// A block and the CID that names it.
///
/// The initializer does not hash: producers in this module build CIDs from the bytes, and
/// readers of untrusted input check with `cid.verifies(bytes)` (the CAR reader does).
public struct Block: Hashable, Sendable {
    /// The block's identifier.
    public let cid: CID
    /// The encoded block.
    public let bytes: [UInt8]

    /// Pairs bytes with their CID (trusted; not re-hashed).
    public init(cid: CID, bytes: [UInt8]) {
        self.cid = cid
        self.bytes = bytes
    }

    /// A raw block (CIDv1, codec raw, sha2-256).
    public static func raw(_ bytes: [UInt8]) -> Block {
        Block(cid: .raw(sha256Of: bytes), bytes: bytes)
    }
}
