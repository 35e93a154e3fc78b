/// Self-describing text encodings: one prefix character names the base.
///
/// Only the bases CIDs are commonly written in are supported.
public enum Multibase: Character, Sendable, CaseIterable {
    case base16 = "f"
    case base16Upper = "F"
    case base32 = "b"
    case base32Upper = "B"
    case base58btc = "z"

    /// Encodes `bytes` with this base, prefix included.
    public func encode(_ bytes: some Collection<UInt8>) -> String {
        let body: String
        switch self {
        case .base16: body = Base16.encode(bytes)
        case .base16Upper: body = Base16.encode(bytes, uppercase: true)
        case .base32: body = Base32.encode(bytes)
        case .base32Upper: body = Base32.encode(bytes, uppercase: true)
        case .base58btc: body = Base58.encode(bytes)
        }
        return String(rawValue) + body
    }

    /// Decodes prefixed text, returning the base it used and the bytes.
    ///
    /// The letter case must match the prefix (`b` is lowercase only, `B` uppercase only), so a
    /// value has a single spelling per base.
    public static func decode(_ text: some StringProtocol) throws(CoreError) -> (base: Multibase, bytes: [UInt8]) {
        guard let prefix = text.first else {
            throw CoreError(.multibase, "empty multibase string")
        }
        guard let base = Multibase(rawValue: prefix) else {
            throw CoreError(.multibase, "unsupported multibase prefix \(String(prefix).debugDescription)")
        }
        let body = text.dropFirst()
        switch base {
        case .base16: return (base, try Base16.decode(body, letterCase: .lower))
        case .base16Upper: return (base, try Base16.decode(body, letterCase: .upper))
        case .base32: return (base, try Base32.decode(body, letterCase: .lower))
        case .base32Upper: return (base, try Base32.decode(body, letterCase: .upper))
        case .base58btc: return (base, try Base58.decode(body))
        }
    }
}
