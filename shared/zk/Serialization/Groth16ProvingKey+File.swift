import Crypto

/// Pakit's internal proving-key file: built for loading speed, not for exchange.
///
/// Loading a key can cost more than proving with it (zk.md §8.11: decimal parsing and
/// per-point validation took tens of seconds in other stacks). This format stores every point
/// as its raw Montgomery limbs, so loading is a bounds check plus a bulk copy, and integrity is
/// protected by one SHA-256 over the whole file instead of curve and subgroup checks. That is
/// only sound for keys this service wrote itself; keys from elsewhere enter through the
/// validating formats (snarkjs JSON, EIP-197).
///
/// Layout, all integers little-endian:
///
/// | field | bytes |
/// |---|---|
/// | magic "pakit-pk" | 8 |
/// | version (1) | u32 |
/// | reserved (0) | u32 |
/// | shape: constraints, public inputs, witnesses | 3 × u64 |
/// | origin: kind (0 imported, 1 development), seed length n | u32, u32 |
/// | seed (UTF-8) | n |
/// | vk: α (G1), β, γ, δ (G2), IC count, IC (G1 each) | 64 + 3·128 + u64 + 64·k |
/// | [β]₁, [δ]₁ | 2 × 64 |
/// | a, bG1, bG2, h, l: count (u64) then points | … |
/// | SHA-256 of everything above | 32 |
///
/// A G1 point is x ‖ y and a G2 point x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1, each coordinate four 64-bit
/// Montgomery limbs (value·2²⁵⁶ mod p), least significant first; the identity is all zero
/// (never a curve point, since b ≠ 0). The loader still checks every limb quadruple is below p:
/// it costs one comparison and keeps the field's fully-reduced invariant even if a damaged
/// file somehow carried a matching checksum.
extension Groth16ProvingKey {
    static let fileMagic = Array("pakit-pk".utf8)
    static let fileVersion: UInt32 = 1
    static let rawG1Size = 64
    static let rawG2Size = 128
    static let checksumSize = 32

    /// The key in the file format above.
    public func serialized() -> [UInt8] {
        let seed: [UInt8] = if case let .development(seed) = verifyingKey.origin { Array(seed.utf8) } else { [] }
        let g1Count = 1 + verifyingKey.ic.count + 2 + a.count + bG1.count + h.count + l.count
        let g2Count = 3 + bG2.count
        let size = 16 + 24 + 8 + seed.count + 8 + 5 * 8 + g1Count * Self.rawG1Size + g2Count * Self.rawG2Size + Self.checksumSize
        var writer = ByteWriter(capacity: size)
        writer.append(Self.fileMagic)
        writer.appendLittleEndian(Self.fileVersion)
        writer.appendLittleEndian(UInt32(0))
        writer.appendLittleEndian(UInt64(shape.constraintCount))
        writer.appendLittleEndian(UInt64(shape.publicInputCount))
        writer.appendLittleEndian(UInt64(shape.witnessCount))
        writer.appendLittleEndian(UInt32(verifyingKey.isDevelopment ? 1 : 0))
        writer.appendLittleEndian(UInt32(seed.count))
        writer.append(seed)
        Self.appendRaw([verifyingKey.alpha], to: &writer)
        Self.appendRaw([verifyingKey.beta, verifyingKey.gamma, verifyingKey.delta], to: &writer)
        Self.appendRawVector(verifyingKey.ic, to: &writer)
        Self.appendRaw([betaG1, deltaG1], to: &writer)
        Self.appendRawVector(a, to: &writer)
        Self.appendRawVector(bG1, to: &writer)
        Self.appendRawVector(bG2, to: &writer)
        Self.appendRawVector(h, to: &writer)
        Self.appendRawVector(l, to: &writer)
        let digest = writer.bytes.withUnsafeBytes { sha256($0) }
        writer.append(digest)
        return writer.bytes
    }

    /// Loads a key written by `serialized()`: checks magic, version and the SHA-256 trailer,
    /// then copies the limbs without curve or subgroup checks (see the type's notes).
    public init(serialized bytes: [UInt8]) throws(ProofEncodingError) {
        guard bytes.starts(with: Self.fileMagic) else { throw .badMagic(expected: "Pakit proving-key") }
        guard bytes.count >= 16 + Self.checksumSize else { throw .truncated("proving-key header") }
        let bodyEnd = bytes.count - Self.checksumSize
        var reader = ByteReader(bytes, offset: Self.fileMagic.count, end: bodyEnd)
        let version = try reader.readLittleEndianUInt32("version")
        guard version == Self.fileVersion else { throw .unsupportedVersion(version) }
        _ = try reader.readLittleEndianUInt32("reserved")

        // Check the whole body before trusting any count in it.
        let matches = bytes.withUnsafeBytes { raw in
            let digest = sha256(UnsafeRawBufferPointer(rebasing: raw[..<bodyEnd]))
            return digest.elementsEqual(raw[bodyEnd...])
        }
        guard matches else { throw .checksumMismatch }

        let shape = R1CSShape(
            constraintCount: try reader.readCount64("shape"),
            publicInputCount: try reader.readCount64("shape"),
            witnessCount: try reader.readCount64("shape")
        )
        let kind = try reader.readLittleEndianUInt32("origin")
        let seedLength = Int(try reader.readLittleEndianUInt32("origin"))
        let seedBytes = try reader.readBytes(seedLength, "seed")
        let origin: Groth16KeyOrigin
        switch kind {
        case 0 where seedLength == 0: origin = .imported
        case 1: origin = .development(seed: String(decoding: seedBytes, as: UTF8.self))
        default: throw .malformedFile("unknown key origin \(kind)")
        }

        let alpha = try Self.readRawG1(&reader, count: 1, "vk.alpha")
        let g2 = try Self.readRawG2(&reader, count: 3, "vk.beta/gamma/delta")
        let ic = try Self.readRawG1Vector(&reader, "vk.IC")
        let betaDelta = try Self.readRawG1(&reader, count: 2, "beta/delta G1")
        let a = try Self.readRawG1Vector(&reader, "a")
        let bG1 = try Self.readRawG1Vector(&reader, "bG1")
        let bG2 = try Self.readRawG2Vector(&reader, "bG2")
        let h = try Self.readRawG1Vector(&reader, "h")
        let l = try Self.readRawG1Vector(&reader, "l")
        guard reader.isAtEnd else { throw .trailingBytes(reader.remaining) }

        let verifyingKey = Groth16VerifyingKey(
            alpha: alpha[0], beta: g2[0], gamma: g2[1], delta: g2[2], ic: ic, origin: origin
        )
        self.init(
            verifyingKey: verifyingKey, betaG1: betaDelta[0], deltaG1: betaDelta[1],
            a: a, bG1: bG1, bG2: bG2, h: h, l: l, shape: shape
        )
    }

