import Crypto

/// An extrinsic read from a block: a signed v4 transaction or a bare inherent (v4 or v5, such
/// as `timestamp.set`). The v5 "general" form is refused: this runtime's blocks do not carry it.
public enum DecodedExtrinsic: Sendable, Equatable {
    case signed(SignedPart)
    case bare(version: UInt8, call: [UInt8])

    public struct SignedPart: Sendable, Equatable {
        public let accountID: [UInt8]
        /// `MultiSignature` variant: 0 Ed25519, 1 Sr25519, 2 Ecdsa.
        public let signatureKind: UInt8
        public let signature: [UInt8]
        public let era: Era
        public let nonce: UInt32
        public let tip: UInt128
        public let call: [UInt8]

        /// Whether an ed25519 signature covers this call and these terms on `chain`, for the
        /// era's birth block `birthHash` (what the runtime checks).
        public func verifies(chain: ChainIdentity, birthHash: [UInt8]) -> Bool {
            guard signatureKind == 0, let terms = try? TransactionTerms(era: era, birthHash: birthHash, nonce: nonce, tip: tip),
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: accountID) else { return false }
            return key.isValidSignature(signature, for: SignedExtrinsic.signingPayload(call: call, terms: terms, chain: chain))
        }
    }

    /// The call of either form: `pallet index ‖ call index ‖ arguments`.
    public var call: [UInt8] {
        switch self {
        case .signed(let part): part.call
        case .bare(_, let call): call
        }
    }

    /// Largest call accepted on decode (the runtime's own limit).
    public static let maximumLength = 16 << 20

    /// Decodes one length-prefixed extrinsic; the Compact length must match the bytes.
    public static func decode(_ bytes: [UInt8]) throws(ChainError) -> DecodedExtrinsic {
        var reader = ScaleReader(bytes)
        let length = try reader.length(maximum: maximumLength)
        guard length == reader.remaining else {
            throw ChainError(.extrinsic, "the length prefix says \(length) bytes, \(reader.remaining) follow")
        }
        let version = try reader.u8()
        switch version {
        case 0x04, 0x05:
            return .bare(version: version, call: try reader.raw(reader.remaining))
        case 0x84:
            guard try reader.u8() == 0x00 else { throw ChainError(.extrinsic, "only MultiAddress::Id senders are read") }
            let account = try reader.raw(32)
            let kind = try reader.u8()
            let signatureLength: Int
            switch kind {
            case 0, 1: signatureLength = 64
            case 2: signatureLength = 65
            default: throw ChainError(.extrinsic, "MultiSignature variant \(kind) does not exist")
            }
            let signature = try reader.raw(signatureLength)
            let era = try Era.decode(from: &reader)
            let nonce = try reader.compactU32()
            let tip = try reader.compact()
            let call = try reader.raw(reader.remaining)
            guard call.count >= 2 else { throw ChainError(.extrinsic, "the call is shorter than its two index bytes") }
            return .signed(SignedPart(accountID: account, signatureKind: kind, signature: signature, era: era,
                                      nonce: nonce, tip: tip, call: call))
        default:
            throw ChainError(.extrinsic, "extrinsic version byte 0x\(String(version, radix: 16)) is not v4 signed or a bare v4/v5 inherent")
        }
    }
}
