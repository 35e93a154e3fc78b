import Foundation
import PakitChain
import PakitConfiguration
import PakitCore
import PakitFiles
import PakitIdentity

/// The relay's account: an ed25519 seed in a file only its owner can read. Created (0600) in
/// the data directory when missing; an operator's file may hold the seed as base64 or as the
/// `0x…` hex Substrate tools print, and is refused when others may read it.
enum RelayKey {
    static func defaultPath(dataDirectory: String) -> String { NodeIdentity.chainRelayKeyPath(dataDirectory: dataDirectory) }

    static func loadOrCreate(path: String, create: Bool) throws -> ChainSigner {
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { throw ConfigurationError("the relay key file \(path) does not exist") }
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            // The node key's format and exclusive 0600 creation: `pakit up --devchain` may create
            // the same file first, to endow the account.
            _ = try NodeIdentity.loadOrCreate(file: path)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 {
            throw ConfigurationError("the relay key file \(path) may be read by others (mode \(String(mode & 0o777, radix: 8))); chmod 600 it")
        }
        let text = try TextFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        let seed: [UInt8]
        if text.hasPrefix("0x"), let bytes = Hex.decode(text), bytes.count == 32 {
            seed = bytes
        } else if let data = Data(base64Encoded: text), data.count == 32 {
            seed = Array(data)
        } else {
            throw ConfigurationError("the relay key file \(path) holds neither a base64 nor a 0x-hex 32-byte ed25519 seed")
        }
        do {
            return try ChainSigner(seed: seed)
        } catch {
            throw ConfigurationError("the relay key file \(path): \(error)")
        }
    }
}
