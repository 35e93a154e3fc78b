/// An iden3 `.r1cs` file (version 1), so a circuit built in Swift can be handed to other
/// provers (snarkjs, arkworks circom-compat, groth16py, rapidsnark) — zk.md §5.3.
///
/// Sections: 1 = header (n8 = 32, prime r, nWires, nPubOut, nPubIn, nPrvIn, nLabels,
/// nConstraints); 2 = constraints (for A, B, C in turn: u32 term count, then u32 wire id and
/// a 32-byte little-endian standard-form coefficient per term); 3 = wire → label map (u64 per
/// wire). Wire ids are the flat assignment indices `[1, public inputs…, witnesses…]`.
///
/// Writing from a `ConstraintSystem` declares the public inputs as nPubIn (nPubOut = 0: a
/// builder system has no output/input distinction, and every reader puts both on wires
/// 1…nPubOut + nPubIn, so the Groth16 public-input layout is the same), and nPrvIn =
/// witnessCount. Readers derive the private part as nWires − 1 − nPubOut − nPubIn (arkworks
/// circom-compat's `num_aux`, snarkjs' `zkey new`) and use nPrvIn only for display; circom
/// itself counts only signals supplied from outside there, and for a builder-made system *every*
/// private wire is supplied from outside — by the `.wtns` file, there being no witness
/// calculator — so witnessCount is the truthful count and keeps nWires = 1 + nPubIn + nPrvIn.
/// Labels are the identity (nLabels = nWires, wire i ↦ label i). Checked end to end: groth16py
/// 0.2.0 (arkworks) sets up, proves from the matching `WitnessFile` and verifies a 482-constraint
/// Poseidon circuit written this way.
public struct R1CSFile: Equatable, Sendable {
    /// One coefficient on one wire.
    public struct Term: Equatable, Sendable {
        /// Flat wire index.
        public var wire: Int
        /// The coefficient (never zero when written from a `ConstraintSystem`).
        public var coefficient: Fr

        public init(wire: Int, coefficient: Fr) {
            self.wire = wire
            self.coefficient = coefficient
        }
    }

    /// ⟨A, w⟩ · ⟨B, w⟩ = ⟨C, w⟩.
    public struct Constraint: Equatable, Sendable {
        public var a: [Term]
        public var b: [Term]
        public var c: [Term]

        public init(a: [Term], b: [Term], c: [Term]) {
            self.a = a
            self.b = b
            self.c = c
        }
    }

    /// Wires including the constant wire 0.
    public var wireCount: Int
    /// nPubOut.
    public var publicOutputCount: Int
    /// nPubIn.
    public var publicInputCount: Int
    /// nPrvIn (informational; see the type's notes).
    public var privateInputCount: Int
    /// nLabels.
    public var labelCount: Int
    /// The constraints in order.
    public var constraints: [Constraint]
    /// Section 3: the label of each wire.
    public var wireLabels: [UInt64]

    /// Assembles a file from its parts.
    public init(
        wireCount: Int, publicOutputCount: Int, publicInputCount: Int, privateInputCount: Int,
        labelCount: Int, constraints: [Constraint], wireLabels: [UInt64]
    ) {
        self.wireCount = wireCount
        self.publicOutputCount = publicOutputCount
        self.publicInputCount = publicInputCount
        self.privateInputCount = privateInputCount
        self.labelCount = labelCount
        self.constraints = constraints
        self.wireLabels = wireLabels
    }

    /// The file for a synthesised system (see the type's notes for the header choices).
    public init(_ system: ConstraintSystem) {
        func terms(_ combination: LinearCombination) -> [Term] {
            combination.terms.map { Term(wire: system.index(of: $0.variable), coefficient: $0.coefficient) }
        }
        self.init(
            wireCount: system.variableCount,
            publicOutputCount: 0,
            publicInputCount: system.publicInputCount,
            privateInputCount: system.witnessCount,
            labelCount: system.variableCount,
            constraints: system.constraints.map { Constraint(a: terms($0.a), b: terms($0.b), c: terms($0.c)) },
            wireLabels: Array(0..<UInt64(system.variableCount))
        )
    }

    /// The wires Groth16 treats as public (after the constant wire): nPubOut + nPubIn.
    public var publicWireCount: Int { publicOutputCount + publicInputCount }

    // MARK: Writing

