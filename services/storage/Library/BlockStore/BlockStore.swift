import CLinux
import Foundation
import Glibc
import PakitConcurrency
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
///
/// File system calls that may wait for the disk run on `executors.blockingIO`, zstd and hashing
/// of large blocks on `executors.compute`, never on the cooperative pool (see
/// `ServiceExecutors`). The one exception is a small block the kernel already caches, which
/// `read` serves in place because it provably cannot wait (`readCachedSmallFile`).
final class BlockStore: Sendable {
    let root: String
    private let temporaryDirectory: String
    let groupSync: GroupSync
    let executors: ServiceExecutors
    /// The root directory, open for the process's lifetime: cached reads resolve `shard/name`
    /// from it rather than walking the whole absolute path every time.
    private let rootDescriptor: Int32

    /// Opens (creating) the directory. Call once at start-up, from a blocking-I/O thread.
    init(root: String, executors: ServiceExecutors) throws {
        self.root = root
        self.executors = executors
        temporaryDirectory = "\(root)/.tmp"
        try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        groupSync = try GroupSync(directory: root)
        rootDescriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootDescriptor >= 0 else { throw BlockStoreError.io("open \(root): \(String(cString: strerror(errno)))") }
    }

    deinit { close(rootDescriptor) }

    /// Removes temporary leftovers of writes that never finished (crash recovery).
    func removeTemporaryFiles() async -> Int {
        await executors.blockingIO.run { [temporaryDirectory] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)) ?? []
            for name in names { unlink("\(temporaryDirectory)/\(name)") }
            return names.count
        }
    }

    /// Storage key: CIDv0 and CIDv1 of the same dag-pb bytes are one block.
    static func fileName(_ cid: CID) -> String { cid.v1.string }

    func path(for cid: CID) -> String {
        "\(root)/\(Self.relativePath(cid))"
    }

    /// `shard/name` under the root; the shard is the name's second- and third-last characters.
    static func relativePath(_ cid: CID) -> String {
        let name = fileName(cid)
        let shard = name.utf8.dropLast().suffix(2)
        return "\(Substring(shard))/\(name)"
    }

    func contains(_ cid: CID) async -> Bool {
        let path = path(for: cid)
        return await executors.blockingIO.run { access(path, F_OK) == 0 }
    }

    /// Size on disk and encoding of a stored block, or nil when it is not stored.
    func storedInfo(_ cid: CID) async -> (storedSize: Int, encoding: StoredEncoding)? {
        let path = path(for: cid)
        return await executors.blockingIO.run { () -> (storedSize: Int, encoding: StoredEncoding)? in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var info = stat()
            var first: UInt8 = 0
            guard fstat(fd, &info) == 0, Glibc.read(fd, &first, 1) == 1, let encoding = StoredEncoding(rawValue: first) else { return nil }
            return (Int(info.st_size), encoding)
        }
    }

    /// Writes the block to a temporary file (compressed when that pays). Not durable yet.
    func stage(_ block: Block) async throws(BlockStoreError) -> StagedBlock {
        let compressed = await executors.compute.run { BlockCompression.compressIfWorthwhile(block.bytes) }
        let encoding: StoredEncoding = compressed == nil ? .plain : .zstd
        let payload = compressed ?? block.bytes
        let temporaryPath = "\(temporaryDirectory)/\(UUID().uuidString)"
        try await executors.blockingIO.run { () throws(BlockStoreError) in
            let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io("create \(temporaryPath): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            guard writeAll(fd, [encoding.rawValue]), writeAll(fd, payload) else {
                let message = "write \(temporaryPath): \(String(cString: strerror(errno)))"
                unlink(temporaryPath)
                throw .io(message)
            }
        }
        return StagedBlock(cid: block.cid, size: block.bytes.count, storedSize: payload.count + 1,
                           encoding: encoding, temporaryPath: temporaryPath)
    }

    /// Makes staged blocks durable and visible under their names: one shared flush for the
    /// contents, renames, one shared flush for the directory entries.
    func commit(_ staged: [StagedBlock]) async throws {
        guard !staged.isEmpty else { return }
        try await groupSync.sync()
        let renames = staged.map { ($0.temporaryPath, path(for: $0.cid)) }
        try await executors.blockingIO.run { () throws(BlockStoreError) in
            for (source, destination) in renames {
                if rename(source, destination) != 0 {
                    if errno == ENOENT {
                        mkdir((destination as NSString).deletingLastPathComponent, 0o755)
                        if rename(source, destination) == 0 { continue }
                    }
                    throw .io("rename to \(destination): \(String(cString: strerror(errno)))")
                }
            }
        }
        try await groupSync.sync()
    }

    /// Drops staged files of an aborted write.
    func discard(_ staged: [StagedBlock]) async {
        guard !staged.isEmpty else { return }
        let paths = staged.map(\.temporaryPath)
        await executors.blockingIO.run {
            for path in paths { unlink(path) }
        }
    }

    /// Reads a block, verifying it hashes to its CID so a damaged file is never served.
    ///
    /// A small plain block whose file the kernel already caches (`readCachedSmallFile`) is read
    /// and hashed right here: for a 4 KiB block that is a few microseconds, less than the two
    /// thread hops it would otherwise take, and it cannot block. Everything else is read on a
    /// blocking-I/O thread and decompressed and hashed on a compute thread.
    func read(_ cid: CID) async throws(BlockStoreError) -> [UInt8]? {
        let relativePath = Self.relativePath(cid)
        switch try Self.readCachedSmallFile(relativePath, in: rootDescriptor, cid: cid) {
        case .absent:
            return nil
        case .read(.plain, let payload):
            guard cid.verifies(payload) else { throw .corrupt("\(cid): bytes do not hash to the CID") }
            return payload
        case .read(let encoding, let payload):
            return try await decodeAndVerify(cid, encoding: encoding, payload: payload)
        case .wouldBlock:
            break
        }
        let path = "\(root)/\(relativePath)"
        guard let file = try await executors.blockingIO.run({ () throws(BlockStoreError) in
            try Self.readFile(path, cid: cid)
        }) else { return nil }
        return try await decodeAndVerify(cid, encoding: file.0, payload: file.1)
    }

    private func decodeAndVerify(_ cid: CID, encoding: StoredEncoding, payload: [UInt8]) async throws(BlockStoreError) -> [UInt8] {
        try await executors.compute.run { () throws(BlockStoreError) -> [UInt8] in
            let block = encoding == .plain ? payload : try BlockCompression.decompress(payload[...])
            guard cid.verifies(block) else { throw .corrupt("\(cid): bytes do not hash to the CID") }
            return block
        }
    }

    /// Largest block file read on the caller's thread: hashing it takes ≈ 10 µs on one core.
    static let inlineReadLimit = 16 << 10

    enum CachedRead {
        case read(StoredEncoding, [UInt8])
        case absent
        /// Not small, or not (wholly) in the kernel's caches: read it on a blocking-I/O thread.
        case wouldBlock
    }

    /// Reads a block file of at most `inlineReadLimit` bytes without ever waiting for the disk:
    /// the path must resolve from the kernel's lookup cache and the bytes come from the page
    /// cache (`RWF_NOWAIT`); anything else answers `.wouldBlock`, never a wait.
    static func readCachedSmallFile(_ path: String, in directory: Int32, cid: CID) throws(BlockStoreError) -> CachedRead {
        let fd = pakit_open_cached(directory, path)
        guard fd >= 0 else { return errno == ENOENT ? .absent : .wouldBlock }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 1, info.st_size <= inlineReadLimit else { return .wouldBlock }
        var file = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = file.withUnsafeMutableBytes { pakit_pread_nowait(fd, $0.baseAddress, $0.count, 0) }
        guard count == file.count else { return .wouldBlock }
        guard let encoding = StoredEncoding(rawValue: file[0]) else { throw .corrupt("\(cid): unknown encoding") }
        file.removeFirst()
        return .read(encoding, file)
    }

    /// The encoding and stored payload of a block file, nil when there is none. Blocks.
    private static func readFile(_ path: String, cid: CID) throws(BlockStoreError) -> (StoredEncoding, [UInt8])? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
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
        return (encoding, payload)
    }

    /// Removes a block file (GC). Missing is fine.
    func remove(_ cid: CID) async {
        let path = path(for: cid)
        await executors.blockingIO.run { _ = unlink(path) }
    }

    /// Every block file name (the CIDv1 string), for reconciliation and orphan collection.
    func allFileNames() async -> [String] {
        await executors.blockingIO.run { [root] in
            var names: [String] = []
            let shards = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for shard in shards where shard != ".tmp" {
                names += (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(shard)")) ?? []
            }
            return names
        }
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
