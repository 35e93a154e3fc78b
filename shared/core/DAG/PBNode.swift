/// One link of a dag-pb node.
public struct PBLink: Hashable, Sendable {
    /// The target block.
    public var hash: CID
    /// UTF-8 name; `""` is written as an explicit empty name (file chunks), `nil` omits it.
    public var name: String?
    /// Cumulative size of the target subtree (see `cumulativeSize(ofBlock:cid:)`).
    public var tsize: UInt64?

    /// Creates a link.
    public init(hash: CID, name: String? = nil, tsize: UInt64? = nil) {
        self.hash = hash
        self.name = name
        self.tsize = tsize
    }

    /// Length of the encoded PBLink message (without the enclosing field key and length).
    var encodedLength: Int {
        var length = ProtobufWire.lengthDelimitedSize(field: 1, count: hash.encodedLength)
        if let name {
            length += ProtobufWire.lengthDelimitedSize(field: 2, count: name.utf8.count)
        }
        if let tsize {
            length += ProtobufWire.varintFieldSize(field: 3, value: tsize)
        }
        return length
    }

    /// Appends Hash, Name, Tsize in field-number order, as the dag-pb spec requires.
    func append(to out: inout [UInt8]) {
        ProtobufWire.appendKey(field: 1, .lengthDelimited, to: &out)
        Varint.encode(UInt64(hash.encodedLength), into: &out)
        hash.append(to: &out)
        if let name {
            ProtobufWire.appendBytesField(field: 2, name.utf8, to: &out)
        }
        if let tsize {
            ProtobufWire.appendVarintField(field: 3, value: tsize, to: &out)
        }
    }

    /// Decodes one PBLink message strictly: fields in ascending order without repeats, Hash
    /// present and a valid CID, Name valid UTF-8, nothing else.
    init(decoding bytes: [UInt8], range: Range<Int>) throws(CoreError) {
        var reader = ProtobufReader(bytes, range: range, kind: .dagPB)
        var hash: CID?
        var name: String?
        var tsize: UInt64?
        var lastField: UInt64 = 0
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            guard field > lastField else {
                throw CoreError(.dagPB, field == lastField
                    ? "duplicate PBLink field \(field)"
                    : "PBLink fields out of order (\(field) after \(lastField))")
            }
            lastField = field
            switch (field, wireType) {
            case (1, .lengthDelimited):
                let cidRange = try reader.readLengthDelimited()
                do throws(CoreError) {
                    var offset = cidRange.lowerBound
                    let cid = try CID.parse(bytes[cidRange], at: &offset)
                    guard offset == cidRange.upperBound else {
                        throw CoreError(.cid, "trailing bytes after CID")
                    }
                    hash = cid
                } catch {
                    throw CoreError(.dagPB, "PBLink Hash is not a valid CID: \(error.message)")
                }
            case (2, .lengthDelimited):
                let nameRange = try reader.readLengthDelimited()
                guard let decoded = String(validating: bytes[nameRange], as: UTF8.self) else {
                    throw CoreError(.dagPB, "PBLink Name is not valid UTF-8")
                }
                name = decoded
            case (3, .varint):
                tsize = try reader.readVarint()
            case (1...3, _):
                throw CoreError(.dagPB, "wrong wire type \(wireType.rawValue) for PBLink field \(field)")
            default:
                throw CoreError(.dagPB, "unknown PBLink field \(field)")
            }
        }
        guard let hash else {
            throw CoreError(.dagPB, "PBLink without Hash")
        }
        self.init(hash: hash, name: name, tsize: tsize)
    }
}

/// A dag-pb node: an ordered list of links and optional opaque data (UnixFS puts its
/// `Data` message there).
public struct PBNode: Hashable, Sendable {
    /// Links in block order.
    public var links: [PBLink]
    /// `nil` omits the field; an empty array writes an explicit empty Data field.
    public var data: [UInt8]?

    /// Creates a node.
    public init(links: [PBLink] = [], data: [UInt8]? = nil) {
        self.links = links
        self.data = data
    }

    /// Canonical encoding: all Links first, then Data (the byte order every CID depends on).
    public func encoded() -> [UInt8] {
        var size = 0
        for link in links {
            size += ProtobufWire.lengthDelimitedSize(field: 2, count: link.encodedLength)
        }
        if let data {
            size += ProtobufWire.lengthDelimitedSize(field: 1, count: data.count)
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for link in links {
            ProtobufWire.appendKey(field: 2, .lengthDelimited, to: &out)
            Varint.encode(UInt64(link.encodedLength), into: &out)
            link.append(to: &out)
        }
        if let data {
            ProtobufWire.appendBytesField(field: 1, data, to: &out)
        }
        return out
    }

    /// Decodes a dag-pb block.
    ///
    /// Accepts Links-before-Data and Data-before-Links; rejects interleaving, a repeated
    /// Data field, unknown fields, wrong wire types, truncation and invalid links.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        let parsed = try PBNode.parse(bytes)
        self.init(links: parsed.links, data: parsed.dataRange.map { Array(bytes[$0]) })
    }

    /// Decodes the links and locates Data without copying it, so callers that decode the
    /// UnixFS payload next copy the (possibly large) bytes only once.
    static func parse(_ bytes: [UInt8]) throws(CoreError) -> (links: [PBLink], dataRange: Range<Int>?) {
        var reader = ProtobufReader(bytes, kind: .dagPB)
        var links: [PBLink] = []
        var dataRange: Range<Int>?
        var linksBeforeData = false
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch (field, wireType) {
            case (2, .lengthDelimited):
                // Links may all come before or all after Data, never on both sides.
                if dataRange != nil, linksBeforeData {
                    throw CoreError(.dagPB, "PBNode Links interleaved with Data")
                }
                if dataRange == nil { linksBeforeData = true }
                guard links.count < DAGLimits.maximumLinksPerNode else {
                    throw CoreError(.dagPB, "PBNode has more than \(DAGLimits.maximumLinksPerNode) links")
                }
                let linkRange = try reader.readLengthDelimited()
                links.append(try PBLink(decoding: bytes, range: linkRange))
            case (1, .lengthDelimited):
                guard dataRange == nil else {
                    throw CoreError(.dagPB, "duplicate PBNode Data field")
                }
                dataRange = try reader.readLengthDelimited()
            case (1, _), (2, _):
                throw CoreError(.dagPB, "wrong wire type \(wireType.rawValue) for PBNode field \(field)")
            default:
                throw CoreError(.dagPB, "unknown PBNode field \(field)")
            }
        }
        return (links, dataRange)
    }
}
