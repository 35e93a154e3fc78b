/// An iden3 `.wtns` file (version 2): the full assignment `[1, public inputs…, witnesses…]`
/// for a `.r1cs` file, so another prover (snarkjs, groth16py's `prove_wtns`) can prove a
/// circuit whose witness Swift computed (zk.md §5.3).
///
/// Section 1: n8 = 32, prime r, u32 nWitness; section 2: nWitness 32-byte little-endian
/// standard-form values.
public struct WitnessFile: Equatable, Sendable {
    /// The flat assignment; element 0 is the constant 1 in a well-formed witness.
    public var values: [Fr]

    /// Wraps a flat assignment.
    public init(values: [Fr]) {
        self.values = values
    }

    /// The assignment of a synthesised system, in the wire order `R1CSFile(system)` uses.
    public init(_ system: ConstraintSystem) {
        self.init(values: system.assignment)
    }

    /// The `.wtns` bytes.
    public func serialized() -> [UInt8] {
        var header = ByteWriter(capacity: 40)
        Iden3Container.appendFieldHeader(to: &header)
        header.appendLittleEndian(UInt32(values.count))
        var body = ByteWriter(capacity: 32 * values.count)
        body.append(count: 32 * values.count) { raw in
            for (index, value) in values.enumerated() {
                value.standardValue.storeLittleEndian(into: raw, at: 32 * index)
            }
        }
        return Iden3Container.write(magic: "wtns", version: 2, sections: [(1, header.bytes), (2, body.bytes)])
    }


    /// Parses a `.wtns` file over BN254's scalar field; every value must be < r.
    public init(serialized bytes: [UInt8]) throws(ProofEncodingError) {
        let sections = try Iden3Container.read(bytes, magic: "wtns", version: 2, required: [1, 2])
        guard let headerSection = sections[1], let valueSection = sections[2] else {
            throw .malformedFile("missing section")
        }
        var header = Iden3Container.reader(bytes, headerSection)
        try Iden3Container.readFieldHeader(&header)
        let count = Int(try header.readLittleEndianUInt32("nWitness"))
        guard header.isAtEnd else { throw .malformedFile("header section has \(header.remaining) extra bytes") }
        guard valueSection.size == 32 * count else {
            throw .malformedFile("values section holds \(valueSection.size) bytes, expected 32 × \(count)")
        }
        var reader = Iden3Container.reader(bytes, valueSection)
        var values: [Fr] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            values.append(try Iden3Container.readElement(&reader, "witness value \(index)"))
        }
        self.init(values: values)
    }

    /// Reads and parses a `.wtns` file.
    public init(contentsOf path: String) throws(ProofEncodingError) {
        try self.init(serialized: try FileIO.read(path))
    }
}
