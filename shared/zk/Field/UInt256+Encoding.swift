/// Byte, decimal and hexadecimal conversions for `UInt256`.
extension UInt256 {
    /// Parses exactly 32 big-endian bytes.
    public init?(bigEndianBytes bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            let word = 3 - index / 8
            words[word] = (words[word] << 8) | UInt64(byte)
        }
        self.init(words[0], words[1], words[2], words[3])
    }

    /// The value as 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for word in [l3, l2, l1, l0] {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return bytes
    }

    /// Parses a non-empty string of ASCII decimal digits; nil on any other character or on overflow.
    public init?(decimal text: String) {
        guard !text.isEmpty else { return nil }
        var value = UInt256.zero
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"),
                  let next = value.multipliedAdding(10, UInt64(byte - UInt8(ascii: "0")))
            else { return nil }
            value = next
        }
        self = value
    }

    /// Parses hexadecimal digits (either case) with an optional `0x` prefix; nil on overflow.
    public init?(hex text: String) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty else { return nil }
        var value = UInt256.zero
        for byte in digits.utf8 {
            guard let nibble = Self.hexNibble(byte),
                  let next = value.multipliedAdding(16, UInt64(nibble))
            else { return nil }
            value = next
        }
        self = value
    }

    /// Decimal digits without leading zeros ("0" for zero).
    public var decimalString: String {
        if isZero { return "0" }
        // Peel off 19 decimal digits at a time (10¹⁹ is the largest power of ten in a UInt64).
        let chunk: UInt64 = 10_000_000_000_000_000_000
        var chunks: [UInt64] = []
        var value = self
        while !value.isZero {
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: chunk)
            chunks.append(remainder)
            value = quotient
        }
        var text = String(chunks.removeLast())
        for part in chunks.reversed() {
            let digits = String(part)
            text += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return text
    }

    /// `0x` followed by exactly 64 lowercase hexadecimal digits.
    public var hexString: String {
        var text = "0x"
        for word in [l3, l2, l1, l0] {
            let digits = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return text
    }

    private static func hexNibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
