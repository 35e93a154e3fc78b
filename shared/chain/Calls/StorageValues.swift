/// Storage values the relay reads to learn what the chain holds (the truth, where status
/// streams are only hints), each with the key it is stored under.
public enum StorageValue {
    /// `System.Account(id)`: `AccountInfo { nonce, consumers, providers, sufficients,
    /// data: { free, reserved, frozen, flags } }`.
    public struct AccountInfo: Sendable, Equatable {
        public let nonce: UInt32
        public let consumers: UInt32
        public let providers: UInt32
        public let sufficients: UInt32
        public let free: UInt128
        public let reserved: UInt128
        public let frozen: UInt128
        public let flags: UInt128

        public init(nonce: UInt32, consumers: UInt32, providers: UInt32, sufficients: UInt32,
                    free: UInt128, reserved: UInt128, frozen: UInt128, flags: UInt128) {
            self.nonce = nonce
            self.consumers = consumers
            self.providers = providers
            self.sufficients = sufficients
            self.free = free
            self.reserved = reserved
            self.frozen = frozen
            self.flags = flags
        }

        public static func key(_ account: [UInt8]) throws(ChainError) -> [UInt8] {
            try CallArguments.account(account)
            return StorageKey.entry(pallet: "System", item: "Account", keys: [(.blake2_128Concat, account)])
        }

        public static func decode(_ bytes: [UInt8]) throws(ChainError) -> AccountInfo {
            var reader = ScaleReader(bytes)
            let info = AccountInfo(nonce: try reader.u32(), consumers: try reader.u32(), providers: try reader.u32(),
                                   sufficients: try reader.u32(), free: try reader.u128(), reserved: try reader.u128(),
                                   frozen: try reader.u128(), flags: try reader.u128())
            guard reader.isAtEnd else { throw ChainError(.scale, "\(reader.remaining) bytes left after an AccountInfo") }
            return info
        }
    }

    /// `StorageProof.StorageProofs(content_id)`: `ProofRecord { submitter, submitted_at, proof_type }`.
    /// The first submitter wins: a later `ContentAlreadyProven` is a success when this
    /// record's submitter is the relay's own account.
    public struct ProofRecord: Sendable, Equatable {
        public let submitter: [UInt8]
        public let submittedAt: UInt32
        public let proofType: StorageProofCall.ProofType

        public init(submitter: [UInt8], submittedAt: UInt32, proofType: StorageProofCall.ProofType) {
            self.submitter = submitter
            self.submittedAt = submittedAt
            self.proofType = proofType
        }

        /// The key of `StorageProofs(content_id)` (Blake2_128Concat).
        public static func key(contentID: [UInt8]) -> [UInt8] {
            StorageKey.entry(pallet: "StorageProof", item: "StorageProofs", keys: [(.blake2_128Concat, contentID)])
        }

        public static func decode(_ bytes: [UInt8]) throws(ChainError) -> ProofRecord {
            var reader = ScaleReader(bytes)
            let submitter = try reader.raw(32)
            let submittedAt = try reader.u32()
            let kind = try reader.u8()
            guard let proofType = StorageProofCall.ProofType(rawValue: kind) else {
                throw ChainError(.scale, "proof type \(kind) does not exist")
            }
            guard reader.isAtEnd else { throw ChainError(.scale, "\(reader.remaining) bytes left after a ProofRecord") }
            return ProofRecord(submitter: submitter, submittedAt: submittedAt, proofType: proofType)
        }
    }

    /// `Bns.HostedWebsites(domain)`: `HostingInfo`, the site a `.bz` name serves.
    public struct HostingInfo: Sendable, Equatable {
        public let subscriber: [UInt8]
        public let tier: UInt8
        public let contentHash: [UInt8]
        public let activatedAt: UInt32
        public let lastPaymentAt: UInt32
        public let expiresAt: UInt32
        public let dataSize: UInt64
        public let monthlyFee: UInt128
        public let autoRenew: Bool

        public init(subscriber: [UInt8], tier: UInt8, contentHash: [UInt8], activatedAt: UInt32, lastPaymentAt: UInt32,
                    expiresAt: UInt32, dataSize: UInt64, monthlyFee: UInt128, autoRenew: Bool) {
            self.subscriber = subscriber
            self.tier = tier
            self.contentHash = contentHash
            self.activatedAt = activatedAt
            self.lastPaymentAt = lastPaymentAt
            self.expiresAt = expiresAt
            self.dataSize = dataSize
            self.monthlyFee = monthlyFee
            self.autoRenew = autoRenew
        }

        /// The key: Blake2_128Concat over the SCALE-encoded name (its Compact length included).
        public static func key(domain: String) throws(ChainError) -> [UInt8] {
            var encoded = ScaleWriter()
            encoded.byteVector(try BnsCall.domainBytes(domain))
            return StorageKey.entry(pallet: "Bns", item: "HostedWebsites", keys: [(.blake2_128Concat, encoded.bytes)])
        }

        public static func decode(_ bytes: [UInt8]) throws(ChainError) -> HostingInfo {
            var reader = ScaleReader(bytes)
            let info = HostingInfo(subscriber: try reader.raw(32), tier: try reader.u8(), contentHash: try reader.raw(32),
                                   activatedAt: try reader.u32(), lastPaymentAt: try reader.u32(), expiresAt: try reader.u32(),
                                   dataSize: try reader.u64(), monthlyFee: try reader.u128(), autoRenew: try reader.bool())
            guard reader.isAtEnd else { throw ChainError(.scale, "\(reader.remaining) bytes left after a HostingInfo") }
            guard info.tier <= 3 else { throw ChainError(.scale, "hosting tier \(info.tier) does not exist") }
            return info
        }

        public func encode() -> [UInt8] {
            var writer = ScaleWriter()
            writer.raw(subscriber)
            writer.u8(tier)
            writer.raw(contentHash)
            writer.u32(activatedAt)
            writer.u32(lastPaymentAt)
            writer.u32(expiresAt)
            writer.u64(dataSize)
            writer.u128(monthlyFee)
            writer.bool(autoRenew)
            return writer.bytes
        }
    }
}
