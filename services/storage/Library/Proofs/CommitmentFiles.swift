import Crypto
import Foundation
import PakitConcurrency
import PakitCore
import PakitFiles
import PakitZK

/// Where storage keeps commitment trees: `<data-dir>/commitments/<CIDv1>.tree`, each the
/// prover's serialized tree (`CommitmentTree.serialized()`), written durably before the
/// commitment row says `done`. The row keeps the file name (relative to the directory, so the
/// data directory can move) and the file's SHA-256.
struct CommitmentFiles: Sendable {
    let directory: String
    /// File calls run on `executors.blockingIO`, hashing and tree parsing on `executors.compute`.
    let executors: ServiceExecutors

    /// Creates the directory. Call once at start-up, from a blocking-I/O thread.
    init(dataDirectory: String, executors: ServiceExecutors) throws {
        directory = "\(dataDirectory)/commitments"
        self.executors = executors
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func name(for cid: CID) -> String { "\(cid.v1.string).tree" }

    /// Writes `bytes` as the tree of `cid`: temporary file, fsync, rename, fsync of the
    /// directory, so the name only ever refers to a complete, durable file. Returns the file
    /// name and the hex SHA-256 of the bytes.
    func write(_ bytes: [UInt8], for cid: CID) async throws(StorageError) -> (name: String, sha256: String) {
        let target = "\(directory)/\(name(for: cid))"
        try await executors.blockingIO.run { () throws(StorageError) in
            do {
                try AtomicFile.write(bytes, to: target)
            } catch {
                throw .internalFailure("cannot write commitment tree: \(error)")
            }
        }
        let sha256 = await executors.compute.run { Self.sha256Hex(bytes) }
        return (name(for: cid), sha256)
    }

    /// Reads a tree written by `write`, checking the file against the hash the database kept.
    /// Nodes were recomputed when the tree arrived, so only the checksum is verified here.
    func read(name: String, sha256: String) async throws(StorageError) -> CommitmentTree {
        let path = "\(directory)/\(name)"
        guard let data = await executors.blockingIO.run({ FileManager.default.contents(atPath: path) }) else {
            throw .internalFailure("commitment tree \(path) is missing")
        }
        return try await executors.compute.run { () throws(StorageError) -> CommitmentTree in
            let bytes = [UInt8](data)
            guard Self.sha256Hex(bytes) == sha256 else { throw .internalFailure("commitment tree \(path) is corrupt (SHA-256 differs)") }
            do {
                return try CommitmentTree(serialized: bytes, check: .checksumOnly)
            } catch {
                throw .internalFailure("commitment tree \(path) cannot be read: \(error)")
            }
        }
    }

    /// Start-up cleanup: unfinished writes, and tree files no finished commitment refers to
    /// (a crash between the rename and the row update). Returns how many were removed.
    func removeLeftovers(keeping done: Set<String>) async -> Int {
        await executors.blockingIO.run { [directory] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            var removed = 0
            for name in names {
                if AtomicFile.isTemporaryName(name) || (name.hasSuffix(".tree") && !done.contains(name)) {
                    if unlink("\(directory)/\(name)") == 0 { removed += 1 }
                }
            }
            return removed
        }
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}
