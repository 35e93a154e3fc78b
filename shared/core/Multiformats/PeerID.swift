/// A libp2p peer ID of an Ed25519 key, so IPFS tools can name Pakit nodes.
///
/// The key's protobuf form (`PublicKey { Type = Ed25519 (1), Data = 32 bytes }`: 36 bytes) is
/// at most 42 bytes, so the peer ID is its *identity* multihash, not a hash of it; printed in
/// base58btc it starts `12D3KooW`. Only Ed25519 keys are used by Pakit, so only they parse.
public struct PeerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    public init(ed25519PublicKey key: some Collection<UInt8>) throws(CoreError) {
        guard key.count == 32 else { throw CoreError(.peerID, "an Ed25519 public key has 32 bytes, got \(key.count)") }
        publicKey = Array(key)
    }

    /// Parses the base58btc text form (`12D3KooW…`).
    public init(_ text: some StringProtocol) throws(CoreError) {
        guard text.utf8.count <= 64 else { throw CoreError(.peerID, "a peer ID has at most 64 characters") }
        try self.init(bytes: Base58.decode(text))
    }

    /// Parses the binary form: `identity multihash (0x00, 36) ‖ 08 01 12 20 ‖ key`.
    public init(bytes: [UInt8]) throws(CoreError) {
        guard bytes.count == 38, bytes[0..<6].elementsEqual(Self.prefix) else {
            throw CoreError(.peerID, "not the peer ID of an Ed25519 key (identity multihash of its protobuf form)")
        }
        publicKey = Array(bytes[6...])
    }

    /// Identity multihash header (code 0x00, length 36), then the protobuf field headers:
    /// field 1 (Type) varint = 1 (Ed25519), field 2 (Data) length-delimited, 32 bytes.
    private static let prefix: [UInt8] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]

    /// The libp2p `PublicKey` protobuf of the key.
    public var protobufPublicKey: [UInt8] { Array(Self.prefix[2...]) + publicKey }

    /// The binary peer ID (a multihash).
    public var bytes: [UInt8] { Self.prefix + publicKey }

    /// The base58btc text form.
    public var string: String { Base58.encode(bytes) }

    public var description: String { string }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.publicKey.lexicographicallyPrecedes(rhs.publicKey) }
}
