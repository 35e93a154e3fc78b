import PakitCore
import PakitMeshtastic

/// Pakit's own frames inside Meshtastic PRIVATE_APP payloads (docs/lora-bridge.md, "Frames").
///
/// Byte 0 is the version (top three bits, 1) and the message type (low five bits). Every frame
/// names what it belongs to inside the payload (a transfer session, an alert id), because the
/// radio's packet id must be fresh on every transmission. Integers are big-endian. Every
/// length read from a frame is checked against the bytes that are there.
public enum LoRaMessage: Sendable, Equatable {
    /// Ask a peer for a block: the requester's random session, the fragments it already has
    /// (bit i = fragment i; data fragments first, then parity), and the loss it measures on the
    /// link (the server sends parity fragments on a first request when it is high).
    case fetchRequest(FetchRequest)
    /// One fragment of the block: data fragments 0..<k, parity fragments k..<k+p.
    case fragment(Fragment)
    /// The peer will not serve the block.
    case refusal(session: UInt16, reason: RefusalReason)
    /// The peer would serve it, but its duty cycle allows no more bulk airtime for `minutes`
    /// (ask again then; asking sooner spends the requester's airtime for nothing).
    case busy(session: UInt16, minutes: UInt8)

    public struct FetchRequest: Sendable, Equatable {
        public var session: UInt16
        public var lossPercent: UInt8
        public var have: FragmentSet
        public var cid: CID
        public init(session: UInt16, lossPercent: UInt8, have: FragmentSet, cid: CID) {
            self.session = session
            self.lossPercent = lossPercent
            self.have = have
            self.cid = cid
        }
    }

    public struct Fragment: Sendable, Equatable {
        public var session: UInt16
        public var index: UInt8
        /// Parity fragments in this transfer (0 = none).
        public var parity: UInt8
        /// The block's size in bytes: fixes the data fragment count and the last one's length.
        public var blockSize: UInt16
        public var bytes: [UInt8]
        public init(session: UInt16, index: UInt8, parity: UInt8, blockSize: UInt16, bytes: [UInt8]) {
            self.session = session
            self.index = index
            self.parity = parity
            self.blockSize = blockSize
            self.bytes = bytes
        }
    }

    public enum RefusalReason: UInt8, Sendable {
        case notFound = 1
        case tooLarge = 2
        case badRequest = 3
        case unavailable = 4
    }

    public static let version: UInt8 = 1
    enum Kind: UInt8 {
        case fetchRequest = 1
        case fragment = 2
        case refusal = 3
        case busy = 4
    }

    /// Fragment header: type, session (2), index, parity count, block size (2).
    public static let fragmentHeaderLength = 7
    /// Data bytes per fragment: the unicast (PKI) PRIVATE_APP limit less the header.
    public static let fragmentDataLength = PayloadLimits.privateAppMaximumPayload(pki: true) - fragmentHeaderLength
    /// At most 64 fragments (data and parity) per transfer: the request's bitmap is 8 bytes.
    public static let maximumFragments = 64
    /// Largest block that travels over LoRa: 56 data fragments (leaving room for parity).
    public static let maximumBlockSize = 56 * fragmentDataLength

