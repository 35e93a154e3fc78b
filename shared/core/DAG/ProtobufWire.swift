/// Minimal protobuf wire-format helpers for dag-pb and UnixFS (both are tiny, fixed schemas,
/// so a generated protobuf runtime would be overkill).
enum ProtobufWire {
    /// Wire types used by the two schemas.
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// Encoded size of a field key.
    @inline(__always)
    static func keySize(field: UInt64) -> Int {
        Varint.length(of: field << 3)
    }

    /// Encoded size of a length-delimited field whose payload is `count` bytes.
    @inline(__always)
    static func lengthDelimitedSize(field: UInt64, count: Int) -> Int {
        keySize(field: field) + Varint.length(of: UInt64(count)) + count
    }

    /// Encoded size of a varint field.
    @inline(__always)
    static func varintFieldSize(field: UInt64, value: UInt64) -> Int {
        keySize(field: field) + Varint.length(of: value)
    }

    @inline(__always)
    static func appendKey(field: UInt64, _ wireType: WireType, to out: inout [UInt8]) {
        Varint.encode(field << 3 | UInt64(wireType.rawValue), into: &out)
    }

    @inline(__always)
    static func appendVarintField(field: UInt64, value: UInt64, to out: inout [UInt8]) {
        appendKey(field: field, .varint, to: &out)
        Varint.encode(value, into: &out)
    }

    @inline(__always)
    static func appendBytesField(field: UInt64, _ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        appendKey(field: field, .lengthDelimited, to: &out)
        Varint.encode(UInt64(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }
}

/// Reads protobuf fields from a region of a byte array without copying it.
///
/// Errors are reported with the caller's `kind` so a bad UnixFS message reads as a UnixFS
/// error, not a protobuf one.
struct ProtobufReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int
    let kind: CoreError.Kind

    init(_ bytes: [UInt8], range: Range<Int>? = nil, kind: CoreError.Kind) {
        self.bytes = bytes
        let range = range ?? bytes.indices
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.kind = kind
    }

    var isAtEnd: Bool { offset >= end }

    /// Reads a field key; unknown wire types (groups, 3/4/6/7) are rejected here.
    mutating func readKey() throws(CoreError) -> (field: UInt64, wireType: ProtobufWire.WireType) {
        let key = try readVarint()
        let field = key >> 3
        guard field != 0 else {
            throw CoreError(kind, "invalid protobuf field number 0")
        }
        guard let wireType = ProtobufWire.WireType(rawValue: UInt8(key & 7)) else {
            throw CoreError(kind, "unsupported protobuf wire type \(key & 7) for field \(field)")
        }
        return (field, wireType)
    }

    /// Reads a protobuf varint (up to 10 bytes; protobuf does not require minimal encoding).
    mutating func readVarint() throws(CoreError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while index < end {
            let byte = bytes[index]
            index += 1
            // The 10th byte may only contribute the single remaining bit.
            if shift == 63, byte > 1 {
                throw CoreError(kind, "protobuf varint overflows 64 bits")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                offset = index
                return value
            }
            shift += 7
        }
        throw CoreError(kind, index - offset >= 10 ? "protobuf varint too long" : "truncated protobuf varint")
    }

    /// Reads a length-delimited payload and returns its range in `bytes`.
    mutating func readLengthDelimited() throws(CoreError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(end - offset) else {
            throw CoreError(kind, "truncated protobuf field: \(length) bytes declared, \(end - offset) left")
        }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    /// Reads a little-endian fixed32.
    mutating func readFixed32() throws(CoreError) -> UInt32 {
        guard end - offset >= 4 else {
            throw CoreError(kind, "truncated protobuf fixed32")
        }
        var value: UInt32 = 0
        for i in 0..<4 {
            value |= UInt32(bytes[offset + i]) << (8 * UInt32(i))
        }
        offset += 4
        return value
    }

    /// Skips a field's value (used only where unknown fields are tolerated).
    mutating func skip(_ wireType: ProtobufWire.WireType) throws(CoreError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .fixed64:
            guard end - offset >= 8 else { throw CoreError(kind, "truncated protobuf fixed64") }
            offset += 8
        }
    }
}
