/// Reads SCALE from untrusted bytes: every length and count is checked against what is left
/// before anything is allocated, and nothing traps.
public struct ScaleReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(offset, 0), bytes.count)
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func u8() throws(ChainError) -> UInt8 {
        guard offset < bytes.count else { throw ChainError(.scale, "input ends where a byte was expected (offset \(offset))") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool() throws(ChainError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let other: throw ChainError(.scale, "bool byte \(other) at offset \(offset - 1) is neither 0 nor 1")
        }
    }

    public mutating func u16() throws(ChainError) -> UInt16 { UInt16(try littleEndian(count: 2)) }
    public mutating func u32() throws(ChainError) -> UInt32 { UInt32(try littleEndian(count: 4)) }
    public mutating func u64() throws(ChainError) -> UInt64 { UInt64(try littleEndian(count: 8)) }
    public mutating func u128() throws(ChainError) -> UInt128 { try littleEndian(count: 16) }

    /// Exactly `count` bytes.
    public mutating func raw(_ count: Int) throws(ChainError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw ChainError(.scale, "\(count) bytes wanted at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// `Vec<u8>`: a Compact length, then that many bytes (at most `maximumLength`).
    public mutating func byteVector(maximumLength: Int = 16 << 20) throws(ChainError) -> [UInt8] {
        try raw(try length(maximum: maximumLength))
    }

    /// A Compact count of items that each take at least `minimumItemBytes`, checked against
    /// both `maximum` and what is left of the input.
    public mutating func length(maximum: Int, minimumItemBytes: Int = 1) throws(ChainError) -> Int {
        let start = offset
        let value = try compact()
        guard value <= UInt128(maximum) else {
            throw ChainError(.scale, "a length of \(value) at offset \(start) exceeds the limit of \(maximum)")
        }
        let count = Int(value)
        let (needed, overflow) = count.multipliedReportingOverflow(by: max(minimumItemBytes, 0))
        guard !overflow, needed <= remaining else {
            throw ChainError(.scale, "a length of \(count) at offset \(start) is more than the \(remaining) bytes left can hold")
        }
        return count
    }

    /// `Compact<uN>`, refusing non-canonical forms (a value encoded longer than it needs), as
    /// Substrate's decoder does.
    public mutating func compact() throws(ChainError) -> UInt128 {
        let start = offset
        let first = try u8()
        switch first & 0b11 {
        case 0b00:
            return UInt128(first >> 2)
        case 0b01:
            let value = (UInt128(try u8()) << 8 | UInt128(first)) >> 2
            guard value >= 1 << 6 else { throw ChainError(.scale, "non-canonical compact at offset \(start)") }
            return value
        case 0b10:
            offset = start
            let value = try littleEndian(count: 4) >> 2
            guard value >= 1 << 14 else { throw ChainError(.scale, "non-canonical compact at offset \(start)") }
            return value
        default:
            let count = Int(first >> 2) + 4
            guard count <= 16 else { throw ChainError(.scale, "a compact of \(count) bytes at offset \(start) exceeds 128 bits") }
            let value = try littleEndian(count: count)
            guard value >= 1 << 30, count == 4 || value >> (8 * (count - 1)) != 0 else {
                throw ChainError(.scale, "non-canonical compact at offset \(start)")
            }
            return value
        }
    }

    /// A Compact that must fit in a `UInt32` (nonces, lengths).
    public mutating func compactU32() throws(ChainError) -> UInt32 {
        let start = offset
        let value = try compact()
        guard value <= UInt128(UInt32.max) else { throw ChainError(.scale, "compact at offset \(start) exceeds u32") }
        return UInt32(value)
    }

    private mutating func littleEndian(count: Int) throws(ChainError) -> UInt128 {
        let data = try raw(count)
        var value: UInt128 = 0
        for (index, byte) in data.enumerated() { value |= UInt128(byte) << (8 * index) }
        return value
    }
}
