import Crypto
import PakitCore

/// What every signature on a chain covers besides the call: the runtime's versions and the
/// genesis hash (BelizeChain's `CheckSpecVersion`, `CheckTxVersion`, `CheckGenesis`).
public struct ChainIdentity: Sendable, Equatable {
    public let genesisHash: [UInt8]
    public let specVersion: UInt32
    public let transactionVersion: UInt32

    public init(genesisHash: [UInt8], specVersion: UInt32, transactionVersion: UInt32) throws(ChainError) {
        guard genesisHash.count == 32 else { throw ChainError(.key, "a genesis hash has 32 bytes, not \(genesisHash.count)") }
        self.genesisHash = genesisHash
        self.specVersion = specVersion
        self.transactionVersion = transactionVersion
    }
}

/// The per-transaction part of a signature: era and its birth block's hash, nonce and tip
/// (`CheckMortality`, `CheckNonce`, `ChargeTransactionPayment`).
public struct TransactionTerms: Sendable, Equatable {
    public let era: Era
    /// Hash of the era's birth block (the genesis hash for an immortal era).
    public let birthHash: [UInt8]
    public let nonce: UInt32
    public let tip: UInt128

    public init(era: Era, birthHash: [UInt8], nonce: UInt32, tip: UInt128 = 0) throws(ChainError) {
        guard birthHash.count == 32 else { throw ChainError(.key, "a block hash has 32 bytes, not \(birthHash.count)") }
        self.era = era
        self.birthHash = birthHash
        self.nonce = nonce
        self.tip = tip
    }

    /// The explicit extensions, in the extrinsic as in the payload: `Era ‖ Compact(nonce) ‖ Compact(tip)`.
    func writeExtra(into writer: inout ScaleWriter) {
        era.encode(into: &writer)
        writer.compact(UInt128(nonce))
        writer.compact(tip)
    }
}

/// An ed25519 account key: the relay's signer. Its AccountId32 is the public key itself.
public struct ChainSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// From the 32-byte seed (what a key file holds).
    public init(seed: [UInt8]) throws(ChainError) {
        guard seed.count == 32 else { throw ChainError(.key, "an ed25519 seed has 32 bytes, not \(seed.count)") }
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw ChainError(.key, "the ed25519 seed was refused: \(error)")
        }
    }

    public var accountID: [UInt8] { Array(key.publicKey.rawRepresentation) }

    /// Ed25519 is deterministic (RFC 8032): the same key and message give the same signature.
    func sign(_ message: [UInt8]) throws(ChainError) -> [UInt8] {
        do { return Array(try key.signature(for: message)) } catch {
            throw ChainError(.key, "signing failed: \(error)")
        }
    }
}

/// A signed extrinsic, v4 (`0x84`), as BelizeChain's runtime checks it: 8 signed extensions
/// in order, no `CheckMetadataHash`.
public struct SignedExtrinsic: Sendable, Equatable {
    /// `Compact(length) ‖ 0x84 ‖ 0x00 ‖ account ‖ 0x00 ‖ signature ‖ extra ‖ call`: what
    /// `author_submitExtrinsic` takes.
    public let bytes: [UInt8]
    /// `blake2_256(bytes)`: the transaction hash the node reports.
    public let hash: [UInt8]
    public let signature: [UInt8]

    /// The bytes a signer signs: `call ‖ extra ‖ spec ‖ tx version ‖ genesis ‖ birth hash`,
    /// or their BLAKE2-256 when longer than 256 bytes.
    public static func signingPayload(call: [UInt8], terms: TransactionTerms, chain: ChainIdentity) -> [UInt8] {
        var writer = ScaleWriter()
        writer.raw(call)
        terms.writeExtra(into: &writer)
        writer.u32(chain.specVersion)
        writer.u32(chain.transactionVersion)
        writer.raw(chain.genesisHash)
        writer.raw(terms.birthHash)
        let payload = writer.bytes
        return payload.count > 256 ? Blake2b.hash256(payload) : payload
    }

    /// Signs `call` (pallet index ‖ call index ‖ arguments) with `signer`.
    public static func sign(call: [UInt8], terms: TransactionTerms, chain: ChainIdentity, signer: ChainSigner) throws(ChainError) -> SignedExtrinsic {
        let signature = try signer.sign(signingPayload(call: call, terms: terms, chain: chain))
        var body = ScaleWriter()
        body.u8(0x84)
        body.u8(0x00)  // MultiAddress::Id
        body.raw(signer.accountID)
        body.u8(0x00)  // MultiSignature::Ed25519
        body.raw(signature)
        terms.writeExtra(into: &body)
        body.raw(call)
        var whole = ScaleWriter()
        whole.byteVector(body.bytes)
        return SignedExtrinsic(bytes: whole.bytes, hash: Blake2b.hash256(whole.bytes), signature: signature)
    }
}
