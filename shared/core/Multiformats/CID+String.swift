extension CID: CustomStringConvertible {
    /// Parses the text form strictly.
    ///
    /// A 46-character `Qm…` string is CIDv0 (base58btc). Anything else must be a multibase
    /// CIDv1 in `b`/`B` (base32), `z` (base58btc) or `f`/`F` (base16). Rejected: a decoded first
    /// byte 0x12 (a multihash is not a CIDv18), version 0 in v1 form, versions above 1, unknown
    /// codecs, bad digest lengths and trailing bytes.
    public init(_ string: String) throws(CoreError) {
        let utf8 = string.utf8
        if utf8.count == 46, string.hasPrefix("Qm") {
            let decoded: [UInt8]
            do throws(CoreError) {
                decoded = try Base58.decode(string)
            } catch {
                throw CoreError(.cid, "invalid CIDv0 \(string.debugDescription): \(error.message)")
            }
            guard decoded.count == 34, decoded[0] == 0x12, decoded[1] == 0x20 else {
                throw CoreError(.cid, "invalid CIDv0 \(string.debugDescription): not a sha2-256 multihash")
            }
            self.init(unchecked: 0, codec: .dagPB, multihash: Multihash(unchecked: Multihash.sha2_256, digest: Array(decoded[2...])))
            return
        }
        let decoded: [UInt8]
        do throws(CoreError) {
            decoded = try Multibase.decode(string).bytes
        } catch {
            throw CoreError(.cid, "invalid CID string \(Self.excerpt(string)): \(error.message)")
        }
        // A multibase-wrapped CIDv0 would start with 0x12; the CID spec forbids that form.
        guard decoded.first != 0x12 else {
            throw CoreError(.cid, "invalid CID string \(Self.excerpt(string)): a bare multihash is not a CIDv1 (there is no CIDv18)")
        }
        try self.init(bytes: decoded)
    }

    /// The canonical text form: base58btc for CIDv0, lowercase base32 with `b` for CIDv1.
    public var string: String {
        version == 0 ? Base58.encode(bytes) : Multibase.base32.encode(bytes)
    }

    /// A CIDv1 in another multibase (a CIDv0 is always base58btc without a prefix).
    public func string(base: Multibase) -> String {
        version == 0 ? string : base.encode(bytes)
    }

    /// Same as `string`.
    public var description: String { string }

    /// Keeps error messages short when the input is huge.
    private static func excerpt(_ string: String) -> String {
        string.utf8.count <= 80 ? string.debugDescription : String(string.prefix(77)).debugDescription + "…"
    }
}

extension CID: Comparable {
    /// Orders by the binary form, bytewise (stable across processes, unlike hash order).
    public static func < (lhs: CID, rhs: CID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension CID: Codable {
    /// Decodes from the text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do throws(CoreError) {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes as the text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
