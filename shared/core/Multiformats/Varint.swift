/// Unsigned LEB128 varints as used by multiformats (CIDs, multihashes, CAR framing).
///
/// Only the minimal encoding is valid and at most 9 bytes (63 bits) are accepted, so every
/// number has exactly one byte form — important because these bytes feed into hashes.
public enum Varint {
    /// The longest varint multiformats allows (9 × 7 = 63 bits).
    public static let maxLength = 9

    /// The encoded length of `value`, without encoding it.
    @inlinable
    public static func length(of value: UInt64) -> Int {
        // One byte per started group of 7 significant bits; zero still takes one byte.
        let bits = 64 - value.leadingZeroBitCount
        return max(1, (bits + 6) / 7)
    }

    /// The minimal encoding of `value`.
    ///
    /// Values of 2^63 and above need a 10th byte, which `decode` rejects; multiformats never
    /// uses such numbers.
    @inlinable
    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length(of: value))
        encode(value, into: &out)
        return out
    }

    /// Appends the minimal encoding of `value` to `out`.
    @inlinable
    public static func encode(_ value: UInt64, into out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// Decodes the varint starting at `offset` and advances `offset` past it.
    ///
    /// Throws `CoreError(.varint, …)` on truncated input, a non-minimal encoding (a redundant
    /// trailing zero group) or more than 9 bytes.
    @inlinable
    public static func decode<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at offset: inout Int
    ) throws(CoreError) -> UInt64 where Bytes.Index == Int {
        guard let value = try decodeIfComplete(bytes, at: &offset) else {
            throw CoreError(.varint, "truncated varint")
        }
        return value
    }

    /// Like `decode`, but returns `nil` (leaving `offset` unchanged) when the input ends inside
    /// the varint, so incremental readers can wait for more bytes instead of failing.
    @inlinable
    public static func decodeIfComplete<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at offset: inout Int
    ) throws(CoreError) -> UInt64? where Bytes.Index == Int {
        guard offset >= bytes.startIndex, offset <= bytes.endIndex else {
            throw CoreError(.varint, "offset \(offset) outside the input")
        }
        var value: UInt64 = 0
        var index = offset
        var shift: UInt64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                // A final zero group after other groups means the writer padded the number.
                if byte == 0, index - offset > 1 {
                    throw CoreError(.varint, "non-minimal varint encoding")
                }
                offset = index
                return value
            }
            shift += 7
            if index - offset >= maxLength {
                throw CoreError(.varint, "varint longer than \(maxLength) bytes")
            }
        }
        return nil
    }
}
