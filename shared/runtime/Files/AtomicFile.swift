import Foundation

/// Whole-file writes that readers never see half done: a uniquely named temporary file in the
/// same directory (created with its final mode from the first byte, so a secret is never
/// world-readable for an instant), fsync, rename, fsync of the directory.
///
/// The temporary name is random rather than pid-based: replicas in containers all run as pid 1
/// and may share a volume, and two of them writing the same file must not share a temporary.
public enum AtomicFile {
    /// Replaces `path` with `bytes`. `mode` is 0600 unless the file is meant to be read by others.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(FileError) {
        let temporary = "\((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)/.tmp-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(operation: "create", path: temporary) }
        var ok = writeAll(fd, bytes)
        ok = ok && fchmod(fd, mode) == 0 && fsync(fd) == 0
        let failure = FileError(operation: "write", path: path)
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure
        }
        try syncDirectory(of: path)
    }

    /// Replaces `path` with the UTF-8 text (0600 by default: most such files are secrets).
    public static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws(FileError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Creates `path` (0600) only if it does not exist yet; false when another process won.
    /// Used for keys that several processes may try to create at one first start.
    public static func createExclusively(_ text: String, at path: String) throws(FileError) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw FileError(operation: "create", path: path)
        }
        let ok = writeAll(fd, Array(text.utf8)) && fsync(fd) == 0
        let failure = FileError(operation: "write", path: path)
        close(fd)
        guard ok else { throw failure }
        try syncDirectory(of: path)
        return true
    }

    /// Names temporary files this writer leaves behind when a process dies mid-write, so a
    /// directory scan at start-up can remove them.
    public static func isTemporaryName(_ name: String) -> Bool { name.hasPrefix(".tmp-") }

    /// Makes a rename or creation in the directory of `path` durable.
    public static func syncDirectory(of path: String) throws(FileError) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(operation: "open directory", path: directory) }
        let ok = fsync(fd) == 0
        let failure = FileError(operation: "sync directory", path: directory)
        close(fd)
        guard ok else { throw failure }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, base + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }
}

/// A file operation that failed, with the system's reason.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    /// Captures `errno` now: build it right after the failing call.
    public init(operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Small text files read whole (tokens, URLs, PEM files).
public enum TextFile {
    public static func read(_ path: String) throws(FileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(operation: "read", path: path, code: FileManager.default.fileExists(atPath: path) ? EACCES : ENOENT)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
