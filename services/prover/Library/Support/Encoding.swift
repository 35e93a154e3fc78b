import PakitZK

/// Lowercase hex without prefix.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Hex of either case with an optional `0x`; nil on an odd length or another character.
    static func decode(_ text: String) -> [UInt8]? {
        var utf8 = Substring(text).utf8[...]
        if utf8.starts(with: "0x".utf8) || utf8.starts(with: "0X".utf8) { utf8 = utf8.dropFirst(2) }
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for character in utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let upper = high {
                bytes.append(upper << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}

/// Field elements from the API's decimal strings.
enum FieldText {
    /// The element for a decimal string of its standard value; throws naming `field` when the
    /// text is not plain ASCII digits or the value is not below r.
    static func element(_ text: String, _ field: @autoclosure () -> String) throws(ProverError) -> Fr {
        guard !text.isEmpty, text.utf8.count <= 100,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { throw .invalidRequest("\(field()) must be a decimal string of digits, got '\(text.prefix(40))'") }
        guard let value = UInt256(decimal: text), let element = Fr(value) else {
            throw .invalidRequest("\(field()) is not below the BN254 scalar field modulus r")
        }
        return element
    }
}
