import Foundation

/// Writes secrets the way an operator expects: created with mode 0600 from the first byte
/// (never world-readable for an instant), written to a temporary name and renamed into place so
/// a crash never leaves half a key.
public enum FileSecrets {
    public static func write(_ contents: String, to path: String) throws {
        try write(Array(contents.utf8), to: path, mode: 0o600)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw posixError("create \(temporary)") }
        var ok = bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, base + offset, buffer.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        ok = ok && fchmod(fd, mode) == 0 && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw posixError("write \(path)")
        }
        syncDirectory(of: path)
    }

    /// Creates `path` only if it does not exist yet; returns false when another process won.
    public static func createExclusively(_ contents: String, at path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw posixError("create \(path)")
        }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw posixError("write \(path)") }
        syncDirectory(of: path)
        return true
    }

    public static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func posixError(_ what: String) -> NSError {
        NSError(domain: "pakit", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
