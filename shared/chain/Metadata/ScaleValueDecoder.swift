/// Decodes any SCALE value whose type the registry describes, from untrusted bytes. Nesting is
/// bounded by `maximumDepth` (registries contain legitimately recursive types, such as a call
/// that wraps a call), and the number of values by `maximumValues`; every count is checked
/// against the bytes left before anything is allocated.
public struct ScaleValueDecoder: Sendable {
    public let types: TypeRegistry
    public let maximumDepth: Int
    public let maximumValues: Int

    public init(types: TypeRegistry, maximumDepth: Int = 64, maximumValues: Int = 1 << 20) {
        self.types = types
        self.maximumDepth = maximumDepth
        self.maximumValues = maximumValues
    }

    /// A value of type `id` read from `reader`, which is left just after it.
    public func decode(_ id: UInt32, from reader: inout ScaleReader) throws(ChainError) -> ScaleValue {
        var walk = Walk(decoder: self, reader: reader)
        let value = try walk.value(id, depth: 0)
        reader = walk.reader
        return value
    }

    /// A value of type `id` that must fill `bytes` exactly.
    public func decode(_ id: UInt32, bytes: [UInt8]) throws(ChainError) -> ScaleValue {
        var reader = ScaleReader(bytes)
        let value = try decode(id, from: &reader)
        guard reader.isAtEnd else {
            throw ChainError(.scale, "\(reader.remaining) bytes are left after a value of \(types.describe(id))")
        }
        return value
    }

    /// One decoding pass, with its budget of values.
    private struct Walk {
        let decoder: ScaleValueDecoder
        var reader: ScaleReader
        var valuesLeft: Int

        init(decoder: ScaleValueDecoder, reader: ScaleReader) {
            self.decoder = decoder
            self.reader = reader
            self.valuesLeft = decoder.maximumValues
        }

        var types: TypeRegistry { decoder.types }

        mutating func value(_ id: UInt32, depth: Int) throws(ChainError) -> ScaleValue {
            guard depth < decoder.maximumDepth else {
                throw ChainError(.scale, "values nest deeper than \(decoder.maximumDepth) levels at \(types.describe(id)) (offset \(reader.offset))")
            }
            guard valuesLeft > 0 else {
                throw ChainError(.scale, "more than \(decoder.maximumValues) values at offset \(reader.offset)")
            }
            valuesLeft -= 1
            let type = try types.type(id, for: "a value")
            switch type.definition {
            case .composite(let fields):
                return .composite(try self.fields(fields, depth: depth))
            case .variant(let variants):
                let start = reader.offset
                let index = try reader.u8()
                guard let variant = variants.first(where: { $0.index == index }) else {
                    throw ChainError(.scale, "byte \(index) at offset \(start) selects no variant of \(types.describe(id))")
                }
                return .variant(name: variant.name, index: index, fields: try self.fields(variant.fields, depth: depth))
            case .sequence(let item):
                if isByte(item) { return try bytes(try reader.length(maximum: reader.remaining)) }
                return try items(item, count: try count(of: item), depth: depth)
            case .array(let length, let item):
                if isByte(item) { return try bytes(Int(length)) }
                return try items(item, count: try count(length, of: item), depth: depth)
            case .tuple(let items):
                var values: [ScaleValue] = []
                for item in items { values.append(try value(item, depth: depth + 1)) }
                return .tuple(values)
            case .primitive(let primitive):
                return try self.primitive(primitive)
            case .compact(let inner):
                return try compact(inner, depth: depth + 1)
            case .bitSequence(let store, _):
                return try bits(store: store)
            }
        }

        private mutating func fields(_ fields: [TypeField], depth: Int) throws(ChainError) -> [ScaleField] {
            var values: [ScaleField] = []
            for field in fields { values.append(ScaleField(name: field.name, value: try value(field.type, depth: depth + 1))) }
            return values
        }

        private mutating func items(_ item: UInt32, count: Int, depth: Int) throws(ChainError) -> ScaleValue {
            var values: [ScaleValue] = []
            // Capped: zero-sized items can declare counts far beyond the bytes that back them.
            values.reserveCapacity(min(count, 4096))
            for _ in 0..<count { values.append(try value(item, depth: depth + 1)) }
            return .sequence(values)
        }

        /// A `Vec` count, checked against the item's smallest encoding and the value budget
        /// (the only bound for items that can take no bytes at all).
        private mutating func count(of item: UInt32) throws(ChainError) -> Int {
            try reader.length(maximum: valuesLeft, minimumItemBytes: types.minimumEncodedSize(item))
        }

        private func count(_ length: UInt32, of item: UInt32) throws(ChainError) -> Int {
            let count = Int(length)
            let (needed, overflow) = count.multipliedReportingOverflow(by: types.minimumEncodedSize(item))
            guard count <= valuesLeft, !overflow, needed <= reader.remaining else {
                throw ChainError(.scale, "an array of \(length) \(types.describe(item)) at offset \(reader.offset) cannot fit in the \(reader.remaining) bytes left")
            }
            return count
        }

