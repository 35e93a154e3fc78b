/// SCALE encoding (the Substrate codec): fixed-width integers little-endian, `Compact`
/// integers, length-prefixed vectors, options and enum indices. Structs and tuples are their
/// fields written one after another.
public struct ScaleWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    public mutating func u16(_ value: UInt16) { littleEndian(UInt128(value), count: 2) }
    public mutating func u32(_ value: UInt32) { littleEndian(UInt128(value), count: 4) }
    public mutating func u64(_ value: UInt64) { littleEndian(UInt128(value), count: 8) }
    public mutating func u128(_ value: UInt128) { littleEndian(value, count: 16) }

    /// Raw bytes with no length: `[u8; N]`, hashes, keys, an already encoded call.
    public mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// `Vec<u8>`, `BoundedVec<u8, _>`, `String`: `Compact(length) ‖ bytes`.
    public mutating func byteVector(_ value: some Collection<UInt8>) {
        compact(UInt128(value.count))
        bytes.append(contentsOf: value)
    }

    /// `Vec<T>`: `Compact(count)`, then each item as `write` encodes it.
    public mutating func vector<Item>(_ items: [Item], _ write: (inout ScaleWriter, Item) -> Void) {
        compact(UInt128(items.count))
        for item in items { write(&self, item) }
    }

    /// `Option<T>`: `00`, or `01 ‖ T`.
    public mutating func option<Value>(_ value: Value?, _ write: (inout ScaleWriter, Value) -> Void) {
        guard let value else { return u8(0) }
        u8(1)
        write(&self, value)
    }

    /// `Compact<uN>`: one byte for values below 2⁶, two below 2¹⁴, four below 2³⁰, else
    /// `((bytes − 4) ≪ 2) | 0b11` followed by the value's little-endian bytes, as few as it needs.
    public mutating func compact(_ value: UInt128) {
        switch value {
        case 0..<(1 << 6):
            u8(UInt8(value) << 2)
        case (1 << 6)..<(1 << 14):
            u16(UInt16(value) << 2 | 0b01)
        case (1 << 14)..<(1 << 30):
            u32(UInt32(value) << 2 | 0b10)
        default:
            let count = max(4, (UInt128.bitWidth - value.leadingZeroBitCount + 7) / 8)
            u8(UInt8(count - 4) << 2 | 0b11)
            littleEndian(value, count: count)
        }
    }

    private mutating func littleEndian(_ value: UInt128, count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }
}
