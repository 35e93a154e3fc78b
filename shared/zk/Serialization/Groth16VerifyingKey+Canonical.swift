import PakitCore
import Crypto

/// The verifying key's canonical binary encoding and its published hash.
extension Groth16VerifyingKey {
    /// α (64 B) ‖ β ‖ γ ‖ δ (128 B each) ‖ IC count (u32 big-endian) ‖ IC points (64 B each):
    /// uncompressed, big-endian, standard form, G2 words in the EIP-197 order (x.c1, x.c0,
    /// y.c1, y.c0), identity all zero.
    ///
    /// It is a function of the points only: the origin label is deliberately left out, so the
    /// hash names the cryptographic key whatever file or JSON it travelled in, and two keys
    /// with the same hash accept exactly the same proofs.
    public var canonicalBytes: [UInt8] {
        var writer = ByteWriter(capacity: PointCoding.g1Size * (1 + ic.count) + 3 * PointCoding.g2Size + 4)
        PointCoding.appendUncompressed(alpha, to: &writer)
        PointCoding.appendUncompressed(beta, to: &writer)
        PointCoding.appendUncompressed(gamma, to: &writer)
        PointCoding.appendUncompressed(delta, to: &writer)
        writer.appendBigEndian(UInt32(truncatingIfNeeded: ic.count))
        for point in ic { PointCoding.appendUncompressed(point, to: &writer) }
        return writer.bytes
    }

    /// Lowercase hex SHA-256 of `canonicalBytes`: the key hash published with
    /// `VerifyingKeyResponse.sha256` and `ProofBundle.verifyingKeySha256`.
    public var sha256Hex: String {
        Hex.encode(canonicalBytes.withUnsafeBytes { sha256($0) })
    }

    /// Parses and validates `canonicalBytes` (points canonical, on their curves, G2 points in
    /// the subgroup; then `validated()`). The encoding carries no origin, so the caller says
    /// where the key came from.
    public init(canonicalBytes bytes: [UInt8], origin: Groth16KeyOrigin) throws(ProofEncodingError) {
        var reader = ByteReader(bytes)
        let alpha = try PointCoding.readUncompressedG1(&reader, "vk.alpha")
        let beta = try PointCoding.readUncompressedG2(&reader, "vk.beta")
        let gamma = try PointCoding.readUncompressedG2(&reader, "vk.gamma")
        let delta = try PointCoding.readUncompressedG2(&reader, "vk.delta")
        let count = Int(try reader.readBigEndianUInt32("vk.IC count"))
        guard reader.remaining == count * PointCoding.g1Size else {
            throw .wrongLength(expected: reader.offset + count * PointCoding.g1Size, actual: bytes.count)
        }
        var ic: [G1Affine] = []
        ic.reserveCapacity(count)
        for index in 0..<count { ic.append(try PointCoding.readUncompressedG1(&reader, "vk.IC[\(index)]")) }
        let key = Groth16VerifyingKey(alpha: alpha, beta: beta, gamma: gamma, delta: delta, ic: ic, origin: origin)
        do {
            self = try key.validated()
        } catch {
            throw .invalidKey(error)
        }
    }
}
