/// Hexadecimal as multibase `f` (lowercase) and `F` (uppercase), over the one `Hex` codec.
public enum Base16 {
    /// Encodes `bytes` as lowercase (default) or uppercase hex.
    public static func encode(_ bytes: some Collection<UInt8>, uppercase: Bool = false) -> String {
        Hex.encode(bytes, uppercase: uppercase)
    }

    /// Decodes hex of an even length; `letterCase` restricts the accepted letter case.
    public static func decode(_ text: some StringProtocol, letterCase: Base32.LetterCase = .either) throws(CoreError) -> [UInt8] {
        let hexCase: Hex.LetterCase = switch letterCase {
        case .lower: .lower
        case .upper: .upper
        case .either: .either
        }
        do {
            return try Hex.decodeDigits(text.utf8, letterCase: hexCase)
        } catch {
            switch error {
            case .oddLength(let count): throw CoreError(.multibase, "odd hex length \(count)")
            case .invalidCharacter(let character):
                throw CoreError(.multibase, "invalid hex character \(Unicode.Scalar(character).escaped(asASCII: true))")
            }
        }
    }
}
