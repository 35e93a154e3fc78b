import Crypto

/// Little helpers shared by the binary formats: a growable writer and a bounds-checked reader.
///
/// Integers are loaded and stored with `loadUnaligned`/`storeBytes` on raw buffers (one
/// instruction per word) rather than assembled byte by byte, which keeps the proving-key
/// loader memory-bound.

// MARK: - UInt256 ⇄ raw bytes

extension UInt256 {
    /// The value stored as 32 big-endian bytes at `offset` (the caller checked the bounds).
    static func loadBigEndian(from raw: UnsafeRawBufferPointer, at offset: Int) -> UInt256 {
        UInt256(
            UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)),
            UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        )
    }

    /// The value stored as 32 little-endian bytes at `offset` (the caller checked the bounds).
    static func loadLittleEndian(from raw: UnsafeRawBufferPointer, at offset: Int) -> UInt256 {
        UInt256(
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
        )
    }

    /// Stores the value as 32 big-endian bytes at `offset`.
    func storeBigEndian(into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: l3.bigEndian, toByteOffset: offset, as: UInt64.self)
        raw.storeBytes(of: l2.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        raw.storeBytes(of: l1.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
        raw.storeBytes(of: l0.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
    }

    /// Stores the value as 32 little-endian bytes at `offset`.
    func storeLittleEndian(into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: l0.littleEndian, toByteOffset: offset, as: UInt64.self)
        raw.storeBytes(of: l1.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
        raw.storeBytes(of: l2.littleEndian, toByteOffset: offset + 16, as: UInt64.self)
        raw.storeBytes(of: l3.littleEndian, toByteOffset: offset + 24, as: UInt64.self)
    }
}

// MARK: - Writer

/// Appends fixed-width fields to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Grows the output by `count` bytes and lets `fill` write them in place.
    mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { raw in
            fill(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
    }

    mutating func append(_ other: some Sequence<UInt8>) {
        bytes.append(contentsOf: other)
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        append(count: 4) { $0.storeBytes(of: value.littleEndian, as: UInt32.self) }
    }

    mutating func appendLittleEndian(_ value: UInt64) {
        append(count: 8) { $0.storeBytes(of: value.littleEndian, as: UInt64.self) }
    }

    mutating func appendBigEndian(_ value: UInt32) {
        append(count: 4) { $0.storeBytes(of: value.bigEndian, as: UInt32.self) }
    }

    mutating func appendBigEndian(_ value: UInt256) {
        append(count: 32) { value.storeBigEndian(into: $0, at: 0) }
    }

    mutating func appendLittleEndian(_ value: UInt256) {
        append(count: 32) { value.storeLittleEndian(into: $0, at: 0) }
    }
}

// MARK: - Reader

/// Reads fields from a byte array, throwing `truncated` instead of reading past the end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    /// One past the last readable byte (a trailer after it is not part of the structure).
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    /// Checks that `count` more bytes exist (`count` may come from untrusted input, so negative
    /// or huge values are refused rather than trapped on).
    func require(_ count: Int, _ part: @autoclosure () -> String) throws(ProofEncodingError) {
        guard count >= 0, count <= remaining else { throw .truncated(part()) }
    }

    /// Advances past `count` bytes and returns the offset where they start.
    mutating func take(_ count: Int, _ part: @autoclosure () -> String) throws(ProofEncodingError) -> Int {
        try require(count, part())
        defer { offset += count }
        return offset
    }

    mutating func readBytes(_ count: Int, _ part: @autoclosure () -> String) throws(ProofEncodingError) -> ArraySlice<UInt8> {
        let start = try take(count, part())
        return bytes[start..<(start + count)]
    }

    mutating func readLittleEndianUInt32(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> UInt32 {
        let start = try take(4, part())
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self)) }
    }

    mutating func readLittleEndianUInt64(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> UInt64 {
        let start = try take(8, part())
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
    }

    mutating func readBigEndianUInt32(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> UInt32 {
        let start = try take(4, part())
        return bytes.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self)) }
    }

    mutating func readBigEndianUInt256(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> UInt256 {
        let start = try take(32, part())
        return bytes.withUnsafeBytes { UInt256.loadBigEndian(from: $0, at: start) }
    }

    mutating func readLittleEndianUInt256(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> UInt256 {
        let start = try take(32, part())
        return bytes.withUnsafeBytes { UInt256.loadLittleEndian(from: $0, at: start) }
    }

    /// A count read from the input as an `Int`, refused if it cannot be an in-memory size.
    mutating func readCount64(_ part: @autoclosure () -> String) throws(ProofEncodingError) -> Int {
        let value = try readLittleEndianUInt64(part())
        guard value <= UInt64(Int32.max) else { throw .malformedFile("\(part()) is implausibly large (\(value))") }
        return Int(value)
    }
}

// MARK: - Hashing

/// SHA-256 of a raw buffer, fed in one call (no copy into `Data` or an array).
func sha256(_ raw: UnsafeRawBufferPointer) -> SHA256.Digest {
    var hasher = SHA256()
    hasher.update(bufferPointer: raw)
    return hasher.finalize()
}
