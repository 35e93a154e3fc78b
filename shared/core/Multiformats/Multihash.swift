import Crypto

/// A self-describing hash: `varint(code) ‖ varint(digest length) ‖ digest`.
///
/// Any hash code can be parsed and carried; only sha2-256 can be computed or verified here.
public struct Multihash: Hashable, Sendable {
    /// Multicodec code of sha2-256.
    public static let sha2_256: UInt64 = 0x12
    /// Multicodec code of the identity "hash" (the digest is the data itself).
    public static let identity: UInt64 = 0x00
    /// Multicodec code of blake3.
    public static let blake3: UInt64 = 0x1e

    /// The hash function's multicodec code.
    public let code: UInt64
    /// The raw digest bytes.
    public let digest: [UInt8]

    /// Wraps an existing digest; a sha2-256 digest must be 32 bytes.
    public init(code: UInt64, digest: [UInt8]) throws(CoreError) {
        if code == Self.sha2_256, digest.count != 32 {
            throw CoreError(.multihash, "sha2-256 digest must be 32 bytes, got \(digest.count)")
        }
        // Identity digests are inline data: bounded so a CID cannot smuggle a large block.
        if code == Self.identity, digest.count > DAGLimits.maximumIdentityDigestSize {
            throw CoreError(.multihash, "identity digest of \(digest.count) bytes exceeds \(DAGLimits.maximumIdentityDigestSize)")
        }
        self.init(unchecked: code, digest: digest)
    }

    /// For values that are valid by construction.
    init(unchecked code: UInt64, digest: [UInt8]) {
        self.code = code
        self.digest = digest
    }

    /// Parses exactly one multihash spanning all of `bytes`.
    public init(bytes: [UInt8]) throws(CoreError) {
        var offset = 0
        self = try Multihash.parse(bytes, at: &offset)
        guard offset == bytes.count else {
            throw CoreError(.multihash, "\(bytes.count - offset) trailing bytes after multihash")
        }
    }

    /// Parses one multihash at `offset` and advances past it (for multihashes embedded in CIDs).
    static func parse<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at offset: inout Int
    ) throws(CoreError) -> Multihash where Bytes.Index == Int {
        let code: UInt64
        let length: UInt64
        do throws(CoreError) {
            code = try Varint.decode(bytes, at: &offset)
            length = try Varint.decode(bytes, at: &offset)
        } catch {
            throw CoreError(.multihash, "bad multihash header: \(error.message)")
        }
        // Compare before converting so a huge declared length cannot trap or over-allocate.
        guard length <= UInt64(bytes.endIndex - offset) else {
            throw CoreError(.multihash, "multihash declares \(length) digest bytes, only \(bytes.endIndex - offset) present")
        }
        let end = offset + Int(length)
        let digest = Array(bytes[offset..<end])
        offset = end
        return try Multihash(code: code, digest: digest)
    }

    /// The sha2-256 multihash of `data`.
    public static func sha256(of data: some Collection<UInt8>) -> Multihash {
        Multihash(unchecked: sha2_256, digest: Multihash.sha256Digest(of: data))
    }

    /// The binary form.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength)
        append(to: &out)
        return out
    }

    /// Length of `bytes` without building it.
    public var encodedLength: Int {
        Varint.length(of: code) + Varint.length(of: UInt64(digest.count)) + digest.count
    }

    /// Appends the binary form to `out`.
    public func append(to out: inout [UInt8]) {
        Varint.encode(code, into: &out)
        Varint.encode(UInt64(digest.count), into: &out)
        out.append(contentsOf: digest)
    }

    /// Whether this is a sha2-256 multihash (the only kind this module can verify).
    public var isSHA256: Bool { code == Self.sha2_256 }

    /// True iff this is a sha2-256 multihash of exactly `data`.
    public func verifies(_ data: some Collection<UInt8>) -> Bool {
        isSHA256 && Multihash.sha256Digest(of: data) == digest
    }

    /// The sha2-256 digest of `data`, hashed in place when the storage is contiguous.
    static func sha256Digest(of data: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        let hashedInPlace: Void? = data.withContiguousStorageIfAvailable { buffer in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if hashedInPlace == nil {
            Array(data).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return Array(hasher.finalize())
    }
}
