import PakitContracts

/// snarkjs JSON points and numbers (zk.md §5.1): decimal strings of standard values, affine
/// points with an explicit projective z.
///
/// A finite point is written [x, y, "1"] (G2: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]] — real
/// part first, unlike EIP-197). The point at infinity is written as the projective zero
/// (0 : 1 : 0) = ["0", "1", "0"] (G2: [["0", "0"], ["1", "0"], ["0", "0"]]); on input z = 0 is
/// accepted with x = 0 and y ∈ {0, 1}, covering both the projective-zero and the all-zero
/// conventions of other tools, and a missing z means z = 1.
enum SnarkjsCoding {
    /// Outcome of reading a decimal string.
    enum Decimal {
        case value(UInt256)
        /// Only digits, but ≥ 2²⁵⁶: certainly not a canonical field element.
        case tooLarge
        case malformed
    }

    static func decimal(_ text: String) -> Decimal {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .malformed
        }
        return UInt256(decimal: text).map(Decimal.value) ?? .tooLarge
    }

    /// A coordinate: malformed strings and values ≥ p are refused.
    static func coordinate(_ text: String, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> UInt256 {
        switch decimal(text) {
        case let .value(value):
            guard value < FqParameters.modulus else { throw .nonCanonicalCoordinate(location()) }
            return value
        case .tooLarge: throw .nonCanonicalCoordinate(location())
        case .malformed: throw .malformedNumber(location())
        }
    }

    // MARK: G1

    static func encode(_ point: G1Affine) -> [String] {
        if point.isIdentity { return ["0", "1", "0"] }
        return [point.x.decimalString, point.y.decimalString, "1"]
    }

    static func decodeG1(_ values: [String], _ location: String) throws(ProofEncodingError) -> G1Affine {
        guard values.count == 2 || values.count == 3 else {
            throw .badJSONShape("\(location) must be [x, y, z], got \(values.count) elements")
        }
        let x = try coordinate(values[0], location)
        let y = try coordinate(values[1], location)
        let z = values.count == 3 ? try coordinate(values[2], location) : UInt256(1)
        if z == UInt256(1) { return try PointCoding.g1(x: x, y: y, location) }
        guard z.isZero, x.isZero, y.isZero || y == UInt256(1) else {
            throw .badJSONShape("\(location) must have z = 1 (affine) or be the point at infinity [0, 1, 0]")
        }
        return .identity
    }

    // MARK: G2

    static func encode(_ point: G2Affine) -> [[String]] {
        if point.isIdentity { return [["0", "0"], ["1", "0"], ["0", "0"]] }
        return [
            [point.x.c0.decimalString, point.x.c1.decimalString],
            [point.y.c0.decimalString, point.y.c1.decimalString],
            ["1", "0"],
        ]
    }

    static func decodeG2(_ values: [[String]], _ location: String) throws(ProofEncodingError) -> G2Affine {
        guard values.count == 2 || values.count == 3, values.allSatisfy({ $0.count == 2 }) else {
            throw .badJSONShape("\(location) must be [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]")
        }
        let x = (c0: try coordinate(values[0][0], location), c1: try coordinate(values[0][1], location))
        let y = (c0: try coordinate(values[1][0], location), c1: try coordinate(values[1][1], location))
        let z = values.count == 3
            ? (c0: try coordinate(values[2][0], location), c1: try coordinate(values[2][1], location))
            : (c0: UInt256(1), c1: UInt256.zero)
        if z.c0 == UInt256(1) && z.c1.isZero { return try PointCoding.g2(x: x, y: y, location) }
        guard z.c0.isZero, z.c1.isZero, x.c0.isZero, x.c1.isZero, y.c1.isZero, y.c0.isZero || y.c0 == UInt256(1) else {
            throw .badJSONShape("\(location) must have z = [1, 0] (affine) or be the point at infinity")
        }
        return .identity
    }

    // MARK: Header fields

    static func checkProtocol(_ name: String, curve: String) throws(ProofEncodingError) {
        guard name == "groth16" else { throw .unsupportedProtocol(name) }
        guard curve == "bn128" else { throw .unsupportedCurve(curve) }
    }
}

/// snarkjs `public.json`: the public inputs as decimal strings of standard values.
public enum SnarkjsPublicSignals {
    /// Decimal strings, in order.
    public static func encode(_ inputs: [Fr]) -> [String] {
        inputs.map(\.decimalString)
    }