        private func isByte(_ id: UInt32) -> Bool { types[id]?.definition == .primitive(.u8) }

        private mutating func bytes(_ count: Int) throws(ChainError) -> ScaleValue {
            .bytes(try reader.raw(count))
        }

        private mutating func primitive(_ primitive: PrimitiveType) throws(ChainError) -> ScaleValue {
            let start = reader.offset
            switch primitive {
            case .bool: return .bool(try reader.bool())
            case .char:
                let code = try reader.u32()
                guard let scalar = Unicode.Scalar(code) else { throw ChainError(.scale, "char \(code) at offset \(start) is not a Unicode scalar") }
                return .text(String(Character(scalar)))
            case .str:
                let bytes = try reader.raw(try reader.length(maximum: reader.remaining))
                guard let text = String(validating: bytes, as: UTF8.self) else { throw ChainError(.scale, "str at offset \(start) is not valid UTF-8") }
                return .text(text)
            case .u8: return .unsigned(UInt128(try reader.u8()))
            case .u16: return .unsigned(UInt128(try reader.u16()))
            case .u32: return .unsigned(UInt128(try reader.u32()))
            case .u64: return .unsigned(UInt128(try reader.u64()))
            case .u128: return .unsigned(try reader.u128())
            case .i8: return .signed(Int128(Int8(truncatingIfNeeded: try reader.u8())))
            case .i16: return .signed(Int128(Int16(truncatingIfNeeded: try reader.u16())))
            case .i32: return .signed(Int128(Int32(truncatingIfNeeded: try reader.u32())))
            case .i64: return .signed(Int128(Int64(truncatingIfNeeded: try reader.u64())))
            case .i128: return .signed(Int128(truncatingIfNeeded: try reader.u128()))
            case .u256, .i256: return .wideInteger(littleEndian: try reader.raw(32), isSigned: primitive.isSigned)
            }
        }

        /// `Compact<T>`: T is an unsigned integer, or a wrapper of one field around such a
        /// type (`Compact<Perbill>`), or empty (`Compact<()>` takes no bytes).
        private mutating func compact(_ id: UInt32, depth: Int) throws(ChainError) -> ScaleValue {
            guard depth < decoder.maximumDepth else {
                throw ChainError(.scale, "a Compact nests deeper than \(decoder.maximumDepth) levels at \(types.describe(id))")
            }
            let type = try types.type(id, for: "a Compact")
            let start = reader.offset
            switch type.definition {
            case .primitive(let primitive) where [.u8, .u16, .u32, .u64, .u128].contains(primitive):
                let value = try reader.compact()
                let bits = 8 * (primitive.byteWidth ?? 16)
                guard bits == 128 || value >> bits == 0 else {
                    throw ChainError(.scale, "Compact at offset \(start) holds \(value), too large for \(primitive)")
                }
                return .unsigned(value)
            case .composite(let fields) where fields.count == 1:
                return .composite([ScaleField(name: fields[0].name, value: try compact(fields[0].type, depth: depth + 1))])
            case .tuple(let items) where items.count == 1:
                return .tuple([try compact(items[0], depth: depth + 1)])
            case .composite(let fields) where fields.isEmpty:
                return .composite([])
            case .tuple(let items) where items.isEmpty:
                return .tuple([])
            default:
                throw ChainError(.scale, "Compact<\(types.describe(id))> is not a Compact this decoder reads (unsigned integers up to u128 and their wrappers)")
            }
        }

        /// `BitVec<store, order>`: a Compact bit count, then as many whole store words as
        /// those bits need. The order does not change the byte count, so the bits are kept as read.
        private mutating func bits(store: UInt32) throws(ChainError) -> ScaleValue {
            let start = reader.offset
            guard case .primitive(let primitive) = try types.type(store, for: "a bit sequence").definition,
                  [.u8, .u16, .u32, .u64].contains(primitive), let width = primitive.byteWidth else {
                throw ChainError(.scale, "a bit sequence's store \(types.describe(store)) is not u8, u16, u32 or u64")
            }
            let bitCount = try reader.compact()
            let cannotFit = ChainError(.scale, "a bit sequence of \(bitCount) bits at offset \(start) cannot fit in the \(reader.remaining) bytes left")
            // Bounded by the bytes left first, so the rounding below cannot overflow.
            guard bitCount <= UInt128(reader.remaining) * 8 else { throw cannotFit }
            let wordBits = UInt128(8 * width)
            let byteCount = (bitCount + wordBits - 1) / wordBits * UInt128(width)
            guard byteCount <= UInt128(reader.remaining) else { throw cannotFit }
            return .bits(count: Int(bitCount), storage: try reader.raw(Int(byteCount)))
        }
    }
}

extension TypeRegistry {
    /// A type as people know it: its Rust path (`sp_runtime::DispatchError`) and id.
    public func describe(_ id: UInt32) -> String {
        guard let type = self[id], !type.path.isEmpty else { return "type \(id)" }
        return "\(type.path.joined(separator: "::")) (type \(id))"
    }
}
