import Foundation
import PakitContracts
import Testing
import PakitCore
@testable import PakitZK

/// Points, keys and reference vectors shared by the serialisation tests.
///
/// The groth16py vector was produced by PyPI `groth16py` 0.2.0 (arkworks) for the R1CS
/// x·x = y, y·x = z, (x + k)·1 = x + k with public (z, k) = (27, 5); its key hash and
/// compressed proof were computed independently in Python from the same numbers.
private enum SerializationFixture {
    static func g1(_ scalar: UInt64) -> G1Affine { G1Affine.generator.multiplied(by: Fr(scalar)).toAffine() }
    static func g2(_ scalar: UInt64) -> G2Affine { G2Affine.generator.multiplied(by: Fr(scalar)).toAffine() }

    static let pDecimal = "21888242871839275222246405745257275088696311157297823662689037894645226208583"
    static let rDecimal = "21888242871839275222246405745257275088548364400416034343698204186575808495617"

    static let proof = Groth16Proof(a: g1(3), b: g2(5), c: g1(7))

    static func verifyingKey(origin: Groth16KeyOrigin = .imported) -> Groth16VerifyingKey {
        Groth16VerifyingKey(alpha: g1(2), beta: g2(3), gamma: g2(5), delta: g2(7), ic: [g1(11), g1(13), g1(17)], origin: origin)
    }

    /// A twist point outside the order-r subgroup: the first x = k + u whose x³ + b′ is a
    /// square (the cofactor is not cleared, so it lies in G2 with probability ≈ 2⁻²⁵⁴).
    static let outsideSubgroup: G2Affine? = {
        for k in UInt64(1)...64 {
            let x = Fq2(Fq(k), .one)
            guard let y = (x.square() * x + BN254G2.b).squareRoot() else { continue }
            let point = G2Affine(unchecked: x, y)
            if !point.isInSubgroup { return point }
        }
        return nil
    }()

    static let groth16pyKeyJSON = """
    {"IC":[["18979246026072460147209794063276698954062107208949869358662253596452855091735","4195740281303557871793849395847623982299329515564980867437068351435644881938","1"],["7991571017184356880403717150211114043734098450775944163205124571896165898639","16563767756180461561537209687068603572045530442729378203867306503750213791995","1"],["20103692187326560269258092580241467327516306172307357887418576991315812482771","15400980574533141207281046338647120692547122389070149647477626269614338406999","1"]],"curve":"bn128","nPublic":2,"protocol":"groth16","vk_alpha_1":["18673379407317804928115802894506465937272888649750612700206995319358031049239","3693973861783795189025662003479368592724041546285279743259421686705000295167","1"],"vk_beta_2":[["7538642388409311985001476934476952585153287947520376241323639465867948110259","17300620514992569605830711572683141002358253209446104397521880460670749666694"],["10942796937997025571873632623420606842404639039743705812196422306678313017228","6665617320428651808290263301765843295019043115736988548301914730403426478333"],["1","0"]],"vk_delta_2":[["1540577358570861020215855247667214173436388670182260622936958055980508142097","15927049055693268708702712902358904643859384243137670964272374564537969982903"],["10006850536694232494392058062917480134983850649083402168008007511175356632050","11838090338804457625750742659366848651884998759339098476093641762179698009020"],["1","0"]],"vk_gamma_2":[["21162507062250307028067275441673083923571397415055874543548672875542291993787","11154663022723752482421029674307182367354974098519857955646570880185036418966"],["5319794507823399136164980523480097639538970775111733848527548413183209229360","1918515621819009300797987291748163982872333726257574228063937358612288900168"],["1","0"]]}
    """
    static let groth16pyProofHex = "09ad70c784abeec44a6d5f3f4e5972f63157998ca8905153817a5bd5f632ba19028cdc4ae4a4572f60538768ba8aa95f09603f0e7f43929aab1bc8b37973a7410d5b762b786f52928d755b4a49de4f8905a8592b0d38d9fa8c7aadac232ce10927eb54e2182b07a2189b4f886b989e2e0185ea3a903db69ff9f02a88c5d7fcbe0fba65770b54617ed652f5864e4508640d4c40f3bba7e5c731751adae4fd56c2042299faaff11397a1a6d7f344a52ed8c104cd2195998d147c4147fc55e3e9b809d168e1995272bdd376a7ee327be4f665f8bec5b453309fc3342697b831582703009ad07a74f8ebe106d82d6cdb090c971b9fd555c6757c80b7ca6f7740de2c"
    static let groth16pyCompressedHex = "09ad70c784abeec44a6d5f3f4e5972f63157998ca8905153817a5bd5f632ba190d5b762b786f52928d755b4a49de4f8905a8592b0d38d9fa8c7aadac232ce10927eb54e2182b07a2189b4f886b989e2e0185ea3a903db69ff9f02a88c5d7fcbe09d168e1995272bdd376a7ee327be4f665f8bec5b453309fc3342697b8315827"
    static let groth16pyKeySha256 = "8625a8023ecead0d8777f65c6be285b27b88192f34fee35e3b9905ec466e233a"

