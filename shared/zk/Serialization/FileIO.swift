#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with plain POSIX calls.
///
/// PakitZK otherwise does no I/O; these exist so a 140 MB proving key can be loaded with one
/// `read` loop into a single buffer (no Foundation dependency, no intermediate copies). Writing
/// is the caller's: `serialized()` bytes go through the runtime's `AtomicFile`.
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
}

/// `read(2)` under a name that does not clash with `FileIO.read`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
