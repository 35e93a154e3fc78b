/// The container shared by iden3's binary formats (`.r1cs`, `.wtns`, `.zkey`, `.ptau`):
/// 4-byte magic, u32 version, u32 section count, then sections of (u32 type, u64 size, body),
/// all integers little-endian (zk.md §5.3, iden3/r1csfile `doc/r1cs_bin_format.md`).
enum Iden3Container {
    /// Where one section's body lies in the file.
    struct Section {
        let type: UInt32
        let start: Int
        let size: Int
    }

    static func write(magic: String, version: UInt32, sections: [(type: UInt32, body: [UInt8])]) -> [UInt8] {
        var writer = ByteWriter(capacity: 12 + sections.reduce(0) { $0 + 12 + $1.body.count })
        writer.append(Array(magic.utf8))
        writer.appendLittleEndian(version)
        writer.appendLittleEndian(UInt32(sections.count))
        for section in sections {
            writer.appendLittleEndian(section.type)
            writer.appendLittleEndian(UInt64(section.body.count))
            writer.append(section.body)
        }
        return writer.bytes
    }

    /// Checks magic and version and indexes the sections by type. Each type in `required`
    /// must occur exactly once; other types (e.g. circom's custom-gate sections) are skipped.
    static func read(_ bytes: [UInt8], magic: String, version expected: UInt32, required: [UInt32]) throws(ProofEncodingError) -> [UInt32: Section] {
        let magicBytes = Array(magic.utf8)
        guard bytes.starts(with: magicBytes) else { throw .badMagic(expected: ".\(magic)") }
        var reader = ByteReader(bytes, offset: magicBytes.count)
        let version = try reader.readLittleEndianUInt32("version")
        guard version == expected else { throw .unsupportedVersion(version) }
        let sectionCount = try reader.readLittleEndianUInt32("section count")
        var sections: [UInt32: Section] = [:]
        for index in 0..<Int(sectionCount) {
            let type = try reader.readLittleEndianUInt32("section \(index) header")
            let size64 = try reader.readLittleEndianUInt64("section \(index) header")
            guard size64 <= UInt64(reader.remaining) else { throw .truncated("section \(type)") }
            let size = Int(size64)
            let start = try reader.take(size, "section \(type)")
            guard sections[type] == nil else { throw .malformedFile("section \(type) occurs twice") }
            sections[type] = Section(type: type, start: start, size: size)
        }
        guard reader.isAtEnd else { throw .trailingBytes(reader.remaining) }
        for type in required where sections[type] == nil {
            throw .malformedFile("missing section \(type)")
        }
        return sections
    }

    /// A reader confined to one section's body.
    static func reader(_ bytes: [UInt8], _ section: Section) -> ByteReader {
        ByteReader(bytes, offset: section.start, end: section.start + section.size)
    }

    /// n8 = 32 and the prime r, as both `.r1cs` and `.wtns` headers begin.
    static func appendFieldHeader(to writer: inout ByteWriter) {
        writer.appendLittleEndian(UInt32(32))
        writer.appendLittleEndian(FrParameters.modulus)
    }

    /// Refuses any field but BN254's scalar field with 32-byte elements.
    static func readFieldHeader(_ reader: inout ByteReader) throws(ProofEncodingError) {
        let n8 = try reader.readLittleEndianUInt32("n8")
        guard n8 == 32 else { throw .fieldMismatch("element size n8 = \(n8), expected 32") }
        let prime = try reader.readLittleEndianUInt256("prime")
        guard prime == FrParameters.modulus else { throw .fieldMismatch("prime is not the BN254 scalar field r") }
    }

    /// A 32-byte little-endian standard-form element, refused unless < r.
    static func readElement(_ reader: inout ByteReader, _ part: @autoclosure () -> String) throws(ProofEncodingError) -> Fr {
        guard let element = Fr(try reader.readLittleEndianUInt256(part())) else {
            throw .malformedFile("\(part()) is not below r")
        }
        return element
    }
}
