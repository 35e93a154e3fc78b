/// Runtime metadata V14 as `state_getMetadata` returns it: the portable type registry, the
/// pallets, the extrinsic format and the runtime's own type. Built only by `init(bytes:)`,
/// which checks everything it reads.
public struct RuntimeMetadata: Sendable, Equatable {
    public let types: TypeRegistry
    public let pallets: [PalletMetadata]
    public let extrinsic: ExtrinsicMetadata
    /// The `Runtime` type's id in the registry.
    public let runtimeTypeID: UInt32

    /// The pallet of that name (names are case-sensitive: `Bns`, not `BNS`).
    public func pallet(named name: String) -> PalletMetadata? { pallets.first { $0.name == name } }

    /// The pallet at that `construct_runtime!` index.
    public func pallet(index: UInt8) -> PalletMetadata? { pallets.first { $0.index == index } }
}

/// A pallet as the metadata describes it. `calls`, `event` and `error` are type ids of
/// variant types (one variant per call, event or error), absent when the pallet has none.
public struct PalletMetadata: Sendable, Equatable {
    public let name: String
    public let storage: PalletStorage?
    public let calls: UInt32?
    public let event: UInt32?
    public let constants: [PalletConstant]
    public let error: UInt32?
    public let index: UInt8

    /// The storage entry of that name.
    public func storageEntry(named name: String) -> StorageEntry? { storage?.entries.first { $0.name == name } }
}

/// A pallet's storage items.
public struct PalletStorage: Sendable, Equatable {
    /// The name hashed with twox128 as the first half of every key (the pallet's name).
    public let prefix: String
    public let entries: [StorageEntry]
}

/// One storage item: a single value or a map, and what an absent key reads as.
public struct StorageEntry: Sendable, Equatable {
    public enum Modifier: UInt8, Sendable, Equatable {
        /// Absent keys read as nothing (`OptionQuery`).
        case optional = 0
        /// Absent keys read as `defaultValue` (`ValueQuery`).
        case `default` = 1
    }

    public enum Hasher: UInt8, Sendable, Equatable {
        case blake2_128 = 0, blake2_256, blake2_128Concat, twox128, twox256, twox64Concat, identity
    }

    public enum Kind: Sendable, Equatable {
        /// A single value of type `value`.
        case plain(value: UInt32)
        /// A map: one hasher per key part; `key` is the key's type (a tuple when there are several parts).
        case map(hashers: [Hasher], key: UInt32, value: UInt32)
    }

    public let name: String
    public let modifier: Modifier
    public let kind: Kind
    /// The SCALE bytes an absent key reads as (meaningful for `.default`).
    public let defaultValue: [UInt8]
    public let docs: [String]

    /// The type of the stored value, plain or map.
    public var valueType: UInt32 {
        switch kind {
        case .plain(let value), .map(_, _, let value): value
        }
    }
}

/// A constant of the pallet's configuration (`BlockHashCount`, `ExistentialDeposit`).
public struct PalletConstant: Sendable, Equatable {
    public let name: String
    public let type: UInt32
    /// The constant's SCALE encoding, to be decoded as `type`.
    public let value: [UInt8]
    public let docs: [String]
}

/// The extrinsic format the runtime accepts.
public struct ExtrinsicMetadata: Sendable, Equatable {
    /// The `UncheckedExtrinsic` type's id.
    public let type: UInt32
    /// The extrinsic format version (4 for the transactions BelizeChain's runtime signs).
    public let version: UInt8
    public let signedExtensions: [SignedExtensionMetadata]
}

/// One signed extension: `type` is what the extrinsic carries, `additionalSigned` what only
/// the signed payload carries.
public struct SignedExtensionMetadata: Sendable, Equatable {
    public let identifier: String
    public let type: UInt32
    public let additionalSigned: UInt32
}
