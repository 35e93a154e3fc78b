/// Why bytes from a peer were refused. Every decoder in the mesh reports through this one type;
/// the transport drops the packet and counts the reason, never trusts any of it.
public struct MeshWireError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Appends the mesh's binary forms: fixed-width big-endian integers, and byte strings with a
/// 16-bit length (nothing the mesh sends in one field is longer).
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }

    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }

    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }

    mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// A byte string of at most 65,535 bytes (callers bound their fields far below that).
    mutating func shortBytes(_ value: some Collection<UInt8>) {
        u16(UInt16(clamping: value.count))
        bytes.append(contentsOf: value.prefix(Int(UInt16.max)))
    }

    mutating func text(_ value: String) { shortBytes(Array(value.utf8)) }
}

/// Reads what `WireWriter` wrote, checking every length against the bytes that are left and
/// against the field's own limit before using it; nothing read can trap or over-allocate.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = min(max(0, start), bytes.count)
        self.end = min(max(self.offset, end ?? bytes.count), bytes.count)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    mutating func u8(_ field: StaticString) throws(MeshWireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: StaticString) throws(MeshWireError) -> UInt16 {
        UInt16(truncatingIfNeeded: try fixed(2, field))
    }

    mutating func u32(_ field: StaticString) throws(MeshWireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try fixed(4, field))
    }

    mutating func u64(_ field: StaticString) throws(MeshWireError) -> UInt64 { try fixed(8, field) }

    mutating func raw(_ count: Int, _ field: StaticString) throws(MeshWireError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A length-prefixed byte string of at most `limit` bytes.
    mutating func shortBytes(_ field: StaticString, limit: Int) throws(MeshWireError) -> [UInt8] {
        let count = Int(try u16(field))
        guard count <= limit else { throw MeshWireError("\(field): \(count) bytes, at most \(limit) allowed") }
        return try raw(count, field)
    }

    /// UTF-8 text of at most `limit` bytes.
    mutating func text(_ field: StaticString, limit: Int) throws(MeshWireError) -> String {
        let raw = try shortBytes(field, limit: limit)
        guard let text = String(validating: raw, as: UTF8.self) else { throw MeshWireError("\(field): not UTF-8") }
        return text
    }

    /// A count that must be at most `limit` and, at `minimumSize` bytes per item, fit in
    /// what is left: checked before anything is allocated for the items.
    mutating func count(_ field: StaticString, limit: Int, minimumSize: Int) throws(MeshWireError) -> Int {
        let count = Int(try u16(field))
        guard count <= limit else { throw MeshWireError("\(field): \(count) items, at most \(limit) allowed") }
        guard count * max(1, minimumSize) <= remaining else { throw MeshWireError("\(field): \(count) items cannot fit in \(remaining) bytes") }
        return count
    }

    func expectEnd(_ what: StaticString) throws(MeshWireError) {
        guard isAtEnd else { throw MeshWireError("\(what): \(remaining) bytes left over") }
    }

    private func need(_ count: Int, _ field: StaticString) throws(MeshWireError) {
        guard count >= 0, count <= remaining else { throw MeshWireError("\(field): truncated (\(count) bytes needed, \(remaining) left)") }
    }

    private mutating func fixed(_ width: Int, _ field: StaticString) throws(MeshWireError) -> UInt64 {
        try need(width, field)
        var value: UInt64 = 0
        for index in offset..<(offset + width) { value = value << 8 | UInt64(bytes[index]) }
        offset += width
        return value
    }
}
