/// The sliver of dag-cbor a CARv1 header needs: `{"roots": [CID…], "version": 1}` with CIDs as
/// tag 42 over `0x00 ‖ binary CID`. Strict dag-cbor: definite lengths, minimal integer heads.
enum CARHeaderCBOR {
    private enum Major: UInt8 {
        case unsigned = 0, negative = 1, bytes = 2, text = 3, array = 4, map = 5, tag = 6, simple = 7
    }

    private static let cidTag: UInt64 = 42
    private static let rootsKey = Array("roots".utf8)
    private static let versionKey = Array("version".utf8)

    // MARK: encoding

    /// Encodes the header map, keys in dag-cbor canonical order (shorter key first).
    static func encode(roots: [CID]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(24 + roots.count * 42)
        appendHead(.map, 2, to: &out)
        appendHead(.text, UInt64(rootsKey.count), to: &out)
        out.append(contentsOf: rootsKey)
        appendHead(.array, UInt64(roots.count), to: &out)
        for root in roots {
            appendHead(.tag, cidTag, to: &out)
            // The leading 0x00 is the multibase "identity" prefix dag-cbor puts before CIDs.
            appendHead(.bytes, UInt64(root.encodedLength + 1), to: &out)
            out.append(0x00)
            root.append(to: &out)
        }
        appendHead(.text, UInt64(versionKey.count), to: &out)
        out.append(contentsOf: versionKey)
        appendHead(.unsigned, 1, to: &out)
        return out
    }

    private static func appendHead(_ major: Major, _ value: UInt64, to out: inout [UInt8]) {
        let top = major.rawValue << 5
        switch value {
        case 0..<24:
            out.append(top | UInt8(value))
        case 24...0xff:
            out.append(top | 24)
            out.append(UInt8(value))
        case 0x100...0xffff:
            out.append(top | 25)
            appendBigEndian(value, byteCount: 2, to: &out)
        case 0x1_0000...0xffff_ffff:
            out.append(top | 26)
            appendBigEndian(value, byteCount: 4, to: &out)
        default:
            out.append(top | 27)
            appendBigEndian(value, byteCount: 8, to: &out)
        }
    }

    private static func appendBigEndian(_ value: UInt64, byteCount: Int, to out: inout [UInt8]) {
        for shift in stride(from: (byteCount - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    // MARK: decoding

    /// Decodes the header at `range` of `bytes` and returns its roots.
    ///
    /// Requires exactly the keys `roots` (array of tag-42 CIDs) and `version` (= 1); throws
    /// `CoreError(.cbor, …)` for anything else, including trailing bytes.
    static func decodeRoots(_ bytes: [UInt8], range: Range<Int>) throws(CoreError) -> [CID] {
        var reader = Reader(bytes: bytes, offset: range.lowerBound, end: range.upperBound)
        let entryCount = try reader.readHead(expecting: .map, "header")
        var roots: [CID]?
        var version: UInt64?
        for _ in 0..<entryCount {
            let keyLength = try reader.readHead(expecting: .text, "header key")
            let key = try reader.take(keyLength)
            if key.elementsEqual(versionKey) {
                guard version == nil else { throw CoreError(.cbor, "duplicate header key \"version\"") }
                let value = try reader.readHead(expecting: .unsigned, "header version")
                // Checked here so a CARv2 pragma ({version: 2}) gets a precise message.
                guard value == 1 else { throw CoreError(.cbor, "unsupported CAR version \(value)") }
                version = value
            } else if key.elementsEqual(rootsKey) {
                guard roots == nil else { throw CoreError(.cbor, "duplicate header key \"roots\"") }
                roots = try readCIDArray(&reader)
            } else {
                throw CoreError(.cbor, "unexpected header key \(String(decoding: key, as: UTF8.self).debugDescription)")
            }
        }
        guard reader.offset == reader.end else {
            throw CoreError(.cbor, "\(reader.end - reader.offset) trailing bytes after header map")
        }
        guard version != nil else { throw CoreError(.cbor, "header has no version") }
        guard let roots else { throw CoreError(.cbor, "header has no roots") }
        return roots
    }

    private static func readCIDArray(_ reader: inout Reader) throws(CoreError) -> [CID] {
        let count = try reader.readHead(expecting: .array, "roots")
        // Every root takes well over one byte, so this bounds the allocation by the input.
        guard count <= UInt64(reader.end - reader.offset) else {
            throw CoreError(.cbor, "roots array longer than the header")
        }
        var roots: [CID] = []
        roots.reserveCapacity(Int(count))
        for _ in 0..<count {
            let tag = try reader.readHead(expecting: .tag, "root")
            guard tag == cidTag else { throw CoreError(.cbor, "root has tag \(tag), expected 42") }
            let length = try reader.readHead(expecting: .bytes, "root CID")
            let payload = try reader.take(length)
            guard payload.first == 0x00 else {
                throw CoreError(.cbor, "root CID lacks the 0x00 multibase prefix")
            }
            do throws(CoreError) {
                roots.append(try CID(bytes: Array(payload.dropFirst())))
            } catch {
                throw CoreError(.cbor, "bad root CID: \(error.message)")
            }
        }
        return roots
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset: Int
        let end: Int

        /// Reads an item head of the expected major type and returns its argument.
        mutating func readHead(expecting major: Major, _ what: String) throws(CoreError) -> UInt64 {
            let initial = try byte()
            guard initial >> 5 == major.rawValue else {
                throw CoreError(.cbor, "\(what): expected CBOR major type \(major.rawValue), found \(initial >> 5)")
            }
            let info = initial & 31
            let (byteCount, minimum): (Int, UInt64)
            switch info {
            case 0..<24: return UInt64(info)
            case 24: (byteCount, minimum) = (1, 24)
            case 25: (byteCount, minimum) = (2, 0x100)
            case 26: (byteCount, minimum) = (4, 0x1_0000)
            case 27: (byteCount, minimum) = (8, 0x1_0000_0000)
            case 31: throw CoreError(.cbor, "\(what): indefinite lengths are not allowed in dag-cbor")
            default: throw CoreError(.cbor, "\(what): reserved CBOR additional info \(info)")
            }
            var value: UInt64 = 0
            for _ in 0..<byteCount {
                value = value << 8 | UInt64(try byte())
            }
            guard value >= minimum else {
                throw CoreError(.cbor, "\(what): non-minimal CBOR integer encoding")
            }
            return value
        }

        mutating func take(_ count: UInt64) throws(CoreError) -> ArraySlice<UInt8> {
            guard count <= UInt64(end - offset) else {
                throw CoreError(.cbor, "truncated CBOR: \(count) bytes declared, \(end - offset) left")
            }
            let slice = bytes[offset..<(offset + Int(count))]
            offset += Int(count)
            return slice
        }

        private mutating func byte() throws(CoreError) -> UInt8 {
            guard offset < end else { throw CoreError(.cbor, "truncated CBOR") }
            defer { offset += 1 }
            return bytes[offset]
        }
    }
}
