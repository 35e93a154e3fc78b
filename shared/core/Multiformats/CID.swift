/// A content identifier: which codec interprets the block, and the multihash of its bytes.
///
/// CIDv0 is a bare sha2-256 multihash of a dag-pb block; CIDv1 is
/// `varint(1) ‖ varint(codec) ‖ multihash`. Two CIDs are equal when version, codec and
/// multihash are equal (a v0 and a v1 CID of the same block are different CIDs; see `v1`).
public struct CID: Hashable, Sendable {
    /// The content codecs Pakit understands; any other code is rejected while parsing.
    public enum Codec: UInt64, Sendable, CaseIterable {
        case raw = 0x55
        case dagPB = 0x70
        case dagCBOR = 0x71
        case dagJSON = 0x0129

        /// The multicodec table name, for messages and logs.
        public var name: String {
            switch self {
            case .raw: "raw"
            case .dagPB: "dag-pb"
            case .dagCBOR: "dag-cbor"
            case .dagJSON: "dag-json"
            }
        }
    }

    /// 0 or 1.
    public let version: Int
    /// How the block bytes are interpreted.
    public let codec: Codec
    /// The hash of the block bytes.
    public let multihash: Multihash

    /// Builds a CID, enforcing that CIDv0 is only dag-pb with a 32-byte sha2-256 multihash.
    public init(version: Int, codec: Codec, multihash: Multihash) throws(CoreError) {
        switch version {
        case 0:
            guard codec == .dagPB, multihash.isSHA256, multihash.digest.count == 32 else {
                throw CoreError(.cid, "CIDv0 requires dag-pb and a sha2-256 multihash")
            }
        case 1:
            break
        default:
            throw CoreError(.cid, "unsupported CID version \(version)")
        }
        self.init(unchecked: version, codec: codec, multihash: multihash)
    }

    /// For values that are valid by construction.
    init(unchecked version: Int, codec: Codec, multihash: Multihash) {
        self.version = version
        self.codec = codec
        self.multihash = multihash
    }

    /// Parses a binary CID spanning all of `bytes`; a 34-byte `12 20 …` input is CIDv0.
    public init(bytes: [UInt8]) throws(CoreError) {
        var offset = 0
        self = try CID.parse(bytes, at: &offset)
        guard offset == bytes.count else {
            throw CoreError(.cid, "\(bytes.count - offset) trailing bytes after CID")
        }
    }

    /// Parses one binary CID starting at `offset` and advances past it.
    ///
    /// Used where a CID is followed by other data (CAR sections), so its length comes from
    /// the CID itself.
    public static func parse<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at offset: inout Int
    ) throws(CoreError) -> CID where Bytes.Index == Int {
        guard offset < bytes.endIndex else {
            throw CoreError(.cid, "empty CID")
        }
        // CIDv0 is recognised by its multihash header: sha2-256, 32 bytes.
        if bytes[offset] == 0x12 {
            guard offset + 1 < bytes.endIndex, bytes[offset + 1] == 0x20 else {
                throw CoreError(.cid, "invalid CID: a leading 0x12 must start a sha2-256/32 CIDv0 (there is no CIDv18)")
            }
            guard bytes.endIndex - offset >= 34 else {
                throw CoreError(.cid, "truncated CIDv0")
            }
            let digest = Array(bytes[(offset + 2)..<(offset + 34)])
            offset += 34
            return CID(unchecked: 0, codec: .dagPB, multihash: Multihash(unchecked: Multihash.sha2_256, digest: digest))
        }
        var cursor = offset
        let version: UInt64
        let code: UInt64
        do throws(CoreError) {
            version = try Varint.decode(bytes, at: &cursor)
            guard version == 1 else {
                throw CoreError(.cid, version == 0
                    ? "CIDv0 must be a bare sha2-256 multihash, not version-prefixed"
                    : "unsupported CID version \(version)")
            }
            code = try Varint.decode(bytes, at: &cursor)
        } catch where error.kind == .varint {
            throw CoreError(.cid, "bad CID header: \(error.message)")
        }
        guard let codec = Codec(rawValue: code) else {
            throw CoreError(.cid, "unsupported CID codec 0x\(String(code, radix: 16))")
        }
        let multihash: Multihash
        do throws(CoreError) {
            multihash = try Multihash.parse(bytes, at: &cursor)
        } catch {
            throw CoreError(.cid, "bad CID multihash: \(error.message)")
        }
        offset = cursor
        return CID(unchecked: 1, codec: codec, multihash: multihash)
    }

    /// The CIDv1 of a raw block hashed with sha2-256 (`bafkrei…`).
    public static func raw(sha256Of data: some Collection<UInt8>) -> CID {
        CID(unchecked: 1, codec: .raw, multihash: .sha256(of: data))
    }

    /// The CID of a dag-pb block hashed with sha2-256: `Qm…` for version 0, `bafybei…` for 1.
    public static func dagPB(sha256Of block: some Collection<UInt8>, version: Int = 1) -> CID {
        precondition(version == 0 || version == 1, "CID version must be 0 or 1")
        return CID(unchecked: version, codec: .dagPB, multihash: .sha256(of: block))
    }

    /// The binary form (CIDv0: the bare multihash).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength)
        append(to: &out)
        return out
    }

    /// Length of `bytes` without building it.
    public var encodedLength: Int {
        version == 0
            ? multihash.encodedLength
            : 1 + Varint.length(of: codec.rawValue) + multihash.encodedLength
    }

    /// Appends the binary form to `out`.
    public func append(to out: inout [UInt8]) {
        if version != 0 {
            Varint.encode(1, into: &out)
            Varint.encode(codec.rawValue, into: &out)
        }
        multihash.append(to: &out)
    }

    /// The same content as a CIDv1 (itself when already v1).
    public var v1: CID {
        version == 1 ? self : CID(unchecked: 1, codec: codec, multihash: multihash)
    }

    /// True iff the multihash is sha2-256 and matches `block`; always false for other hashes,
    /// which this module cannot verify.
    public func verifies(_ block: some Collection<UInt8>) -> Bool {
        multihash.verifies(block)
    }
}
