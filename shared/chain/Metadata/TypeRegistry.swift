/// The metadata's portable type registry (scale-info): every type the runtime's calls, events,
/// storage and constants use, referred to by id.
public struct TypeRegistry: Sendable, Equatable {
    public let types: [RegisteredType]
    private let positions: [UInt32: Int]
    /// A lower bound on each type's encoded size, by position, so that a declared count can be
    /// checked against the bytes left before anything is decoded.
    let minimumSizes: [Int]

    /// Refuses duplicate ids.
    public init(_ types: [RegisteredType]) throws(ChainError) {
        var positions: [UInt32: Int] = [:]
        positions.reserveCapacity(types.count)
        for (position, type) in types.enumerated() {
            guard positions.updateValue(position, forKey: type.id) == nil else {
                throw ChainError(.scale, "the type registry lists type \(type.id) twice")
            }
        }
        self.types = types
        self.positions = positions
        self.minimumSizes = MinimumSizes(types: types, positions: positions).all()
    }

    public subscript(id: UInt32) -> RegisteredType? { positions[id].map { types[$0] } }

    /// The type with that id, or a clear error naming what referred to it.
    public func type(_ id: UInt32, for purpose: @autoclosure () -> String) throws(ChainError) -> RegisteredType {
        guard let type = self[id] else { throw ChainError(.scale, "\(purpose()) refers to type \(id), which the registry does not hold") }
        return type
    }

    /// The fewest bytes a value of type `id` can take (0 for unknown ids).
    public func minimumEncodedSize(_ id: UInt32) -> Int { positions[id].map { minimumSizes[$0] } ?? 0 }
}

/// One type of the registry: its id, Rust path (`["sp_runtime", "DispatchError"]`), generic
/// parameters, shape and docs.
public struct RegisteredType: Sendable, Equatable {
    public let id: UInt32
    public let path: [String]
    public let parameters: [TypeParameter]
    public let definition: TypeDefinition
    public let docs: [String]

    public init(id: UInt32, path: [String], parameters: [TypeParameter], definition: TypeDefinition, docs: [String]) {
        self.id = id
        self.path = path
        self.parameters = parameters
        self.definition = definition
        self.docs = docs
    }
}

public struct TypeParameter: Sendable, Equatable {
    public let name: String
    /// Absent when the parameter is not used in the type's shape.
    public let type: UInt32?

    public init(name: String, type: UInt32?) {
        self.name = name
        self.type = type
    }
}

/// A type's shape, as SCALE encodes it.
public indirect enum TypeDefinition: Sendable, Equatable {
    /// A struct: its fields one after another.
    case composite([TypeField])
    /// An enum: a `u8` index, then that variant's fields.
    case variant([TypeVariant])
    /// `Vec<T>`: a Compact count, then the items.
    case sequence(UInt32)
    /// `[T; length]`: exactly `length` items.
    case array(length: UInt32, UInt32)
    case tuple([UInt32])
    case primitive(PrimitiveType)
    /// `Compact<T>`.
    case compact(UInt32)
    /// `BitVec<store, order>`: a Compact bit count, then whole `store` words.
    case bitSequence(store: UInt32, order: UInt32)
}

public struct TypeField: Sendable, Equatable {
    /// Absent for tuple-struct fields.
    public let name: String?
    public let type: UInt32
    /// The Rust type as written in the source (`T::AccountId`), for people.
    public let typeName: String?
    public let docs: [String]

    public init(name: String?, type: UInt32, typeName: String?, docs: [String]) {
        self.name = name
        self.type = type
        self.typeName = typeName
        self.docs = docs
    }
}

public struct TypeVariant: Sendable, Equatable {
    public let name: String
    public let fields: [TypeField]
    /// The byte that selects it on the wire (not its position in the list).
    public let index: UInt8
    public let docs: [String]

    public init(name: String, fields: [TypeField], index: UInt8, docs: [String]) {
        self.name = name
        self.fields = fields
        self.index = index
        self.docs = docs
    }
}

public enum PrimitiveType: UInt8, Sendable, Equatable {
    case bool = 0, char, str, u8, u16, u32, u64, u128, u256, i8, i16, i32, i64, i128, i256

    /// Bytes of a fixed-width primitive; nil for `str`, whose length is on the wire.
    public var byteWidth: Int? {
        switch self {
        case .bool, .u8, .i8: 1
        case .u16, .i16: 2
        case .char, .u32, .i32: 4
        case .u64, .i64: 8
        case .u128, .i128: 16
        case .u256, .i256: 32
        case .str: nil
        }
    }

    public var isSigned: Bool { [.i8, .i16, .i32, .i64, .i128, .i256].contains(self) }
}

/// Computes every type's minimum encoded size once. A type that contains itself, or nests
/// deeper than the limit, counts as 0 there: an underestimate only makes a count check looser,
/// never wrong, and the decoder's own depth limit stops such a type.
private struct MinimumSizes {
    let types: [RegisteredType]
    let positions: [UInt32: Int]
    static let depthLimit = 32
    /// Large enough for any real bound, small enough that sums cannot overflow `Int`.
    static let ceiling = 1 << 40

    func all() -> [Int] {
        var memo = [Int?](repeating: nil, count: types.count)
        var visiting = Set<Int>()
        return types.indices.map { size(of: $0, depth: 0, memo: &memo, visiting: &visiting) }
    }

    private func size(of position: Int, depth: Int, memo: inout [Int?], visiting: inout Set<Int>) -> Int {
        if let known = memo[position] { return known }
        guard depth < Self.depthLimit, visiting.insert(position).inserted else { return 0 }
        defer { visiting.remove(position) }
        func of(_ id: UInt32) -> Int {
            guard let next = positions[id] else { return 0 }
            return size(of: next, depth: depth + 1, memo: &memo, visiting: &visiting)
        }
        func sum(_ ids: [UInt32]) -> Int { ids.reduce(0) { min($0 + of($1), Self.ceiling) } }
        let result: Int
        switch types[position].definition {
        case .composite(let fields): result = sum(fields.map(\.type))
        case .variant(let variants):
            result = 1 + (variants.map { sum($0.fields.map(\.type)) }.min() ?? 0)
        case .sequence, .compact, .bitSequence: result = 1
        case .array(let length, let item):
            let (product, overflow) = Int(length).multipliedReportingOverflow(by: of(item))
            result = overflow ? Self.ceiling : min(product, Self.ceiling)
        case .tuple(let items): result = sum(items)
        case .primitive(let primitive): result = primitive.byteWidth ?? 1
        }
        memo[position] = result
        return result
    }
}
