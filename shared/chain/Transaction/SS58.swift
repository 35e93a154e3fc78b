import PakitCore

/// SS58 account addresses: base58btc of `prefix ‖ public key ‖ checksum`, the checksum being the
/// first two bytes of BLAKE2b-512("SS58PRE" ‖ prefix ‖ key). BelizeChain uses prefix 1981,
/// which takes the two-byte form. Accounts are compared as raw bytes, never as text.
public enum SS58 {
    public static let belizeChainPrefix: UInt16 = 1981

    public static func encode(_ publicKey: [UInt8], prefix: UInt16 = belizeChainPrefix) -> String {
        let head = prefixBytes(prefix)
        let checksum = Blake2b.hash(Array("SS58PRE".utf8) + head + publicKey, outputLength: 64).prefix(2)
        return Base58.encode(head + publicKey + checksum)
    }

    /// The 32-byte account of `text`, which must carry `prefix` and a valid checksum.
    public static func decode(_ text: String, prefix: UInt16 = belizeChainPrefix) throws(ChainError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try Base58.decode(text) } catch {
            throw ChainError(.ss58, "'\(text.prefix(60))' is not base58: \(error.message)")
        }
        let head = prefixBytes(prefix)
        guard bytes.count == head.count + 32 + 2 else {
            throw ChainError(.ss58, "an SS58 account of prefix \(prefix) has \(head.count + 34) bytes, this one \(bytes.count)")
        }
        guard Array(bytes.prefix(head.count)) == head else {
            throw ChainError(.ss58, "the address is not for network prefix \(prefix)")
        }
        let key = Array(bytes[head.count..<(head.count + 32)])
        let checksum = Blake2b.hash(Array("SS58PRE".utf8) + head + key, outputLength: 64).prefix(2)
        guard Array(bytes.suffix(2)) == Array(checksum) else { throw ChainError(.ss58, "the address's checksum is wrong") }
        return key
    }

    /// One byte below 64, else the two-byte form.
    static func prefixBytes(_ prefix: UInt16) -> [UInt8] {
        if prefix < 64 { return [UInt8(prefix)] }
        return [UInt8((prefix & 0b1111_1100) >> 2) | 0b0100_0000, UInt8(prefix >> 8) | UInt8((prefix & 0b11) << 6)]
    }
}