    static func groth16pyKey() throws -> SnarkjsVerifyingKey {
        try JSONDecoder().decode(SnarkjsVerifyingKey.self, from: Data(groth16pyKeyJSON.utf8))
    }

    static func bytes(hex: String) throws -> [UInt8] {
        try #require(Hex.decode(hex), "bad test hex")
    }

    static func bigEndian(_ decimal: String) throws -> [UInt8] {
        try #require(UInt256(decimal: decimal), "bad test constant \(decimal)").bigEndianBytes
    }

    /// x·x = y with y public: wires 0 = one, 1 = y (public), 2 = x (witness).
    static func squareSystem() -> ConstraintSystem {
        var system = ConstraintSystem()
        let y = system.publicInput(Fr(9))
        let x = system.witness(Fr(3))
        system.enforce(LinearCombination(x), LinearCombination(x), LinearCombination(y))
        return system
    }

    /// The same files written by the Python reference writer of zk.md §5.3 (struct.pack).
    static let squareR1CSHex = "72316373010000000300000001000000400000000000000020000000010000f093f5e1439170b97948e833285d588181b64550b829a031e1724e643003000000000000000100000001000000030000000000000001000000020000007800000000000000010000000200000001000000000000000000000000000000000000000000000000000000000000000100000002000000010000000000000000000000000000000000000000000000000000000000000001000000010000000100000000000000000000000000000000000000000000000000000000000000030000001800000000000000000000000000000001000000000000000200000000000000"
    static let squareWitnessHex = "77746e73020000000200000001000000280000000000000020000000010000f093f5e1439170b97948e833285d588181b64550b829a031e1724e643003000000020000006000000000000000010000000000000000000000000000000000000000000000000000000000000009000000000000000000000000000000000000000000000000000000000000000300000000000000000000000000000000000000000000000000000000000000"

    static func provingKey(origin: Groth16KeyOrigin) -> Groth16ProvingKey {
        Groth16ProvingKey(
            verifyingKey: verifyingKey(origin: origin), betaG1: g1(3), deltaG1: g1(7),
            a: [g1(19), .identity, g1(23), g1(29)], bG1: [g1(31), g1(37), .identity, g1(41)],
            bG2: [g2(43), .identity, g2(47), g2(53)], h: [g1(59), g1(61), g1(67)], l: [g1(71)],
            shape: R1CSShape(constraintCount: 2, publicInputCount: 2, witnessCount: 1)
        )
    }

    static func expectEqual(_ lhs: Groth16ProvingKey, _ rhs: Groth16ProvingKey, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lhs.verifyingKey == rhs.verifyingKey, sourceLocation: sourceLocation)
        #expect(lhs.betaG1 == rhs.betaG1 && lhs.deltaG1 == rhs.deltaG1, sourceLocation: sourceLocation)
        #expect(lhs.a == rhs.a && lhs.bG1 == rhs.bG1 && lhs.bG2 == rhs.bG2, sourceLocation: sourceLocation)
        #expect(lhs.h == rhs.h && lhs.l == rhs.l && lhs.shape == rhs.shape, sourceLocation: sourceLocation)
    }
}

@Suite("Serialisation of proofs, keys, circuits and witnesses")
struct SerializationTests {
    fileprivate typealias F = SerializationFixture

    // MARK: Field helpers

