import PakitCore

extension RuntimeMetadata {
    /// `"meta"`: the first four bytes of every `state_getMetadata` answer.
    public static let magic: [UInt8] = [0x6D, 0x65, 0x74, 0x61]
    /// The one metadata version this parser reads.
    public static let supportedVersion: UInt8 = 14

    /// Parses `magic ‖ version ‖ RuntimeMetadataV14` as `state_getMetadata` returns it. Any
    /// other magic or version, a truncated or overlong input, a count larger than the bytes
    /// left can hold, invalid UTF-8 or a reference to a type the registry lacks is refused.
    public init(bytes: [UInt8]) throws(ChainError) {
        var reader = ScaleReader(bytes)
        let magic = try reader.raw(min(4, bytes.count))
        guard magic == Self.magic else {
            throw ChainError(.scale, "runtime metadata starts with \"meta\" (6d657461), not \(Base16.encode(magic))")
        }
        let version = try reader.u8()
        guard version == Self.supportedVersion else {
            throw ChainError(.scale, "runtime metadata V\(version) is not supported; only V\(Self.supportedVersion) is read")
        }
        var parser = MetadataParser(reader: reader)
        self = try parser.metadataV14()
        guard parser.reader.isAtEnd else {
            throw ChainError(.scale, "runtime metadata has \(parser.reader.remaining) bytes after its end (offset \(parser.reader.offset))")
        }
        try MetadataReferences(metadata: self).check()
    }

    /// From the `0x…` hex text `state_getMetadata` answers with.
    public init(hex: String) throws(ChainError) {
        let digits = hex.hasPrefix("0x") ? hex.dropFirst(2) : Substring(hex)
        let bytes: [UInt8]
        do { bytes = try Base16.decode(digits) } catch { throw ChainError(.scale, "runtime metadata hex is not hex: \(error)") }
        try self.init(bytes: bytes)
    }
}

/// Reads the V14 structures in their SCALE order. Each count is checked against what the
/// smallest possible item would need, so a hostile count fails before any allocation.
struct MetadataParser {
    var reader: ScaleReader

    /// Far above any real runtime (a few thousand types, dozens of pallets): the byte check
    /// is the real bound, this one keeps counts sane on huge inputs.
    static let maximumCount = 1 << 24
    static let maximumTextBytes = 1 << 20

    mutating func metadataV14() throws(ChainError) -> RuntimeMetadata {
        let types = try TypeRegistry(list(minimumItemBytes: 5) { (parser: inout Self) throws(ChainError) in try parser.registeredType() })
        let pallets = try list(minimumItemBytes: 7) { (parser: inout Self) throws(ChainError) in try parser.pallet() }
        let extrinsic = try extrinsicMetadata()
        let runtimeTypeID = try typeID()
        return RuntimeMetadata(types: types, pallets: pallets, extrinsic: extrinsic, runtimeTypeID: runtimeTypeID)
    }

    // MARK: The type registry

    mutating func registeredType() throws(ChainError) -> RegisteredType {
        let id = try typeID()
        let path = try list(minimumItemBytes: 1) { (parser: inout Self) throws(ChainError) in try parser.text() }
        let parameters = try list(minimumItemBytes: 2) { (parser: inout Self) throws(ChainError) in
            TypeParameter(name: try parser.text(), type: try parser.optional { (parser: inout Self) throws(ChainError) in try parser.typeID() })
        }
        let definition = try typeDefinition()
        let docs = try texts()
        return RegisteredType(id: id, path: path, parameters: parameters, definition: definition, docs: docs)
    }