    /// The `.r1cs` bytes.
    public func serialized() -> [UInt8] {
        var header = ByteWriter(capacity: 64)
        Iden3Container.appendFieldHeader(to: &header)
        header.appendLittleEndian(UInt32(wireCount))
        header.appendLittleEndian(UInt32(publicOutputCount))
        header.appendLittleEndian(UInt32(publicInputCount))
        header.appendLittleEndian(UInt32(privateInputCount))
        header.appendLittleEndian(UInt64(labelCount))
        header.appendLittleEndian(UInt32(constraints.count))

        let termCount = constraints.reduce(0) { $0 + $1.a.count + $1.b.count + $1.c.count }
        var body = ByteWriter(capacity: constraints.count * 12 + termCount * 36)
        for constraint in constraints {
            for combination in [constraint.a, constraint.b, constraint.c] {
                body.appendLittleEndian(UInt32(combination.count))
                for term in combination {
                    body.appendLittleEndian(UInt32(term.wire))
                    body.appendLittleEndian(term.coefficient.standardValue)
                }
            }
        }

        var labels = ByteWriter(capacity: wireLabels.count * 8)
        for label in wireLabels { labels.appendLittleEndian(label) }

        return Iden3Container.write(magic: "r1cs", version: 1, sections: [
            (1, header.bytes), (2, body.bytes), (3, labels.bytes),
        ])
    }


    // MARK: Reading

    /// Parses a `.r1cs` file over BN254's scalar field: sections in any order, unknown
    /// sections skipped; wire ids must be < nWires and coefficients < r.
    public init(serialized bytes: [UInt8]) throws(ProofEncodingError) {
        let sections = try Iden3Container.read(bytes, magic: "r1cs", version: 1, required: [1, 2])

        guard let headerSection = sections[1] else { throw .malformedFile("missing section 1") }
        var header = Iden3Container.reader(bytes, headerSection)
        try Iden3Container.readFieldHeader(&header)
        let wireCount = Int(try header.readLittleEndianUInt32("nWires"))
        let publicOutputCount = Int(try header.readLittleEndianUInt32("nPubOut"))
        let publicInputCount = Int(try header.readLittleEndianUInt32("nPubIn"))
        let privateInputCount = Int(try header.readLittleEndianUInt32("nPrvIn"))
        let labelCount = try header.readCount64("nLabels")
        let constraintCount = Int(try header.readLittleEndianUInt32("nConstraints"))
        guard header.isAtEnd else { throw .malformedFile("header section has \(header.remaining) extra bytes") }
        guard 1 + publicOutputCount + publicInputCount <= wireCount else {
            throw .malformedFile("\(publicOutputCount) + \(publicInputCount) public wires do not fit in \(wireCount) wires")
        }

        guard let constraintSection = sections[2] else { throw .malformedFile("missing section 2") }
        var body = Iden3Container.reader(bytes, constraintSection)
        // Every constraint takes at least 12 bytes, which bounds the allocation below.
        try body.require(constraintCount * 12, "section 2")
        var constraints: [Constraint] = []
        constraints.reserveCapacity(constraintCount)
        for index in 0..<constraintCount {
            func combination() throws(ProofEncodingError) -> [Term] {
                let count = Int(try body.readLittleEndianUInt32("constraint \(index)"))
                try body.require(count * 36, "constraint \(index)")
                var terms: [Term] = []
                terms.reserveCapacity(count)
                for _ in 0..<count {
                    let wire = Int(try body.readLittleEndianUInt32("constraint \(index)"))
                    guard wire < wireCount else { throw .malformedFile("constraint \(index) uses wire \(wire) of \(wireCount)") }
                    let coefficient = try Iden3Container.readElement(&body, "a coefficient of constraint \(index)")
                    terms.append(Term(wire: wire, coefficient: coefficient))
                }
                return terms
            }
            let a = try combination(), b = try combination(), c = try combination()
            constraints.append(Constraint(a: a, b: b, c: c))
        }
        guard body.isAtEnd else { throw .malformedFile("constraint section has \(body.remaining) extra bytes") }

        var wireLabels: [UInt64] = []
        if let labelSection = sections[3] {
            guard labelSection.size == 8 * wireCount else {
                throw .malformedFile("wire map holds \(labelSection.size) bytes, expected 8 × \(wireCount)")
            }
            var labels = Iden3Container.reader(bytes, labelSection)
            wireLabels.reserveCapacity(wireCount)
            for _ in 0..<wireCount { wireLabels.append(try labels.readLittleEndianUInt64("section 3")) }
        }

        self.init(
            wireCount: wireCount, publicOutputCount: publicOutputCount, publicInputCount: publicInputCount,
            privateInputCount: privateInputCount, labelCount: labelCount, constraints: constraints,
            wireLabels: wireLabels
        )
    }

    /// Reads and parses a `.r1cs` file.
    public init(contentsOf path: String) throws(ProofEncodingError) {
        try self.init(serialized: try FileIO.read(path))
    }
}