    @Test("Fq square root: (p + 1)/4 exponent, roots of squares, nil for non-residues")
    func fqSquareRoot() throws {
        let p = FqParameters.modulus
        let twice = Fq.squareRootExponent.addingReportingOverflow(Fq.squareRootExponent).partialValue
        let fourTimes = twice.addingReportingOverflow(twice).partialValue
        #expect(fourTimes == p.addingReportingOverflow(UInt256(1)).partialValue, "4·e ≠ p + 1")
        for value in [Fq(2), Fq(3), Fq(12345), -Fq(7)] {
            let root = try #require(value.square().squareRoot())
            #expect(root == value || root == -value)
        }
        // −1 is a non-residue because p ≡ 3 (mod 4).
        #expect((-Fq.one).squareRoot() == nil)
        #expect(Fq.halfModulus.addingReportingOverflow(Fq.halfModulus).partialValue.addingReportingOverflow(UInt256(1)).partialValue == p)
    }

    // MARK: EIP-197

    @Test("EIP-197: 256 bytes round-trip, including points at infinity")
    func eip197RoundTrip() throws {
        let bytes = F.proof.eip197Bytes
        #expect(bytes.count == 256)
        #expect(try Groth16Proof(eip197: bytes) == F.proof)
        #expect(try Groth16Proof(hex: F.proof.eip197Hex) == F.proof)
        let degenerate = Groth16Proof(a: .identity, b: .identity, c: F.g1(1))
        #expect(degenerate.eip197Bytes[0..<192].allSatisfy { $0 == 0 }, "infinity must encode as zeros")
        #expect(try Groth16Proof(eip197: degenerate.eip197Bytes) == degenerate)
    }

    @Test("EIP-197 word order: B's imaginary parts come first (hand-built bytes)")
    func eip197WordOrder() throws {
        let proof = Groth16Proof(a: .generator, b: .generator, c: -G1Affine.generator)
        let g2x0 = "10857046999023057135944570762232829481370756359578518086990519993285655852781"
        let g2x1 = "11559732032986387107991004021392285783925812861821192530917403151452391805634"
        let g2y0 = "8495653923123431417604973247489272438418190587263600148770280649306958101930"
        let g2y1 = "4082367875863433681332203403145435568316851327593401208105741076214120093531"
        let pMinus2 = "21888242871839275222246405745257275088696311157297823662689037894645226208581"
        var expected: [UInt8] = []
        for word in ["1", "2", g2x1, g2x0, g2y1, g2y0, "1", pMinus2] { expected += try F.bigEndian(word) }
        #expect(proof.eip197Bytes == expected)
        #expect(try Groth16Proof(eip197: expected) == proof)
    }

    @Test("EIP-197: a groth16py (arkworks) proof decodes; with B's halves swapped it does not")
    func eip197Groth16py() throws {
        let bytes = try F.bytes(hex: F.groth16pyProofHex)
        let proof = try Groth16Proof(eip197: bytes)
        #expect(proof.eip197Bytes == bytes)
        var swapped = bytes
        swapped.replaceSubrange(64..<96, with: bytes[96..<128])
        swapped.replaceSubrange(96..<128, with: bytes[64..<96])
        swapped.replaceSubrange(128..<160, with: bytes[160..<192])
        swapped.replaceSubrange(160..<192, with: bytes[128..<160])
        #expect(throws: ProofEncodingError.notOnCurve("proof.B")) { try Groth16Proof(eip197: swapped) }
    }

    @Test("EIP-197 rejects wrong lengths, off-curve points, coordinates ≥ p and G2 points outside the subgroup")
    func eip197Rejections() throws {
        let bytes = F.proof.eip197Bytes
        #expect(throws: ProofEncodingError.wrongLength(expected: 256, actual: 255)) { try Groth16Proof(eip197: Array(bytes.dropLast())) }
        #expect(throws: ProofEncodingError.wrongLength(expected: 256, actual: 257)) { try Groth16Proof(eip197: bytes + [0]) }
        #expect(throws: ProofEncodingError.wrongLength(expected: 256, actual: 100)) { try Groth16Proof(encoded: Array(bytes[0..<100])) }

        var flipped = bytes
        flipped[63] ^= 0x01 // A.y
        #expect(throws: ProofEncodingError.notOnCurve("proof.A")) { try Groth16Proof(eip197: flipped) }
        flipped = bytes
        flipped[100] ^= 0x10 // B.x.c0
        #expect(throws: ProofEncodingError.notOnCurve("proof.B")) { try Groth16Proof(eip197: flipped) }
        flipped = bytes
        flipped[255] ^= 0x01 // C.y
        #expect(throws: ProofEncodingError.notOnCurve("proof.C")) { try Groth16Proof(eip197: flipped) }

        var nonCanonical = bytes
        nonCanonical.replaceSubrange(192..<224, with: try F.bigEndian(F.pDecimal)) // C.x = p
        #expect(throws: ProofEncodingError.nonCanonicalCoordinate("proof.C")) { try Groth16Proof(eip197: nonCanonical) }
        // x + p for a valid x is the aliasing attempt: same residue, different bytes.
        let aliased = F.proof.a.x.standardValue.addingReportingOverflow(FqParameters.modulus).partialValue
        nonCanonical = bytes
        nonCanonical.replaceSubrange(0..<32, with: aliased.bigEndianBytes)
        #expect(throws: ProofEncodingError.nonCanonicalCoordinate("proof.A")) { try Groth16Proof(eip197: nonCanonical) }

        let outside = try #require(F.outsideSubgroup, "no twist point outside G2 found")
        var foreign = bytes
        var words: [UInt8] = []
        for coordinate in [outside.x.c1, outside.x.c0, outside.y.c1, outside.y.c0] { words += coordinate.bigEndianBytes }
        foreign.replaceSubrange(64..<192, with: words)
        #expect(throws: ProofEncodingError.notInSubgroup("proof.B")) { try Groth16Proof(eip197: foreign) }
        #expect(throws: ProofEncodingError.malformedNumber("proof hex")) { try Groth16Proof(hex: "0xzz") }
    }