    /// Parses decimal strings; a value ≥ r (including digit strings beyond 2²⁵⁶) is
    /// `publicInputOutOfRange(index:)`, as snarkjs' verifier refuses it (zk.md §8.4); anything
    /// but ASCII digits is `malformedNumber`.
    public static func decode(_ signals: [String]) throws(ProofEncodingError) -> [Fr] {
        var inputs: [Fr] = []
        inputs.reserveCapacity(signals.count)
        for (index, text) in signals.enumerated() {
            switch SnarkjsCoding.decimal(text) {
            case let .value(value):
                guard let input = Fr(value) else { throw .publicInputOutOfRange(index: index) }
                inputs.append(input)
            case .tooLarge: throw .publicInputOutOfRange(index: index)
            case .malformed: throw .malformedNumber("publicSignals[\(index)]")
            }
        }
        return inputs
    }
}

extension Groth16Proof {
    /// snarkjs `proof.json`.
    public var snarkjs: SnarkjsProof {
        SnarkjsProof(piA: SnarkjsCoding.encode(a), piB: SnarkjsCoding.encode(b), piC: SnarkjsCoding.encode(c))
    }

    /// Parses and validates snarkjs `proof.json` (protocol "groth16", curve "bn128"; points
    /// canonical, on their curves, B in the subgroup).
    public init(snarkjs proof: SnarkjsProof) throws(ProofEncodingError) {
        try SnarkjsCoding.checkProtocol(proof.protocol, curve: proof.curve)
        let a = try SnarkjsCoding.decodeG1(proof.piA, "pi_a")
        let b = try SnarkjsCoding.decodeG2(proof.piB, "pi_b")
        let c = try SnarkjsCoding.decodeG1(proof.piC, "pi_c")
        self.init(a: a, b: b, c: c)
    }
}

extension Groth16VerifyingKey {
    /// The `pakit_setup` label prefix of a development key; the seed follows, then ")".
    static let developmentLabelPrefix = "INSECURE – development only (seed: "

    /// snarkjs `verification_key.json`. A development key carries `pakit_setup` =
    /// "INSECURE – development only (seed: <seed>)" so that anyone reading the file sees it is
    /// forgeable; imported keys carry none. `vk_alphabeta_12` is omitted (it is optional and
    /// every verifier here recomputes e(α, β)).
    public var snarkjs: SnarkjsVerifyingKey {
        let label: String? = switch origin {
        case let .development(seed): Self.developmentLabelPrefix + seed + ")"
        case .imported: nil
        }
        return SnarkjsVerifyingKey(
            nPublic: publicInputCount,
            vkAlpha1: SnarkjsCoding.encode(alpha),
            vkBeta2: SnarkjsCoding.encode(beta),
            vkGamma2: SnarkjsCoding.encode(gamma),
            vkDelta2: SnarkjsCoding.encode(delta),
            ic: ic.map(SnarkjsCoding.encode),
            pakitSetup: label
        )
    }

    /// Parses and validates snarkjs `verification_key.json`: protocol and curve, nPublic =
    /// IC.count − 1, every point canonical and on its curve (G2 points in the subgroup), then
    /// `validated()` (at least one IC point, γ ≠ δ).
    ///
    /// The origin comes from `pakit_setup`: a label starting with "INSECURE" is a development
    /// key (its seed read back from "… (seed: <seed>)", empty if the label has another form);
    /// any other key is `.imported`. `vk_alphabeta_12` is ignored.
    public init(snarkjs key: SnarkjsVerifyingKey) throws(ProofEncodingError) {
        try SnarkjsCoding.checkProtocol(key.protocol, curve: key.curve)
        guard key.nPublic >= 0, key.nPublic + 1 == key.ic.count else {
            throw .publicCountMismatch(nPublic: key.nPublic, icCount: key.ic.count)
        }
        let alpha = try SnarkjsCoding.decodeG1(key.vkAlpha1, "vk_alpha_1")
        let beta = try SnarkjsCoding.decodeG2(key.vkBeta2, "vk_beta_2")
        let gamma = try SnarkjsCoding.decodeG2(key.vkGamma2, "vk_gamma_2")
        let delta = try SnarkjsCoding.decodeG2(key.vkDelta2, "vk_delta_2")
        var ic: [G1Affine] = []
        ic.reserveCapacity(key.ic.count)
        for (index, point) in key.ic.enumerated() {
            ic.append(try SnarkjsCoding.decodeG1(point, "IC[\(index)]"))
        }
        let origin = Self.origin(fromLabel: key.pakitSetup)
        let parsed = Groth16VerifyingKey(alpha: alpha, beta: beta, gamma: gamma, delta: delta, ic: ic, origin: origin)
        do {
            self = try parsed.validated()
        } catch {
            throw .invalidKey(error)
        }
    }

    static func origin(fromLabel label: String?) -> Groth16KeyOrigin {
        guard let label, label.hasPrefix("INSECURE") else { return .imported }
        guard label.hasPrefix(developmentLabelPrefix), label.hasSuffix(")") else { return .development(seed: "") }
        return .development(seed: String(label.dropFirst(developmentLabelPrefix.count).dropLast()))
    }
}
