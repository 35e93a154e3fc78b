import Crypto
import Foundation
import PakitConfiguration
import PakitFiles

/// The node's long-lived Ed25519 identity, kept as a 0600 file in the data directory. It signs
/// share links today and will sign gossip; it is never logged.
public struct NodeIdentity: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    /// Loads `<directory>/node-ed25519.key` or creates it. Concurrent first starts agree on one key.
    public static func loadOrCreate(in directory: String) throws -> NodeIdentity {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try loadOrCreate(file: "\(directory)/node-ed25519.key")
    }

    /// Loads the key file at `path` (a base64 Ed25519 seed) or creates it (0600) in an existing directory.
    public static func loadOrCreate(file path: String) throws -> NodeIdentity {
        if !FileManager.default.fileExists(atPath: path) {
            let key = Curve25519.Signing.PrivateKey()
            _ = try AtomicFile.createExclusively(key.rawRepresentation.base64EncodedString() + "\n", at: path)
        }
        let text = try TextFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else {
            throw ConfigurationError("node key \(path) is not a base64 Ed25519 seed")
        }
        return NodeIdentity(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try privateKey.signature(for: message))
    }

    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: message)
    }

    /// Whether `signature` is `publicKey`'s (raw 32 bytes) over `message`; false for a malformed key.
    public static func verify(_ signature: [UInt8], for message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

extension NodeIdentity {
    /// The chain relay's account key: `<data-dir>/keys/chain-relay-ed25519.key`, the same file
    /// format (a base64 Ed25519 seed, 0600). `pakit up --devchain` reads it to endow the account.
    public static func chainRelayKeyPath(dataDirectory: String) -> String { "\(dataDirectory)/keys/chain-relay-ed25519.key" }
}