    /// Reads and loads a key file holding `serialized()` bytes.
    public init(contentsOf path: String) throws(ProofEncodingError) {
        try self.init(serialized: try FileIO.read(path))
    }
}

// MARK: - Raw limbs

extension Groth16ProvingKey {
    private static func storeRaw(_ value: Fq, into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        value.montgomery.storeLittleEndian(into: raw, at: offset)
    }

    private static func appendRaw(_ points: [G1Affine], to writer: inout ByteWriter) {
        writer.append(count: points.count * rawG1Size) { raw in
            for (index, point) in points.enumerated() {
                let offset = index * rawG1Size
                storeRaw(point.x, into: raw, at: offset)
                storeRaw(point.y, into: raw, at: offset + 32)
            }
        }
    }

    private static func appendRaw(_ points: [G2Affine], to writer: inout ByteWriter) {
        writer.append(count: points.count * rawG2Size) { raw in
            for (index, point) in points.enumerated() {
                let offset = index * rawG2Size
                storeRaw(point.x.c0, into: raw, at: offset)
                storeRaw(point.x.c1, into: raw, at: offset + 32)
                storeRaw(point.y.c0, into: raw, at: offset + 64)
                storeRaw(point.y.c1, into: raw, at: offset + 96)
            }
        }
    }

    private static func appendRawVector(_ points: [G1Affine], to writer: inout ByteWriter) {
        writer.appendLittleEndian(UInt64(points.count))
        appendRaw(points, to: &writer)
    }

    private static func appendRawVector(_ points: [G2Affine], to writer: inout ByteWriter) {
        writer.appendLittleEndian(UInt64(points.count))
        appendRaw(points, to: &writer)
    }

    /// Loads one coordinate; `valid` is cleared if the limbs are not below p.
    private static func loadRaw(_ raw: UnsafeRawBufferPointer, at offset: Int, valid: inout Bool) -> Fq {
        let value = UInt256.loadLittleEndian(from: raw, at: offset)
        valid = valid && value < FqParameters.modulus
        return Fq(montgomery: value)
    }

    private static func readRawG1Vector(_ reader: inout ByteReader, _ part: String) throws(ProofEncodingError) -> [G1Affine] {
        let count = try reader.readCount64(part)
        return try readRawG1(&reader, count: count, part)
    }

    private static func readRawG2Vector(_ reader: inout ByteReader, _ part: String) throws(ProofEncodingError) -> [G2Affine] {
        let count = try reader.readCount64(part)
        return try readRawG2(&reader, count: count, part)
    }

    private static func readRawG1(_ reader: inout ByteReader, count: Int, _ part: String) throws(ProofEncodingError) -> [G1Affine] {
        let start = try reader.take(count * rawG1Size, part)
        var valid = true
        let points = reader.bytes.withUnsafeBytes { raw in
            [G1Affine](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let offset = start + index * rawG1Size
                    let x = loadRaw(raw, at: offset, valid: &valid)
                    let y = loadRaw(raw, at: offset + 32, valid: &valid)
                    buffer.initializeElement(at: index, to: G1Affine(x: x, y: y, isIdentity: x.isZero && y.isZero))
                }
                initialized = count
            }
        }
        guard valid else { throw .nonCanonicalCoordinate(part) }
        return points
    }

    private static func readRawG2(_ reader: inout ByteReader, count: Int, _ part: String) throws(ProofEncodingError) -> [G2Affine] {
        let start = try reader.take(count * rawG2Size, part)
        var valid = true
        let points = reader.bytes.withUnsafeBytes { raw in
            [G2Affine](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let offset = start + index * rawG2Size
                    let x = Fq2(loadRaw(raw, at: offset, valid: &valid), loadRaw(raw, at: offset + 32, valid: &valid))
                    let y = Fq2(loadRaw(raw, at: offset + 64, valid: &valid), loadRaw(raw, at: offset + 96, valid: &valid))
                    buffer.initializeElement(at: index, to: G2Affine(x: x, y: y, isIdentity: x.isZero && y.isZero))
                }
                initialized = count
            }
        }
        guard valid else { throw .nonCanonicalCoordinate(part) }
        return points
    }
}
