import PakitCore
/// Binary proof encodings: the 256-byte EIP-197 layout Ethereum verifiers take, and Pakit's
/// 128-byte compressed form (zk.md §5.2).
extension Groth16Proof {
    /// Size of `eip197Bytes`.
    public static let eip197ByteCount = 256
    /// Size of `compressedBytes`.
    public static let compressedByteCount = 128

    /// A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y as 32-byte big-endian words — the
    /// imaginary part of each Fq2 coordinate first, as the EIP-197 precompile and snarkjs'
    /// Solidity calldata expect. A point at infinity is all zero.
    public var eip197Bytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.eip197ByteCount)
        PointCoding.appendUncompressed(a, to: &writer)
        PointCoding.appendUncompressed(b, to: &writer)
        PointCoding.appendUncompressed(c, to: &writer)
        return writer.bytes
    }

    /// Parses and validates the 256-byte EIP-197 layout: every coordinate < p, every point on
    /// its curve, B in the order-r subgroup.
    public init(eip197 bytes: [UInt8]) throws(ProofEncodingError) {
        guard bytes.count == Self.eip197ByteCount else {
            throw .wrongLength(expected: Self.eip197ByteCount, actual: bytes.count)
        }
        var reader = ByteReader(bytes)
        let a = try PointCoding.readUncompressedG1(&reader, "proof.A")
        let b = try PointCoding.readUncompressedG2(&reader, "proof.B")
        let c = try PointCoding.readUncompressedG1(&reader, "proof.C")
        self.init(a: a, b: b, c: c)
    }

    /// A (32 B) ‖ B (64 B: x.c1 ‖ x.c0) ‖ C (32 B): big-endian x-coordinates with two flags in
    /// the spare top bits of each point's first byte — bit 7 = point at infinity (rest zero),
    /// bit 6 = y is the larger root. "Larger" compares standard values: y > p − y; for Fq2 the
    /// imaginary part c1 decides, and c0 only when c1 = 0.
    public var compressedBytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.compressedByteCount)
        PointCoding.appendCompressed(a, to: &writer)
        PointCoding.appendCompressed(b, to: &writer)
        PointCoding.appendCompressed(c, to: &writer)
        return writer.bytes
    }

    /// Parses the 128-byte compressed form: recovers y with a square root (x with no root is
    /// not on the curve), picks the root the flag names, and checks B's subgroup membership.
    public init(compressed bytes: [UInt8]) throws(ProofEncodingError) {
        guard bytes.count == Self.compressedByteCount else {
            throw .wrongLength(expected: Self.compressedByteCount, actual: bytes.count)
        }
        var reader = ByteReader(bytes)
        let a = try PointCoding.readCompressedG1(&reader, "proof.A")
        let b = try PointCoding.readCompressedG2(&reader, "proof.B")
        let c = try PointCoding.readCompressedG1(&reader, "proof.C")
        self.init(a: a, b: b, c: c)
    }

    /// Parses either binary form, told apart by length (256 = EIP-197, 128 = compressed).
    public init(encoded bytes: [UInt8]) throws(ProofEncodingError) {
        switch bytes.count {
        case Self.eip197ByteCount: try self.init(eip197: bytes)
        case Self.compressedByteCount: try self.init(compressed: bytes)
        default: throw .wrongLength(expected: Self.eip197ByteCount, actual: bytes.count)
        }
    }

    /// Parses hex (optional `0x`) of either binary form, as `ProofBundle.proofHex`,
    /// `compressedHex` and `VerifyRequest.proofHex` carry it.
    public init(hex: String) throws(ProofEncodingError) {
        guard let bytes = Hex.decode(hex) else { throw .malformedNumber("proof hex") }
        try self.init(encoded: bytes)
    }

    /// `eip197Bytes` as lowercase hex (no prefix).
    public var eip197Hex: String { Hex.encode(eip197Bytes) }

    /// `compressedBytes` as lowercase hex (no prefix).
    public var compressedHex: String { Hex.encode(compressedBytes) }
}
