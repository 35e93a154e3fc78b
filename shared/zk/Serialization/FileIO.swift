#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes with plain POSIX calls.
///
/// PakitZK otherwise does no I/O; these exist so a 140 MB proving key can be loaded with one
/// `read` loop into a single buffer (no Foundation dependency, no intermediate copies) and
/// written so that a crash never leaves a half-written key under the final name.
enum FileIO {
    /// The complete contents of the file at `path`.
    static func read(_ path: String) throws(ProofEncodingError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .io(path: path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(path: path, errno: errno) }
        let size = Int(status.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let count = systemRead(descriptor, buffer.baseAddress.map { $0 + done }, size - done)
                if count > 0 {
                    done += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    failure = count < 0 ? errno : EIO // EOF before the size fstat reported
                    break
                }
            }
            // Zero what was not read so every element is initialised; the error is thrown below.
            if done < size { buffer.baseAddress.map { ($0 + done).initialize(repeating: 0, count: size - done) } }
            initialized = size
        }
        guard failure == 0 else { throw .io(path: path, errno: failure) }
        return bytes
    }

    /// Writes `bytes` to `path` through a temporary file in the same directory, fsync and
    /// rename, so readers see either the old file or the complete new one.
    static func write(_ bytes: [UInt8], to path: String) throws(ProofEncodingError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .io(path: temporary, errno: errno) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let count = systemWrite(descriptor, raw.baseAddress.map { $0 + done }, raw.count - done)
                if count > 0 {
                    done += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    failure = count < 0 ? errno : EIO
                    break
                }
            }
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw .io(path: path, errno: failure)
        }
    }
}

/// `read(2)` under a name that does not clash with `FileIO.read`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `write(2)` under a name that does not clash with `FileIO.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
