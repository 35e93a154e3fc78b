import Foundation
import Glibc
import PakitCore

/// What the block store throws.
enum BlockStoreError: Error, Sendable, CustomStringConvertible {
    case io(String)
    case corrupt(String)

    var description: String {
        switch self {
        case .io(let m): "block store I/O: \(m)"
        case .corrupt(let m): "corrupt block: \(m)"
        }
    }
}

/// How a block sits on disk.
enum StoredEncoding: UInt8, Sendable {
    case plain = 0
    case zstd = 1

    var name: String { self == .plain ? "none" : "zstd" }
}

/// A block written to a temporary file, not yet visible under its name.
struct StagedBlock: Sendable {
    let cid: CID
    let size: Int
    let storedSize: Int
    let encoding: StoredEncoding
    let temporaryPath: String
}

/// Content-addressed files: `blocks/<shard>/<CIDv1>`, one file per block, first byte the
/// encoding (plain or zstd) and then the bytes. A file appears under its name only after its
/// contents are on stable storage (write temp → group sync → rename → group sync), so a name
/// always means a complete block; metadata is committed after that.
final class BlockStore: Sendable {
    let root: String
    private let temporaryDirectory: String
    let groupSync: GroupSync

    init(root: String) throws {
        self.root = root
        temporaryDirectory = "\(root)/.tmp"
        try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        groupSync = try GroupSync(directory: root)
    }

    /// Removes temporary leftovers of writes that never finished (crash recovery).
    func removeTemporaryFiles() throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)) ?? []
        for name in names { unlink("\(temporaryDirectory)/\(name)") }
        return names.count
    }

    /// Storage key: CIDv0 and CIDv1 of the same dag-pb bytes are one block.
    static func fileName(_ cid: CID) -> String { cid.v1.string }

    func path(for cid: CID) -> String {
        let name = Self.fileName(cid)
        let shard = String(name.suffix(3).prefix(2))
        return "\(root)/\(shard)/\(name)"
    }

    func contains(_ cid: CID) -> Bool {
        access(path(for: cid), F_OK) == 0
    }

    /// Size on disk and encoding of a stored block, or nil when it is not stored.
    func storedInfo(_ cid: CID) -> (storedSize: Int, encoding: StoredEncoding)? {
        let fd = open(path(for: cid), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        var first: UInt8 = 0
        guard fstat(fd, &info) == 0, Glibc.read(fd, &first, 1) == 1, let encoding = StoredEncoding(rawValue: first) else { return nil }
        return (Int(info.st_size), encoding)
    }

    /// Writes the block to a temporary file (compressed when that pays). Not durable yet.
    func stage(_ block: Block) throws(BlockStoreError) -> StagedBlock {
        let compressed = BlockCompression.compressIfWorthwhile(block.bytes)
        let encoding: StoredEncoding = compressed == nil ? .plain : .zstd
        let payload = compressed ?? block.bytes
        let temporaryPath = "\(temporaryDirectory)/\(UUID().uuidString)"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("create \(temporaryPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard writeAll(fd, [encoding.rawValue]), writeAll(fd, payload) else {
            unlink(temporaryPath)
            throw .io("write \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        return StagedBlock(cid: block.cid, size: block.bytes.count, storedSize: payload.count + 1,
                           encoding: encoding, temporaryPath: temporaryPath)
    }

    /// Makes staged blocks durable and visible under their names: one shared flush for the
    /// contents, renames, one shared flush for the directory entries.
    func commit(_ staged: [StagedBlock]) async throws {
        guard !staged.isEmpty else { return }
        try await groupSync.sync()
        for block in staged {
            let destination = path(for: block.cid)
            if rename(block.temporaryPath, destination) != 0 {
                if errno == ENOENT {
                    mkdir((destination as NSString).deletingLastPathComponent, 0o755)
                    if rename(block.temporaryPath, destination) == 0 { continue }
                }
                throw BlockStoreError.io("rename to \(destination): \(String(cString: strerror(errno)))")
            }
        }
        try await groupSync.sync()
    }

    /// Drops staged files of an aborted write.
    func discard(_ staged: [StagedBlock]) {
        for block in staged { unlink(block.temporaryPath) }
    }

    /// Reads a block, verifying it hashes to its CID so a damaged file is never served.
    func read(_ cid: CID) throws(BlockStoreError) -> [UInt8]? {
        let fd = open(path(for: cid), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io("open \(cid): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("stat \(cid)") }
        let size = Int(info.st_size)
        guard size >= 1 else { throw .corrupt("\(cid): empty file") }
        var encodingByte: UInt8 = 0
        var payload = [UInt8](repeating: 0, count: size - 1)
        let complete = Glibc.read(fd, &encodingByte, 1) == 1 && payload.withUnsafeMutableBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return false }
                let n = Glibc.read(fd, base + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard complete else { throw .corrupt("\(cid): short read") }
        guard let encoding = StoredEncoding(rawValue: encodingByte) else { throw .corrupt("\(cid): unknown encoding") }
        let block = encoding == .plain ? payload : try BlockCompression.decompress(payload[...])
        guard cid.verifies(block) else { throw .corrupt("\(cid): bytes do not hash to the CID") }
        return block
    }

    /// Removes a block file (GC). Missing is fine.
    func remove(_ cid: CID) {
        unlink(path(for: cid))
    }

    /// Every block file name (the CIDv1 string), for reconciliation and orphan collection.
    func allFileNames() -> [String] {
        var names: [String] = []
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for shard in shards where shard != ".tmp" {
            names += (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(shard)")) ?? []
        }
        return names
    }
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { buffer in
        guard let base = buffer.baseAddress else { return true }
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, base + offset, buffer.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