    // MARK: Compressed

    @Test("Compressed: 128 bytes round-trip for both roots and for infinity")
    func compressedRoundTrip() throws {
        var sawLarger = false, sawSmaller = false
        for scalar in UInt64(1)...4 {
            let proof = Groth16Proof(a: F.g1(scalar), b: F.g2(scalar + 1), c: -F.g1(scalar + 2))
            let bytes = proof.compressedBytes
            #expect(bytes.count == 128)
            #expect(try Groth16Proof(compressed: bytes) == proof, "scalar \(scalar)")
            #expect(try Groth16Proof(hex: proof.compressedHex) == proof)
            for offset in [0, 32, 96] {
                if bytes[offset] & 0x40 != 0 { sawLarger = true } else { sawSmaller = true }
            }
            // Negating a point flips only the "larger root" flag.
            let negated = Groth16Proof(a: -proof.a, b: -proof.b, c: -proof.c).compressedBytes
            for offset in [0, 32, 96] { #expect(negated[offset] == bytes[offset] ^ 0x40) }
            #expect(Array(negated[1..<32]) == Array(bytes[1..<32]))
        }
        #expect(sawLarger && sawSmaller, "test points do not exercise both flag values")

        let infinite = Groth16Proof(a: .identity, b: .identity, c: F.g1(2))
        let bytes = infinite.compressedBytes
        #expect(bytes[0] == 0x80 && bytes[32] == 0x80)
        #expect(bytes[1..<32].allSatisfy { $0 == 0 } && bytes[33..<96].allSatisfy { $0 == 0 })
        #expect(try Groth16Proof(compressed: bytes) == infinite)
    }

    @Test("Compressed form of the groth16py proof matches an independent Python encoding")
    func compressedGroth16py() throws {
        let proof = try Groth16Proof(hex: F.groth16pyProofHex)
        #expect(proof.compressedHex == F.groth16pyCompressedHex)
        #expect(try Groth16Proof(hex: F.groth16pyCompressedHex) == proof)
    }

    @Test("Compressed rejects bad flags, x ≥ p, x without a y, and B outside the subgroup")
    func compressedRejections() throws {
        let bytes = F.proof.compressedBytes
        #expect(throws: ProofEncodingError.wrongLength(expected: 128, actual: 127)) { try Groth16Proof(compressed: Array(bytes.dropLast())) }

        var bad = bytes
        bad[0] |= 0xc0
        #expect(throws: ProofEncodingError.invalidFlags("proof.A")) { try Groth16Proof(compressed: bad) }
        bad = Groth16Proof(a: .identity, b: F.proof.b, c: F.proof.c).compressedBytes
        bad[31] = 1
        #expect(throws: ProofEncodingError.invalidFlags("proof.A")) { try Groth16Proof(compressed: bad) }

        bad = bytes
        bad.replaceSubrange(96..<128, with: try F.bigEndian(F.pDecimal))
        #expect(throws: ProofEncodingError.nonCanonicalCoordinate("proof.C")) { try Groth16Proof(compressed: bad) }

        // The first x whose x³ + 3 is a non-residue is not the x of any G1 point.
        let x = try #require((UInt64(1)...64).map { Fq($0) }.first { ($0.square() * $0 + Fq(3)).squareRoot() == nil })
        bad = bytes
        bad.replaceSubrange(0..<32, with: x.bigEndianBytes)
        #expect(throws: ProofEncodingError.notOnCurve("proof.A")) { try Groth16Proof(compressed: bad) }

        let outside = try #require(F.outsideSubgroup, "no twist point outside G2 found")
        bad = bytes
        bad.replaceSubrange(32..<96, with: outside.x.c1.bigEndianBytes + outside.x.c0.bigEndianBytes)
        #expect(throws: ProofEncodingError.notInSubgroup("proof.B")) { try Groth16Proof(compressed: bad) }
    }

    // MARK: snarkjs JSON

    @Test("snarkjs proof.json and public.json round-trip")
    func snarkjsProofRoundTrip() throws {
        let json = F.proof.snarkjs
        #expect(json.protocol == "groth16" && json.curve == "bn128")
        #expect(json.piA == [F.proof.a.x.decimalString, F.proof.a.y.decimalString, "1"])
        #expect(json.piB[0] == [F.proof.b.x.c0.decimalString, F.proof.b.x.c1.decimalString], "JSON puts the real part first")
        #expect(json.piB[2] == ["1", "0"])
        #expect(try Groth16Proof(snarkjs: json) == F.proof)

        let infinite = Groth16Proof(a: .identity, b: .identity, c: F.g1(2))
        #expect(infinite.snarkjs.piA == ["0", "1", "0"])
        #expect(try Groth16Proof(snarkjs: infinite.snarkjs) == infinite)

        let inputs = [Fr.zero, Fr(27), -Fr.one]
        let signals = SnarkjsPublicSignals.encode(inputs)
        #expect(signals[1] == "27")
        #expect(try SnarkjsPublicSignals.decode(signals) == inputs)
    }

    @Test("snarkjs proof.json: shape, protocol, curve, z and public-signal range are checked")
    func snarkjsProofRejections() throws {
        var json = F.proof.snarkjs
        json.protocol = "plonk"
        #expect(throws: ProofEncodingError.unsupportedProtocol("plonk")) { try Groth16Proof(snarkjs: json) }
        json = F.proof.snarkjs
        json.curve = "bls12381"
        #expect(throws: ProofEncodingError.unsupportedCurve("bls12381")) { try Groth16Proof(snarkjs: json) }
        json = F.proof.snarkjs
        json.piA[2] = "2"
        #expect(throws: ProofEncodingError.self) { try Groth16Proof(snarkjs: json) }
        json = F.proof.snarkjs
        json.piA = Array(json.piA.prefix(1))
        #expect(throws: ProofEncodingError.self) { try Groth16Proof(snarkjs: json) }
        json = F.proof.snarkjs
        json.piB[0][0] = F.pDecimal
        #expect(throws: ProofEncodingError.nonCanonicalCoordinate("pi_b")) { try Groth16Proof(snarkjs: json) }
        json = F.proof.snarkjs
        json.piC[1] = "0x12"
        #expect(throws: ProofEncodingError.malformedNumber("pi_c")) { try Groth16Proof(snarkjs: json) }

        #expect(throws: ProofEncodingError.publicInputOutOfRange(index: 1)) { try SnarkjsPublicSignals.decode(["1", F.rDecimal]) }
        #expect(throws: ProofEncodingError.publicInputOutOfRange(index: 0)) { try SnarkjsPublicSignals.decode([String(repeating: "9", count: 90)]) }
        #expect(throws: ProofEncodingError.malformedNumber("publicSignals[0]")) { try SnarkjsPublicSignals.decode(["-1"]) }
        #expect(throws: ProofEncodingError.malformedNumber("publicSignals[0]")) { try SnarkjsPublicSignals.decode([""]) }
        let rMinusOne = try #require(UInt256(decimal: F.rDecimal)).subtractingReportingOverflow(UInt256(1)).partialValue
        #expect(try SnarkjsPublicSignals.decode([rMinusOne.decimalString]) == [-Fr.one])
    }

    @Test("snarkjs verification_key.json round-trips and carries the development label")
    func snarkjsKeyRoundTrip() throws {
        let development = F.verifyingKey(origin: .development(seed: "ci (seed) ✓"))
        let json = development.snarkjs
        #expect(json.nPublic == 2 && json.ic.count == 3)
        #expect(json.pakitSetup == "INSECURE – development only (seed: ci (seed) ✓)")
        #expect(json.vkAlphabeta12 == nil)
        #expect(try Groth16VerifyingKey(snarkjs: json) == development)

        let imported = F.verifyingKey()
        #expect(imported.snarkjs.pakitSetup == nil)
        #expect(try Groth16VerifyingKey(snarkjs: imported.snarkjs) == imported)

        // Labels Pakit did not write: any "INSECURE…" label still marks a development key.
        #expect(Groth16VerifyingKey.origin(fromLabel: "INSECURE test key") == .development(seed: ""))
        #expect(Groth16VerifyingKey.origin(fromLabel: "ceremony 2025-11, 7 contributors") == .imported)
        #expect(Groth16VerifyingKey.origin(fromLabel: nil) == .imported)

        // Survives an actual JSON encode/decode with the snarkjs key names.
        let data = try JSONEncoder().encode(json)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"vk_gamma_2\"") && text.contains("\"IC\"") && text.contains("\"pakit_setup\""))
        #expect(try Groth16VerifyingKey(snarkjs: JSONDecoder().decode(SnarkjsVerifyingKey.self, from: data)) == development)
    }

    @Test("snarkjs verification_key.json: γ = δ, nPublic mismatch, bad points and headers are refused")
    func snarkjsKeyRejections() throws {
        let key = F.verifyingKey()
        var json = key.snarkjs
        json.vkDelta2 = json.vkGamma2
        #expect(throws: ProofEncodingError.invalidKey(.gammaEqualsDelta)) { try Groth16VerifyingKey(snarkjs: json) }
        json = key.snarkjs
        json.nPublic = 3
        #expect(throws: ProofEncodingError.publicCountMismatch(nPublic: 3, icCount: 3)) { try Groth16VerifyingKey(snarkjs: json) }
        json = key.snarkjs
        json.ic = []
        json.nPublic = -1
        #expect(throws: ProofEncodingError.publicCountMismatch(nPublic: -1, icCount: 0)) { try Groth16VerifyingKey(snarkjs: json) }
        json = key.snarkjs
        json.ic[1][1] = "5"
        #expect(throws: ProofEncodingError.notOnCurve("IC[1]")) { try Groth16VerifyingKey(snarkjs: json) }
        json = key.snarkjs
        json.vkBeta2[2] = ["1", "1"]
        #expect(throws: ProofEncodingError.self) { try Groth16VerifyingKey(snarkjs: json) }
        json = key.snarkjs
        json.curve = "bn254"
        #expect(throws: ProofEncodingError.unsupportedCurve("bn254")) { try Groth16VerifyingKey(snarkjs: json) }
        let outside = try #require(F.outsideSubgroup, "no twist point outside G2 found")
        json = key.snarkjs
        json.vkGamma2 = [[outside.x.c0.decimalString, outside.x.c1.decimalString], [outside.y.c0.decimalString, outside.y.c1.decimalString], ["1", "0"]]
        #expect(throws: ProofEncodingError.notInSubgroup("vk_gamma_2")) { try Groth16VerifyingKey(snarkjs: json) }
    }

    @Test("A groth16py verification key parses as imported, re-encodes to the same JSON, and verifies its proof")
    func groth16pyKey() throws {
        let json = try F.groth16pyKey()
        let key = try Groth16VerifyingKey(snarkjs: json)
        #expect(key.origin == .imported && key.publicInputCount == 2)
        #expect(key.snarkjs == json)
        #expect(key.sha256Hex == F.groth16pyKeySha256, "canonical bytes differ from the Python layout")

        // The decoded points satisfy the Groth16 equation for public (27, 5): only true if both
        // decoders put every coordinate (and every Fq2 half) in the right place.
        let proof = try Groth16Proof(hex: F.groth16pyProofHex)
        let inputs = try SnarkjsPublicSignals.decode(["27", "5"])
        var accumulated = G1Jacobian(key.ic[0])
        for (input, point) in zip(inputs, key.ic.dropFirst()) { accumulated = accumulated + point.multiplied(by: input) }
        let pairs = [(-proof.a, proof.b), (key.alpha, key.beta), (accumulated.toAffine(), key.gamma), (proof.c, key.delta)]
        #expect(BN254Pairing.pairingCheck(pairs))
    }

    // MARK: Canonical key bytes

    @Test("Verifying key canonical bytes: layout, length, and a hash independent of the origin label")
    func canonicalBytes() throws {
        let key = F.verifyingKey()
        let bytes = key.canonicalBytes
        #expect(bytes.count == 64 + 3 * 128 + 4 + 3 * 64)
        #expect(Array(bytes[0..<32]) == key.alpha.x.bigEndianBytes)
        #expect(Array(bytes[64..<96]) == key.beta.x.c1.bigEndianBytes, "G2 words must be in EIP-197 order")
        #expect(Array(bytes[448..<452]) == [0, 0, 0, 3])
        #expect(Array(bytes[452..<484]) == key.ic[0].x.bigEndianBytes)
        #expect(key.sha256Hex.count == 64)
        #expect(F.verifyingKey(origin: .development(seed: "x")).sha256Hex == key.sha256Hex)
        let other = Groth16VerifyingKey(alpha: key.alpha, beta: key.beta, gamma: key.gamma, delta: key.delta, ic: [key.ic[0], key.ic[2], key.ic[1]], origin: .imported)
        #expect(other.sha256Hex != key.sha256Hex)

        #expect(try Groth16VerifyingKey(canonicalBytes: bytes, origin: .imported) == key)
        #expect(throws: ProofEncodingError.wrongLength(expected: bytes.count, actual: bytes.count - 1)) {
            try Groth16VerifyingKey(canonicalBytes: Array(bytes.dropLast()), origin: .imported)
        }
        #expect(throws: ProofEncodingError.truncated("vk.delta")) {
            try Groth16VerifyingKey(canonicalBytes: Array(bytes.prefix(400)), origin: .imported) // δ spans bytes 320..<448
        }
    }

    // MARK: Proving-key file

    @Test("Proving-key file round-trips in memory and on disk, for both origins")
    func provingKeyRoundTrip() throws {
        for origin in [Groth16KeyOrigin.imported, .development(seed: "dev seed ✓"), .development(seed: "")] {
            let key = F.provingKey(origin: origin)
            let bytes = key.serialized()
            #expect(bytes.starts(with: Array("pakit-pk".utf8)))
            F.expectEqual(try Groth16ProvingKey(serialized: bytes), key)
        }
        let key = F.provingKey(origin: .development(seed: "file"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pakit-pk-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(key.serialized()).write(to: URL(fileURLWithPath: path))
        F.expectEqual(try Groth16ProvingKey(contentsOf: path), key)
        #expect(throws: ProofEncodingError.self) { try Groth16ProvingKey(contentsOf: path + ".missing") }
    }

    @Test("Proving-key file: tampering, truncation, bad magic and unknown versions are refused")
    func provingKeyRejections() throws {
        let bytes = F.provingKey(origin: .imported).serialized()
        for position in [20, bytes.count / 2, bytes.count - 40, bytes.count - 1] {
            var tampered = bytes
            tampered[position] ^= 0x04
            #expect(throws: ProofEncodingError.checksumMismatch, "byte \(position)") { try Groth16ProvingKey(serialized: tampered) }
        }
        #expect(throws: ProofEncodingError.checksumMismatch) { try Groth16ProvingKey(serialized: Array(bytes.dropLast(100))) }
        #expect(throws: ProofEncodingError.truncated("proving-key header")) { try Groth16ProvingKey(serialized: Array(bytes.prefix(20))) }
        var wrong = bytes
        wrong[0] = UInt8(ascii: "P")
        #expect(throws: ProofEncodingError.badMagic(expected: "Pakit proving-key")) { try Groth16ProvingKey(serialized: wrong) }
        wrong = bytes
        wrong[8] = 2
        #expect(throws: ProofEncodingError.unsupportedVersion(2)) { try Groth16ProvingKey(serialized: wrong) }

        // A limb quadruple ≥ p behind a valid checksum still cannot enter the field arithmetic.
        var forged = Array(bytes.dropLast(32))
        let alphaOffset = 48 // header 16 + shape 24 + origin 8, no seed
        forged.replaceSubrange(alphaOffset..<(alphaOffset + 32), with: [UInt8](repeating: 0xff, count: 32))
        forged += Array(forged.withUnsafeBytes { sha256($0) })
        #expect(throws: ProofEncodingError.nonCanonicalCoordinate("vk.alpha")) { try Groth16ProvingKey(serialized: forged) }
    }

    // MARK: iden3 .r1cs and .wtns

    @Test(".r1cs and .wtns for x·x = y match the Python reference writer byte for byte")
    func iden3ExactBytes() throws {
        let system = F.squareSystem()
        let r1cs = R1CSFile(system)
        #expect(r1cs.wireCount == 3 && r1cs.publicOutputCount == 0 && r1cs.publicInputCount == 1)
        #expect(r1cs.privateInputCount == 1 && r1cs.labelCount == 3)
        #expect(Hex.encode(r1cs.serialized()) == F.squareR1CSHex)
        #expect(Hex.encode(WitnessFile(system).serialized()) == F.squareWitnessHex)

        // Spot-check the header fields by offset, as the spec lays them out.
        let bytes = r1cs.serialized()
        #expect(Array(bytes[0..<12]) == Array("r1cs".utf8) + [1, 0, 0, 0, 3, 0, 0, 0])
        #expect(Array(bytes[12..<24]) == [1, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[24..<28]) == [32, 0, 0, 0])
        #expect(Array(bytes[28..<60]) == Array(FrParameters.modulus.bigEndianBytes.reversed()))
        #expect(Array(bytes[60..<76]) == [3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test(".r1cs and .wtns readers round-trip what the writers produce")
    func iden3RoundTrip() throws {
        let system = F.squareSystem()
        let r1cs = R1CSFile(system)
        #expect(try R1CSFile(serialized: r1cs.serialized()) == r1cs)
        let witness = WitnessFile(system)
        #expect(witness.values == [.one, Fr(9), Fr(3)])
        #expect(try WitnessFile(serialized: witness.serialized()) == witness)

        // A larger system with constants, several terms and a coefficient r − 1.
        var bigger = ConstraintSystem()
        let a = bigger.publicInput(Fr(4)), b = bigger.witness(Fr(5))
        let sum = LinearCombination(terms: [.init(a, Fr(2)), .init(b, -Fr.one), .init(.one, Fr(7))])
        _ = bigger.multiply(sum, LinearCombination(b))
        let file = R1CSFile(bigger)
        #expect(file.constraints[0].a.map(\.wire) == [0, 1, 2])
        #expect(try R1CSFile(serialized: file.serialized()) == file)
        #expect(try WitnessFile(serialized: WitnessFile(bigger).serialized()).values == bigger.assignment)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pakit-\(UUID().uuidString).r1cs").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(file.serialized()).write(to: URL(fileURLWithPath: path))
        #expect(try R1CSFile(contentsOf: path) == file)
    }

    @Test(".r1cs and .wtns readers refuse other fields, bad magic, truncation and values ≥ r")
    func iden3Rejections() throws {
        let system = F.squareSystem()
        let r1cs = R1CSFile(system).serialized()
        var bad = r1cs
        bad[0] = UInt8(ascii: "x")
        #expect(throws: ProofEncodingError.badMagic(expected: ".r1cs")) { try R1CSFile(serialized: bad) }
        bad = r1cs
        bad[4] = 2
        #expect(throws: ProofEncodingError.unsupportedVersion(2)) { try R1CSFile(serialized: bad) }
        bad = r1cs
        bad[28] ^= 0x01 // prime
        #expect(throws: ProofEncodingError.fieldMismatch("prime is not the BN254 scalar field r")) { try R1CSFile(serialized: bad) }
        #expect(throws: ProofEncodingError.self) { try R1CSFile(serialized: Array(r1cs.dropLast())) }
        bad = r1cs
        bad[104] = 9 // wire id of A's first term: section 2 body at 100, after its u32 term count
        #expect(throws: ProofEncodingError.malformedFile("constraint 0 uses wire 9 of 3")) { try R1CSFile(serialized: bad) }

        let wtns = WitnessFile(system).serialized()
        bad = wtns
        bad.replaceSubrange(76..<108, with: FrParameters.modulus.bigEndianBytes.reversed()) // value 0 = r
        #expect(throws: ProofEncodingError.malformedFile("witness value 0 is not below r")) { try WitnessFile(serialized: bad) }
        #expect(throws: ProofEncodingError.self) { try WitnessFile(serialized: Array(wtns.dropLast(5))) }
        bad = wtns
        bad[0] = UInt8(ascii: "r")
        #expect(throws: ProofEncodingError.badMagic(expected: ".wtns")) { try WitnessFile(serialized: bad) }
    }
}
