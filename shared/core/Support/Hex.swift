/// Hexadecimal, the one codec for byte strings in text: API fields (beacons, chunks, proofs),
/// digests in files and logs, and multibase `f`/`F` (`Base16`).
public enum Hex {
    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// Lowercase (default) or uppercase hexadecimal without prefix.
    public static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        let digits = uppercase ? upperDigits : lowerDigits
        var characters: [UInt8] = []
        characters.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Decodes API hexadecimal (either case, optional `0x`); nil on an odd length or a non-hex
    /// character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var utf8 = Substring(text).utf8[...]
        if utf8.starts(with: "0x".utf8) || utf8.starts(with: "0X".utf8) { utf8 = utf8.dropFirst(2) }
        return try? decodeDigits(utf8, letterCase: .either)
    }

    /// Which letter case `decodeDigits` accepts.
    public enum LetterCase: Sendable { case lower, upper, either }

    /// Decodes digits only (no prefix), accepting `letterCase`; throws naming what is wrong.
    public static func decodeDigits(_ utf8: some Collection<UInt8>, letterCase: LetterCase) throws(HexError) -> [UInt8] {
        guard utf8.count % 2 == 0 else { throw .oddLength(utf8.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for character in utf8 {
            guard let nibble = nibble(character, letterCase) else { throw .invalidCharacter(character) }
            if let upper = high {
                bytes.append(upper << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    @inline(__always)
    private static func nibble(_ character: UInt8, _ letterCase: LetterCase) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f") where letterCase != .upper: character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where letterCase != .lower: character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why hexadecimal did not decode.
public enum HexError: Error, Sendable, Equatable {
    case oddLength(Int)
    case invalidCharacter(UInt8)
}