    mutating func typeDefinition() throws(ChainError) -> TypeDefinition {
        let start = reader.offset
        switch try reader.u8() {
        case 0: return .composite(try fields())
        case 1:
            return .variant(try list(minimumItemBytes: 4) { (parser: inout Self) throws(ChainError) in
                TypeVariant(name: try parser.text(), fields: try parser.fields(), index: try parser.reader.u8(), docs: try parser.texts())
            })
        case 2: return .sequence(try typeID())
        case 3: return .array(length: try reader.u32(), try typeID())
        case 4: return .tuple(try list(minimumItemBytes: 1) { (parser: inout Self) throws(ChainError) in try parser.typeID() })
        case 5:
            let code = try reader.u8()
            guard let primitive = PrimitiveType(rawValue: code) else {
                throw ChainError(.scale, "primitive type \(code) at offset \(reader.offset - 1) is none of bool, char, str, u8…u256, i8…i256")
            }
            return .primitive(primitive)
        case 6: return .compact(try typeID())
        case 7: return .bitSequence(store: try typeID(), order: try typeID())
        case let other: throw ChainError(.scale, "type definition kind \(other) at offset \(start) is not one of V14's 0…7")
        }
    }

    mutating func fields() throws(ChainError) -> [TypeField] {
        try list(minimumItemBytes: 4) { (parser: inout Self) throws(ChainError) in
            TypeField(name: try parser.optional { (parser: inout Self) throws(ChainError) in try parser.text() },
                      type: try parser.typeID(),
                      typeName: try parser.optional { (parser: inout Self) throws(ChainError) in try parser.text() },
                      docs: try parser.texts())
        }
    }

    // MARK: Pallets

    mutating func pallet() throws(ChainError) -> PalletMetadata {
        let name = try text()
        let storage = try optional { (parser: inout Self) throws(ChainError) in
            PalletStorage(prefix: try parser.text(), entries: try parser.list(minimumItemBytes: 6) { (parser: inout Self) throws(ChainError) in
                try parser.storageEntry()
            })
        }
        let calls = try optional { (parser: inout Self) throws(ChainError) in try parser.typeID() }
        let event = try optional { (parser: inout Self) throws(ChainError) in try parser.typeID() }
        let constants = try list(minimumItemBytes: 4) { (parser: inout Self) throws(ChainError) in
            PalletConstant(name: try parser.text(), type: try parser.typeID(), value: try parser.reader.byteVector(), docs: try parser.texts())
        }
        let error = try optional { (parser: inout Self) throws(ChainError) in try parser.typeID() }
        let index = try reader.u8()
        return PalletMetadata(name: name, storage: storage, calls: calls, event: event, constants: constants, error: error, index: index)
    }

    mutating func storageEntry() throws(ChainError) -> StorageEntry {
        let name = try text()
        let modifierCode = try reader.u8()
        guard let modifier = StorageEntry.Modifier(rawValue: modifierCode) else {
            throw ChainError(.scale, "storage entry \(name) has modifier \(modifierCode), neither Optional (0) nor Default (1)")
        }
        let kind: StorageEntry.Kind
        switch try reader.u8() {
        case 0: kind = .plain(value: try typeID())
        case 1:
            let hashers = try list(minimumItemBytes: 1) { (parser: inout Self) throws(ChainError) in
                let code = try parser.reader.u8()
                guard let hasher = StorageEntry.Hasher(rawValue: code) else {
                    throw ChainError(.scale, "storage entry \(name) names hasher \(code), not one of 0…6")
                }
                return hasher
            }
            kind = .map(hashers: hashers, key: try typeID(), value: try typeID())
        case let other: throw ChainError(.scale, "storage entry \(name) has kind \(other), neither Plain (0) nor Map (1)")
        }
        return StorageEntry(name: name, modifier: modifier, kind: kind, defaultValue: try reader.byteVector(), docs: try texts())
    }

    mutating func extrinsicMetadata() throws(ChainError) -> ExtrinsicMetadata {
        let type = try typeID()
        let version = try reader.u8()
        let extensions = try list(minimumItemBytes: 3) { (parser: inout Self) throws(ChainError) in
            SignedExtensionMetadata(identifier: try parser.text(), type: try parser.typeID(), additionalSigned: try parser.typeID())
        }
        return ExtrinsicMetadata(type: type, version: version, signedExtensions: extensions)
    }

