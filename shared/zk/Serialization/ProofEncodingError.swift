/// Why an encoded proof, key, circuit or witness was refused.
///
/// Every parser in `Serialization/` throws this one type, so the service maps it to its error
/// envelope in one place. Cases carry a short location (`"proof.B"`, `"vk.IC[2]"`,
/// `"section 2"`) so a client can tell which part of its input was wrong.
public enum ProofEncodingError: Error, Equatable, Sendable {
    /// A fixed-size encoding had the wrong number of bytes.
    case wrongLength(expected: Int, actual: Int)
    /// The input ended inside the named part.
    case truncated(String)
    /// Bytes were left over after a complete structure.
    case trailingBytes(Int)
    /// A coordinate is not the canonical encoding of an Fq element (value ≥ p): accepting it
    /// would give one point several encodings.
    case nonCanonicalCoordinate(String)
    /// The coordinates do not satisfy the curve equation (or, compressed, x has no y).
    case notOnCurve(String)
    /// A G2 point is on the twist but outside the order-r subgroup (zk.md §8.3).
    case notInSubgroup(String)
    /// The flag bits of a compressed point are inconsistent (both set, or infinity with a
    /// non-zero body).
    case invalidFlags(String)
    /// A public input is ≥ r: it would alias a smaller input and let one proof verify two
    /// statements (zk.md §8.4).
    case publicInputOutOfRange(index: Int)
    /// A number is not a plain decimal (or hexadecimal) string.
    case malformedNumber(String)
    /// JSON decoded but does not have the snarkjs shape (array lengths, z coordinates).
    case badJSONShape(String)
    /// `protocol` is not "groth16".
    case unsupportedProtocol(String)
    /// `curve` is not "bn128".
    case unsupportedCurve(String)
    /// `nPublic` disagrees with the number of IC points (nPublic + 1 expected).
    case publicCountMismatch(nPublic: Int, icCount: Int)
    /// The key parsed but fails `Groth16VerifyingKey.validated()` (e.g. γ = δ).
    case invalidKey(Groth16Error)
    /// A file does not start with the expected magic bytes.
    case badMagic(expected: String)
    /// A file has a format version this code does not read.
    case unsupportedVersion(UInt32)
    /// The SHA-256 trailer of a proving-key file does not match its contents.
    case checksumMismatch
    /// A binary file is structurally wrong (message says how).
    case malformedFile(String)
    /// An iden3 file is for another field (n8 ≠ 32 or prime ≠ r).
    case fieldMismatch(String)
    /// Reading or writing a file failed (`errno` from the system call).
    case io(path: String, errno: Int32)
}

extension ProofEncodingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .wrongLength(expected, actual): "expected \(expected) bytes, got \(actual)"
        case let .truncated(part): "input ends inside \(part)"
        case let .trailingBytes(count): "\(count) unexpected bytes after the end"
        case let .nonCanonicalCoordinate(location): "\(location): coordinate is not below the field modulus p"
        case let .notOnCurve(location): "\(location): point is not on the curve"
        case let .notInSubgroup(location): "\(location): point is not in the order-r subgroup"
        case let .invalidFlags(location): "\(location): invalid compression flags"
        case let .publicInputOutOfRange(index): "public input \(index) is not below the scalar field modulus r"
        case let .malformedNumber(location): "\(location): not a valid number"
        case let .badJSONShape(message): "unexpected JSON shape: \(message)"
        case let .unsupportedProtocol(name): "protocol \"\(name)\" is not groth16"
        case let .unsupportedCurve(name): "curve \"\(name)\" is not bn128"
        case let .publicCountMismatch(nPublic, icCount): "nPublic is \(nPublic) but IC holds \(icCount) points (nPublic + 1 expected)"
        case let .invalidKey(error): "invalid verifying key: \(error)"
        case let .badMagic(expected): "not a \(expected) file (bad magic)"
        case let .unsupportedVersion(version): "unsupported format version \(version)"
        case .checksumMismatch: "checksum mismatch: the file is corrupt or was modified"
        case let .malformedFile(message): "malformed file: \(message)"
        case let .fieldMismatch(message): "wrong field: \(message)"
        case let .io(path, errno): "I/O error \(errno) on \(path)"
        }
    }
}
