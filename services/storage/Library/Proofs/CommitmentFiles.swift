import Crypto
import Foundation
import PakitCore
import PakitFiles
import PakitZK

/// Where storage keeps commitment trees: `<data-dir>/commitments/<CIDv1>.tree`, each the
/// prover's serialized tree (`CommitmentTree.serialized()`), written durably before the
/// commitment row says `done`. The row keeps the file name (relative to the directory, so the
/// data directory can move) and the file's SHA-256.
struct CommitmentFiles: Sendable {
    let directory: String

    init(dataDirectory: String) throws {
        directory = "\(dataDirectory)/commitments"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func name(for cid: CID) -> String { "\(cid.v1.string).tree" }

    /// Writes `bytes` as the tree of `cid`: temporary file, fsync, rename, fsync of the
    /// directory, so the name only ever refers to a complete, durable file. Returns the file
    /// name and the hex SHA-256 of the bytes.
    func write(_ bytes: [UInt8], for cid: CID) throws(StorageError) -> (name: String, sha256: String) {
        let target = "\(directory)/\(name(for: cid))"
        do {
            try AtomicFile.write(bytes, to: target)
        } catch {
            throw .internalFailure("cannot write commitment tree: \(error)")
        }
        return (name(for: cid), Self.sha256Hex(bytes))
    }

    /// Reads a tree written by `write`, checking the file against the hash the database kept.
    /// Nodes were recomputed when the tree arrived, so only the checksum is verified here.
    func read(name: String, sha256: String) throws(StorageError) -> CommitmentTree {
        let path = "\(directory)/\(name)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .internalFailure("commitment tree \(path) is missing")
        }
        let bytes = [UInt8](data)
        guard Self.sha256Hex(bytes) == sha256 else { throw .internalFailure("commitment tree \(path) is corrupt (SHA-256 differs)") }
        do {
            return try CommitmentTree(serialized: bytes, check: .checksumOnly)
        } catch {
            throw .internalFailure("commitment tree \(path) cannot be read: \(error)")
        }
    }

    /// Start-up cleanup: unfinished writes, and tree files no finished commitment refers to
    /// (a crash between the rename and the row update). Returns how many were removed.
    func removeLeftovers(keeping done: Set<String>) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = 0
        for name in names {
            if AtomicFile.isTemporaryName(name) || (name.hasSuffix(".tree") && !done.contains(name)) {
                if unlink("\(directory)/\(name)") == 0 { removed += 1 }
            }
        }
        return removed
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
