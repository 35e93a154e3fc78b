import PakitCore

/// Keys of runtime storage: `twox128(pallet) ‖ twox128(item) ‖ hasher(SCALE(key))…`.
public enum StorageKey {
    /// The hashers a storage map may use for its keys.
    public enum Hasher: Sendable {
        case blake2_128Concat, twox64Concat, identity

        /// `key` as this hasher puts it into a storage key (`key` is already SCALE-encoded).
        public func apply(_ key: [UInt8]) -> [UInt8] {
            switch self {
            case .blake2_128Concat: Blake2b.hash(key, outputLength: 16) + key
            case .twox64Concat: StorageKey.littleEndian(XXHash64.hash(key, seed: 0)) + key
            case .identity: key
            }
        }
    }

    /// `xxh64(x, seed 0) LE ‖ xxh64(x, seed 1) LE`.
    public static func twox128(_ bytes: [UInt8]) -> [UInt8] {
        littleEndian(XXHash64.hash(bytes, seed: 0)) + littleEndian(XXHash64.hash(bytes, seed: 1))
    }

    /// The key of a plain storage value, and the prefix of every entry of a map.
    public static func prefix(pallet: String, item: String) -> [UInt8] {
        twox128(Array(pallet.utf8)) + twox128(Array(item.utf8))
    }

    /// The key of one map entry; `keys` are SCALE-encoded (a `BoundedVec<u8>` key with its
    /// Compact length, as the runtime hashes it).
    public static func entry(pallet: String, item: String, keys: [(Hasher, [UInt8])]) -> [UInt8] {
        keys.reduce(prefix(pallet: pallet, item: item)) { $0 + $1.0.apply($1.1) }
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        var writer = ScaleWriter()
        writer.u64(value)
        return writer.bytes
    }
}