    // MARK: Building blocks

    /// Type ids are `Compact<u32>` everywhere in V14.
    mutating func typeID() throws(ChainError) -> UInt32 { try reader.compactU32() }

    /// A `String`: Compact length, then UTF-8, which is checked.
    mutating func text() throws(ChainError) -> String {
        let start = reader.offset
        let bytes = try reader.byteVector(maximumLength: Self.maximumTextBytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ChainError(.scale, "text at offset \(start) is not valid UTF-8")
        }
        return text
    }

    mutating func texts() throws(ChainError) -> [String] {
        try list(minimumItemBytes: 1) { (parser: inout Self) throws(ChainError) in try parser.text() }
    }

    /// `Vec<T>`; the count is checked against `minimumItemBytes` per item before reserving.
    mutating func list<Item>(minimumItemBytes: Int, _ item: (inout Self) throws(ChainError) -> Item) throws(ChainError) -> [Item] {
        let count = try reader.length(maximum: Self.maximumCount, minimumItemBytes: minimumItemBytes)
        var items: [Item] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try item(&self)) }
        return items
    }

    /// `Option<T>`: 0, or 1 and the value.
    mutating func optional<Value>(_ value: (inout Self) throws(ChainError) -> Value) throws(ChainError) -> Value? {
        let start = reader.offset
        switch try reader.u8() {
        case 0: return nil
        case 1: return try value(&self)
        case let other: throw ChainError(.scale, "option byte \(other) at offset \(start) is neither 0 nor 1")
        }
    }
}

/// Checks that every type id the metadata mentions is in its registry, so later lookups fail
/// only on values, never on the metadata's own references.
private struct MetadataReferences {
    let metadata: RuntimeMetadata

    func check() throws(ChainError) {
        let registry = metadata.types
        func require(_ id: UInt32?, _ user: @autoclosure () -> String) throws(ChainError) {
            if let id { _ = try registry.type(id, for: user()) }
        }
        for type in registry.types {
            let user = "type \(type.id)"
            for parameter in type.parameters { try require(parameter.type, "\(user)'s parameter \(parameter.name)") }
            switch type.definition {
            case .composite(let fields):
                for field in fields { try require(field.type, "a field of \(user)") }
            case .variant(let variants):
                for variant in variants {
                    for field in variant.fields { try require(field.type, "variant \(variant.name) of \(user)") }
                }
            case .sequence(let item), .array(_, let item), .compact(let item): try require(item, user)
            case .tuple(let items):
                for item in items { try require(item, user) }
            case .bitSequence(let store, let order):
                try require(store, user)
                try require(order, user)
            case .primitive: break
            }
        }
        for pallet in metadata.pallets {
            try require(pallet.calls, "\(pallet.name)'s calls")
            try require(pallet.event, "\(pallet.name)'s events")
            try require(pallet.error, "\(pallet.name)'s errors")
            for constant in pallet.constants { try require(constant.type, "\(pallet.name).\(constant.name)") }
            for entry in pallet.storage?.entries ?? [] {
                switch entry.kind {
                case .plain(let value): try require(value, "\(pallet.name).\(entry.name)")
                case .map(_, let key, let value):
                    try require(key, "\(pallet.name).\(entry.name)'s key")
                    try require(value, "\(pallet.name).\(entry.name)")
                }
            }
        }
        try require(metadata.extrinsic.type, "the extrinsic")
        for signedExtension in metadata.extrinsic.signedExtensions {
            try require(signedExtension.type, "signed extension \(signedExtension.identifier)")
            try require(signedExtension.additionalSigned, "signed extension \(signedExtension.identifier)")
        }
        try require(metadata.runtimeTypeID, "the runtime type")
    }
}
