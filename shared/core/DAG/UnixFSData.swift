/// The UnixFS `Data` message carried in a dag-pb node's Data field (proto2).
public struct UnixFSData: Hashable, Sendable {
    /// What the node represents.
    public enum DataType: UInt64, Sendable, CaseIterable {
        case raw = 0
        case directory = 1
        case file = 2
        case metadata = 3
        case symlink = 4
        case hamtShard = 5
    }

    /// A modification time: seconds since the epoch plus optional nanoseconds (1…999,999,999).
    public struct UnixTime: Hashable, Sendable {
        /// Seconds since 1970-01-01T00:00:00Z (may be negative).
        public var seconds: Int64
        /// Sub-second part; nil when zero.
        public var fractionalNanoseconds: UInt32?

        /// Creates a time.
        public init(seconds: Int64, fractionalNanoseconds: UInt32? = nil) {
            self.seconds = seconds
            self.fractionalNanoseconds = fractionalNanoseconds
        }
    }

    /// What the node represents.
    public var type: DataType
    /// File bytes held directly in this node (leaves), or a symlink target.
    public var data: [UInt8]?
    /// Total file bytes under this node.
    public var filesize: UInt64?
    /// File bytes under each child, in link order.
    public var blocksizes: [UInt64]
    /// HAMT only.
    public var hashType: UInt64?
    /// HAMT only.
    public var fanout: UInt64?
    /// Optional POSIX mode bits.
    public var mode: UInt32?
    /// Optional modification time.
    public var mtime: UnixTime?

    /// Creates a message; unset optional fields are omitted when encoding.
    public init(
        type: DataType, data: [UInt8]? = nil, filesize: UInt64? = nil, blocksizes: [UInt64] = [],
        hashType: UInt64? = nil, fanout: UInt64? = nil, mode: UInt32? = nil, mtime: UnixTime? = nil
    ) {
        self.type = type
        self.data = data
        self.filesize = filesize
        self.blocksizes = blocksizes
        self.hashType = hashType
        self.fanout = fanout
        self.mode = mode
        self.mtime = mtime
    }

    /// Encodes fields in field-number order with unpacked blocksizes, as boxo does.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + (data?.count ?? 0) + blocksizes.count * 6)
        ProtobufWire.appendVarintField(field: 1, value: type.rawValue, to: &out)
        if let data {
            ProtobufWire.appendBytesField(field: 2, data, to: &out)
        }
        if let filesize {
            ProtobufWire.appendVarintField(field: 3, value: filesize, to: &out)
        }
        for size in blocksizes {
            ProtobufWire.appendVarintField(field: 4, value: size, to: &out)
        }
        if let hashType {
            ProtobufWire.appendVarintField(field: 5, value: hashType, to: &out)
        }
        if let fanout {
            ProtobufWire.appendVarintField(field: 6, value: fanout, to: &out)
        }
        if let mode {
            ProtobufWire.appendVarintField(field: 7, value: UInt64(mode), to: &out)
        }
        if let mtime {
            var time: [UInt8] = []
            ProtobufWire.appendVarintField(field: 1, value: UInt64(bitPattern: mtime.seconds), to: &time)
            if let nanos = mtime.fractionalNanoseconds {
                ProtobufWire.appendKey(field: 2, .fixed32, to: &time)
                withUnsafeBytes(of: nanos.littleEndian) { time.append(contentsOf: $0) }
            }
            ProtobufWire.appendBytesField(field: 8, time, to: &out)
        }
        return out
    }

    /// Decodes a UnixFS Data message.
    ///
    /// Type is required and must be known; known fields must have the right wire type;
    /// blocksizes may be packed or unpacked. Unknown fields are skipped (proto2 semantics), so
    /// nodes written by newer UnixFS versions still read.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        try self.init(decoding: bytes, range: bytes.indices)
    }

    /// Decodes the message found at `range` of `bytes` (a dag-pb node's Data field).
    init(decoding bytes: [UInt8], range: Range<Int>) throws(CoreError) {
        var reader = ProtobufReader(bytes, range: range, kind: .unixFS)
        var type: DataType?
        self.init(type: .raw)
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch (field, wireType) {
            case (1, .varint):
                let raw = try reader.readVarint()
                guard let known = DataType(rawValue: raw) else {
                    throw CoreError(.unixFS, "unknown UnixFS type \(raw)")
                }
                type = known
            case (2, .lengthDelimited):
                data = Array(bytes[try reader.readLengthDelimited()])
            case (3, .varint):
                filesize = try reader.readVarint()
            case (4, .varint):
                blocksizes.append(try reader.readVarint())
            case (4, .lengthDelimited):
                // Packed encoding: a run of varints.
                let packed = try reader.readLengthDelimited()
                var inner = ProtobufReader(bytes, range: packed, kind: .unixFS)
                while !inner.isAtEnd {
                    blocksizes.append(try inner.readVarint())
                }
            case (5, .varint):
                hashType = try reader.readVarint()
            case (6, .varint):
                fanout = try reader.readVarint()
            case (7, .varint):
                let raw = try reader.readVarint()
                guard let value = UInt32(exactly: raw) else {
                    throw CoreError(.unixFS, "UnixFS mode \(raw) exceeds 32 bits")
                }
                mode = value
            case (8, .lengthDelimited):
                mtime = try Self.decodeTime(bytes, range: try reader.readLengthDelimited())
            case (1...8, _):
                throw CoreError(.unixFS, "wrong wire type \(wireType.rawValue) for UnixFS field \(field)")
            default:
                try reader.skip(wireType)
            }
        }
        guard let type else {
            throw CoreError(.unixFS, "UnixFS Data without Type")
        }
        self.type = type
    }

    private static func decodeTime(_ bytes: [UInt8], range: Range<Int>) throws(CoreError) -> UnixTime {
        var reader = ProtobufReader(bytes, range: range, kind: .unixFS)
        var time = UnixTime(seconds: 0)
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch (field, wireType) {
            case (1, .varint):
                time.seconds = Int64(bitPattern: try reader.readVarint())
            case (2, .fixed32):
                let nanos = try reader.readFixed32()
                guard (1...999_999_999).contains(nanos) else {
                    throw CoreError(.unixFS, "UnixFS mtime nanoseconds \(nanos) out of range")
                }
                time.fractionalNanoseconds = nanos
            case (1...2, _):
                throw CoreError(.unixFS, "wrong wire type \(wireType.rawValue) for UnixTime field \(field)")
            default:
                try reader.skip(wireType)
            }
        }
        return time
    }
}
