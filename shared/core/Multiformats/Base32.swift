/// RFC 4648 base32 without padding, as used by multibase `b` (lowercase) and `B` (uppercase).
public enum Base32 {
    /// Which letter cases `decode` accepts.
    public enum LetterCase: Sendable {
        case lower, upper, either
    }

    private static let lowerAlphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    private static let upperAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes` as lowercase (default) or uppercase base32 with no `=` padding.
    public static func encode(_ bytes: some Collection<UInt8>, uppercase: Bool = false) -> String {
        let alphabet = uppercase ? upperAlphabet : lowerAlphabet
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                out.append(alphabet[Int((buffer >> UInt32(bitCount)) & 31)])
            }
        }
        if bitCount > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 31)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded base32.
    ///
    /// Strict: rejects padding, characters outside the alphabet (in the requested case),
    /// impossible lengths and non-zero leftover bits, so each byte string has one text form.
    public static func decode(_ text: some StringProtocol, letterCase: LetterCase = .either) throws(CoreError) -> [UInt8] {
        let utf8 = text.utf8
        // Lengths ≡ 1, 3, 6 (mod 8) cannot come from whole bytes.
        switch utf8.count % 8 {
        case 1, 3, 6: throw CoreError(.multibase, "invalid base32 length \(utf8.count)")
        default: break
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        for char in utf8 {
            guard let value = symbolValue(char, letterCase) else {
                throw CoreError(.multibase, "invalid base32 character \(Unicode.Scalar(char).escaped(asASCII: true))")
            }
            buffer = (buffer << 5) | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bitCount)))
            }
        }
        // Leftover bits are padding inside the last symbol and must be zero.
        if bitCount > 0, buffer & ((1 << UInt32(bitCount)) - 1) != 0 {
            throw CoreError(.multibase, "non-canonical base32 (non-zero trailing bits)")
        }
        return out
    }

    @inline(__always)
    private static func symbolValue(_ char: UInt8, _ letterCase: LetterCase) -> UInt8? {
        switch char {
        case UInt8(ascii: "a")...UInt8(ascii: "z") where letterCase != .upper:
            return char - UInt8(ascii: "a")
        case UInt8(ascii: "A")...UInt8(ascii: "Z") where letterCase != .lower:
            return char - UInt8(ascii: "A")
        case UInt8(ascii: "2")...UInt8(ascii: "7"):
            return char - UInt8(ascii: "2") + 26
        default:
            return nil
        }
    }
}
