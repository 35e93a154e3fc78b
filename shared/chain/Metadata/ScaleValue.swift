/// A SCALE value decoded by its metadata type: a tree with the registry's field and variant
/// names, so callers read values by name instead of by byte offset.
public indirect enum ScaleValue: Sendable, Equatable {
    /// A struct (named fields) or tuple struct (unnamed).
    case composite([ScaleField])
    /// One variant of an enum, with its name, wire index and fields.
    case variant(name: String, index: UInt8, fields: [ScaleField])
    /// `Vec<T>` and `[T; N]` of anything but bytes.
    case sequence([ScaleValue])
    case tuple([ScaleValue])
    case bool(Bool)
    /// `str` and `char`.
    case text(String)
    /// `u8`…`u128` and `Compact` integers.
    case unsigned(UInt128)
    /// `i8`…`i128`.
    case signed(Int128)
    /// `u256`/`i256`: 32 little-endian bytes (two's complement when signed).
    case wideInteger(littleEndian: [UInt8], isSigned: Bool)
    /// `Vec<u8>` and `[u8; N]`.
    case bytes([UInt8])
    /// `BitVec`: the bit count and the store words' bytes as the wire carries them.
    case bits(count: Int, storage: [UInt8])

    /// The field of that name, for composites and variants.
    public subscript(field name: String) -> ScaleValue? { fields.first { $0.name == name }?.value }

    /// The fields of a composite or variant (empty otherwise).
    public var fields: [ScaleField] {
        switch self {
        case .composite(let fields), .variant(_, _, let fields): fields
        default: []
        }
    }

    /// The variant's name, for variants.
    public var variantName: String? {
        if case .variant(let name, _, _) = self { return name }
        return nil
    }

    /// The value inside a tuple struct or 1-tuple of one item (`H256([u8; 32])`,
    /// `ModuleError { .. }` inside `DispatchError::Module(..)`), followed through every such wrapper.
    public var unwrapped: ScaleValue {
        var value = self
        while true {
            switch value {
            case .composite(let fields) where fields.count == 1: value = fields[0].value
            case .tuple(let items) where items.count == 1: value = items[0]
            default: return value
            }
        }
    }

    /// The value as bytes, through wrappers (`H256`, `AccountId32`).
    public var byteValue: [UInt8]? {
        if case .bytes(let bytes) = unwrapped { return bytes }
        return nil
    }

    /// The value as an unsigned integer, through wrappers (`Perbill(u32)`).
    public var unsignedValue: UInt128? {
        if case .unsigned(let value) = unwrapped { return value }
        return nil
    }
}

public struct ScaleField: Sendable, Equatable {
    /// Absent for tuple-struct fields.
    public let name: String?
    public let value: ScaleValue

    public init(name: String?, value: ScaleValue) {
        self.name = name
        self.value = value
    }
}
