/// Hexadecimal (multibase `f` lowercase, `F` uppercase).
public enum Base16 {
    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// Encodes `bytes` as lowercase (default) or uppercase hex.
    public static func encode(_ bytes: some Collection<UInt8>, uppercase: Bool = false) -> String {
        let digits = uppercase ? upperDigits : lowerDigits
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex of an even length; `letterCase` restricts the accepted letter case.
    public static func decode(_ text: some StringProtocol, letterCase: Base32.LetterCase = .either) throws(CoreError) -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else {
            throw CoreError(.multibase, "odd hex length \(utf8.count)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for char in utf8 {
            guard let nibble = nibbleValue(char, letterCase) else {
                throw CoreError(.multibase, "invalid hex character \(Unicode.Scalar(char).escaped(asASCII: true))")
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    @inline(__always)
    private static func nibbleValue(_ char: UInt8, _ letterCase: Base32.LetterCase) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f") where letterCase != .upper: return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where letterCase != .lower: return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