    public func encoded() -> [UInt8] {
        switch self {
        case .fetchRequest(let request):
            var out = [Self.header(.fetchRequest)]
            out.append(contentsOf: Self.bigEndian(request.session))
            out.append(request.lossPercent)
            out.append(contentsOf: Self.bigEndian(request.have.bits))
            let cid = request.cid.bytes
            out.append(UInt8(cid.count))
            out.append(contentsOf: cid)
            return out
        case .fragment(let fragment):
            var out = [Self.header(.fragment)]
            out.append(contentsOf: Self.bigEndian(fragment.session))
            out.append(fragment.index)
            out.append(fragment.parity)
            out.append(contentsOf: Self.bigEndian(fragment.blockSize))
            out.append(contentsOf: fragment.bytes)
            return out
        case .refusal(let session, let reason):
            return [Self.header(.refusal)] + Self.bigEndian(session) + [reason.rawValue]
        case .busy(let session, let minutes):
            return [Self.header(.busy)] + Self.bigEndian(session) + [minutes]
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(LoRaMessageError) -> LoRaMessage {
        var reader = ByteReader(bytes)
        let first = try reader.byte()
        guard first >> 5 == version else { throw .unsupportedVersion(first >> 5) }
        guard let kind = Kind(rawValue: first & 0x1F) else { throw .unknownType(first & 0x1F) }
        switch kind {
        case .fetchRequest:
            let session = try reader.uint16()
            let lossPercent = try reader.byte()
            let have = FragmentSet(bits: try reader.uint64())
            let length = Int(try reader.byte())
            guard length > 0, length <= 64 else { throw .malformed("CID length \(length)") }
            let cidBytes = try reader.bytes(length)
            guard reader.isAtEnd else { throw .malformed("trailing bytes after the CID") }
            let cid: CID
            do { cid = try CID(bytes: cidBytes) } catch { throw .malformed("not a CID") }
            guard lossPercent <= 100 else { throw .malformed("loss \(lossPercent)% above 100") }
            return .fetchRequest(.init(session: session, lossPercent: lossPercent, have: have, cid: cid))
        case .fragment:
            let session = try reader.uint16()
            let index = try reader.byte()
            let parity = try reader.byte()
            let blockSize = try reader.uint16()
            let data = reader.rest()
            let dataCount = Self.dataFragmentCount(blockSize: Int(blockSize))
            guard blockSize > 0, Int(blockSize) <= maximumBlockSize, dataCount + Int(parity) <= maximumFragments else {
                throw .malformed("block size \(blockSize) with \(parity) parity fragments")
            }
            guard Int(index) < dataCount + Int(parity) else { throw .malformed("fragment \(index) of \(dataCount)+\(parity)") }
            let expected = Int(index) < dataCount ? dataLength(ofFragment: Int(index), blockSize: Int(blockSize)) : fragmentDataLength
            guard data.count == expected else { throw .malformed("fragment \(index) has \(data.count) bytes, not \(expected)") }
            return .fragment(.init(session: session, index: index, parity: parity, blockSize: blockSize, bytes: data))
        case .refusal:
            let session = try reader.uint16()
            guard let reason = RefusalReason(rawValue: try reader.byte()), reader.isAtEnd else { throw .malformed("refusal") }
            return .refusal(session: session, reason: reason)
        case .busy:
            let session = try reader.uint16()
            let minutes = try reader.byte()
            guard reader.isAtEnd, minutes >= 1, minutes <= 60 else { throw .malformed("busy") }
            return .busy(session: session, minutes: minutes)
        }
    }

    public static func dataFragmentCount(blockSize: Int) -> Int {
        max((blockSize + fragmentDataLength - 1) / fragmentDataLength, 1)
    }

    public static func dataLength(ofFragment index: Int, blockSize: Int) -> Int {
        min(fragmentDataLength, max(blockSize - index * fragmentDataLength, 0))
    }

    private static func header(_ kind: Kind) -> UInt8 { version << 5 | kind.rawValue }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}

/// Which fragments of a transfer a receiver holds (bit i = fragment i).
public struct FragmentSet: Sendable, Equatable {
    public var bits: UInt64
    public init(bits: UInt64 = 0) { self.bits = bits }
    public func contains(_ index: Int) -> Bool { index >= 0 && index < 64 && bits & (1 << UInt64(index)) != 0 }
    public mutating func insert(_ index: Int) { if index >= 0, index < 64 { bits |= 1 << UInt64(index) } }
    public var count: Int { bits.nonzeroBitCount }
    public func containsAll(below count: Int) -> Bool {
        count >= 64 ? bits == .max : bits & ((1 << UInt64(count)) - 1) == (1 << UInt64(count)) - 1
    }
}

public enum LoRaMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated
    case unsupportedVersion(UInt8)
    case unknownType(UInt8)
    case malformed(String)

    public var description: String {
        switch self {
        case .truncated: "truncated frame"
        case .unsupportedVersion(let version): "frame version \(version) is not supported"
        case .unknownType(let type): "unknown frame type \(type)"
        case .malformed(let why): "malformed frame: \(why)"
        }
    }
}

/// Bounds-checked reads from an untrusted frame.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(LoRaMessageError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int) throws(LoRaMessageError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func uint16() throws(LoRaMessageError) -> UInt16 {
        let raw = try bytes(2)
        return UInt16(raw[0]) << 8 | UInt16(raw[1])
    }

    mutating func uint64() throws(LoRaMessageError) -> UInt64 {
        try bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
