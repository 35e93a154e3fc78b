/// Point encodings shared by every external format, all in standard form (zk.md §8.1):
///
/// - uncompressed, big-endian: G1 = x ‖ y (64 B); G2 = x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (128 B, the
///   EIP-197 order with the imaginary part first); the identity is all zero, which is never a
///   curve point because b ≠ 0;
/// - compressed: x only (32 B for G1, x.c1 ‖ x.c0 = 64 B for G2) with two flags in the spare
///   top bits of the first byte (p < 2²⁵⁴): bit 7 = point at infinity, bit 6 = y is the larger
///   root (see `PrimeField.isLargerRoot` and `Fq2.isLargerRoot`).
///
/// Every decoder validates: canonical coordinates (< p), on the curve, and for G2 in the
/// order-r subgroup. The G1 cofactor is 1, so on-curve suffices there.
enum PointCoding {
    static let g1Size = 64
    static let g2Size = 128
    static let g1CompressedSize = 32
    static let g2CompressedSize = 64

    static let infinityFlag: UInt8 = 0x80
    static let largerRootFlag: UInt8 = 0x40

    // MARK: Validation from standard integers

    /// An Fq element from a standard value, or `nonCanonicalCoordinate`.
    static func fq(_ value: UInt256, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> Fq {
        guard let element = Fq(value) else { throw .nonCanonicalCoordinate(location()) }
        return element
    }

    /// Validates affine coordinates; (0, 0) is the identity.
    static func g1(x: UInt256, y: UInt256, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G1Affine {
        let x = try fq(x, location()), y = try fq(y, location())
        if x.isZero && y.isZero { return .identity }
        return try validated(G1Affine.self, x: x, y: y, location())
    }

    /// Validates affine coordinates given as (c0, c1) pairs; all zero is the identity.
    static func g2(x: (c0: UInt256, c1: UInt256), y: (c0: UInt256, c1: UInt256), _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G2Affine {
        let x = Fq2(try fq(x.c0, location()), try fq(x.c1, location()))
        let y = Fq2(try fq(y.c0, location()), try fq(y.c1, location()))
        if x.isZero && y.isZero { return .identity }
        return try validated(G2Affine.self, x: x, y: y, location())
    }

    static func validated<C: ShortWeierstrassCurve>(_: AffinePoint<C>.Type, x: C.BaseField, y: C.BaseField, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> AffinePoint<C> {
        do {
            return try AffinePoint<C>(x: x, y: y)
        } catch {
            switch error {
            case .notOnCurve: throw .notOnCurve(location())
            case .notInSubgroup: throw .notInSubgroup(location())
            }
        }
    }

    // MARK: Uncompressed big-endian

    static func appendUncompressed(_ point: G1Affine, to writer: inout ByteWriter) {
        writer.appendBigEndian(point.x.standardValue)
        writer.appendBigEndian(point.y.standardValue)
    }

    static func appendUncompressed(_ point: G2Affine, to writer: inout ByteWriter) {
        writer.appendBigEndian(point.x.c1.standardValue)
        writer.appendBigEndian(point.x.c0.standardValue)
        writer.appendBigEndian(point.y.c1.standardValue)
        writer.appendBigEndian(point.y.c0.standardValue)
    }

    static func readUncompressedG1(_ reader: inout ByteReader, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G1Affine {
        let x = try reader.readBigEndianUInt256(location())
        let y = try reader.readBigEndianUInt256(location())
        return try g1(x: x, y: y, location())
    }

    static func readUncompressedG2(_ reader: inout ByteReader, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G2Affine {
        let xc1 = try reader.readBigEndianUInt256(location())
        let xc0 = try reader.readBigEndianUInt256(location())
        let yc1 = try reader.readBigEndianUInt256(location())
        let yc0 = try reader.readBigEndianUInt256(location())
        return try g2(x: (xc0, xc1), y: (yc0, yc1), location())
    }

    // MARK: Compressed

    static func appendCompressed(_ point: G1Affine, to writer: inout ByteWriter) {
        guard !point.isIdentity else {
            writer.append([infinityFlag] + [UInt8](repeating: 0, count: g1CompressedSize - 1))
            return
        }
        let flag = point.y.isLargerRoot ? largerRootFlag : 0
        writer.append(count: 32) { raw in
            point.x.standardValue.storeBigEndian(into: raw, at: 0)
            raw[0] |= flag
        }
    }

    static func appendCompressed(_ point: G2Affine, to writer: inout ByteWriter) {
        guard !point.isIdentity else {
            writer.append([infinityFlag] + [UInt8](repeating: 0, count: g2CompressedSize - 1))
            return
        }
        let flag = point.y.isLargerRoot ? largerRootFlag : 0
        writer.append(count: 64) { raw in
            point.x.c1.standardValue.storeBigEndian(into: raw, at: 0)
            point.x.c0.standardValue.storeBigEndian(into: raw, at: 32)
            raw[0] |= flag
        }
    }

    /// Splits the flags off the first word; the identity must have an otherwise all-zero body
    /// so that every point keeps exactly one encoding.
    private static func readFlags(_ reader: inout ByteReader, size: Int, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> (isIdentity: Bool, larger: Bool, words: [UInt256]) {
        var body = Array(try reader.readBytes(size, location()))
        let flags = body[0] & (infinityFlag | largerRootFlag)
        body[0] &= ~(infinityFlag | largerRootFlag)
        if flags & infinityFlag != 0 {
            guard flags == infinityFlag, body.allSatisfy({ $0 == 0 }) else { throw .invalidFlags(location()) }
            return (true, false, [])
        }
        let words = body.withUnsafeBytes { raw in
            stride(from: 0, to: size, by: 32).map { UInt256.loadBigEndian(from: raw, at: $0) }
        }
        return (false, flags == largerRootFlag, words)
    }

    static func readCompressedG1(_ reader: inout ByteReader, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G1Affine {
        let (isIdentity, larger, words) = try readFlags(&reader, size: g1CompressedSize, location())
        if isIdentity { return .identity }
        let x = try fq(words[0], location())
        guard var y = (x.square() * x + BN254G1.b).squareRoot() else { throw .notOnCurve(location()) }
        if y.isLargerRoot != larger { y = -y }
        return try validated(G1Affine.self, x: x, y: y, location())
    }

    static func readCompressedG2(_ reader: inout ByteReader, _ location: @autoclosure () -> String) throws(ProofEncodingError) -> G2Affine {
        let (isIdentity, larger, words) = try readFlags(&reader, size: g2CompressedSize, location())
        if isIdentity { return .identity }
        let x = Fq2(try fq(words[1], location()), try fq(words[0], location()))
        guard var y = (x.square() * x + BN254G2.b).squareRoot() else { throw .notOnCurve(location()) }
        if y.isLargerRoot != larger { y = -y }
        // The twist has cofactor 2p − r: a valid x can still give a point outside G2.
        return try validated(G2Affine.self, x: x, y: y, location())
    }
}
