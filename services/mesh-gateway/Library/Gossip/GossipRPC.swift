import PakitCore

/// The id of a provider announcement: its origin and the origin's sequence number (what
/// gossipsub calls `from ‖ seqno`). Every node computes the same id from the signed body.
public struct MessageID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let origin: PeerID
    public let sequence: UInt64

    public init(origin: PeerID, sequence: UInt64) {
        self.origin = origin
        self.sequence = sequence
    }

    public init(_ announcement: ProviderAnnouncement) {
        self.init(origin: announcement.origin, sequence: announcement.sequence)
    }

    public static func < (a: MessageID, b: MessageID) -> Bool { (a.origin, a.sequence) < (b.origin, b.sequence) }
    public var description: String { "\(origin)/\(sequence)" }
}

/// One gossipsub exchange between two gateways, carried in a signed `MeshPacket` (kind 7): full
/// announcements (eager push), control messages, or both. There is one topic (provider
/// announcements), so GRAFT and PRUNE carry no topic.
///
/// ```
/// messages: count (2), announcement… | IHAVE: count (2), (origin key (32), sequence (8), size (4))…
/// | IWANT: count (2), (origin key (32), sequence (8))… | GRAFT (1) | PRUNE (1), backoff seconds (2)
/// ```
/// An IHAVE names the announcement's encoded size: one too large for a datagram is pulled over
/// HTTPS (`GET /v1/mesh/announcements/{origin}/{sequence}`) instead of asked for with IWANT.
public struct GossipRPC: Sendable, Equatable {
    public struct Have: Sendable, Equatable, Hashable {
        public let id: MessageID
        public let size: UInt32
        public init(id: MessageID, size: UInt32) {
            self.id = id
            self.size = size
        }
    }

    public var messages: [ProviderAnnouncement] = []
    public var ihave: [Have] = []
    public var iwant: [MessageID] = []
    public var graft = false
    /// Set: the sender left the receiver out of its mesh and asks it not to graft again for
    /// this many seconds.
    public var prune: UInt16?

    public init(messages: [ProviderAnnouncement] = [], ihave: [Have] = [], iwant: [MessageID] = [], graft: Bool = false, prune: UInt16? = nil) {
        self.messages = messages
        self.ihave = ihave
        self.iwant = iwant
        self.graft = graft
        self.prune = prune
    }

    public var isEmpty: Bool { messages.isEmpty && ihave.isEmpty && iwant.isEmpty && !graft && prune == nil }

    static let haveSize = 44
    static let wantSize = 40
    /// Bytes of an RPC with nothing in it.
    static let emptySize = 2 + 2 + 2 + 1 + 1
    /// Entries one RPC may name (a datagram cannot hold more than ~1,500 anyway).
    static let maximumEntries = 5_000
    static let maximumMessages = 64

    func write(to writer: inout WireWriter) {
        writer.u16(UInt16(min(messages.count, Self.maximumMessages)))
        for message in messages.prefix(Self.maximumMessages) { writer.raw(message.encoded) }
        writer.u16(UInt16(min(ihave.count, Self.maximumEntries)))
        for have in ihave.prefix(Self.maximumEntries) {
            writer.raw(have.id.origin.publicKey)
            writer.u64(have.id.sequence)
            writer.u32(have.size)
        }
        writer.u16(UInt16(min(iwant.count, Self.maximumEntries)))
        for id in iwant.prefix(Self.maximumEntries) {
            writer.raw(id.origin.publicKey)
            writer.u64(id.sequence)
        }
        writer.u8(graft ? 1 : 0)
        if let prune {
            writer.u8(1)
            writer.u16(prune)
        } else {
            writer.u8(0)
        }
    }

    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> GossipRPC {
        var rpc = GossipRPC()
        // An encoded announcement is at least 4 + 54 + 64 bytes.
        let messageCount = try reader.count("message count", limit: maximumMessages, minimumSize: 122)
        for _ in 0..<messageCount { rpc.messages.append(try ProviderAnnouncement.decode(&reader)) }
        let haveCount = try reader.count("IHAVE count", limit: maximumEntries, minimumSize: haveSize)
        rpc.ihave.reserveCapacity(haveCount)
        for _ in 0..<haveCount {
            let id = try messageID(&reader)
            rpc.ihave.append(Have(id: id, size: try reader.u32("IHAVE size")))
        }
        let wantCount = try reader.count("IWANT count", limit: maximumEntries, minimumSize: wantSize)
        rpc.iwant.reserveCapacity(wantCount)
        for _ in 0..<wantCount { rpc.iwant.append(try messageID(&reader)) }
        switch try reader.u8("GRAFT flag") {
        case 0: rpc.graft = false
        case 1: rpc.graft = true
        default: throw MeshWireError("GRAFT flag must be 0 or 1")
        }
        switch try reader.u8("PRUNE flag") {
        case 0: rpc.prune = nil
        case 1: rpc.prune = try reader.u16("PRUNE backoff")
        default: throw MeshWireError("PRUNE flag must be 0 or 1")
        }
        return rpc
    }

    private static func messageID(_ reader: inout WireReader) throws(MeshWireError) -> MessageID {
        let key = try reader.raw(32, "message origin")
        guard let origin = try? PeerID(ed25519PublicKey: key) else { throw MeshWireError("message origin is not an Ed25519 key") }
        let sequence = try reader.u64("message sequence")
        guard sequence >= 1, sequence <= PeerRecord.maximumIncarnation else { throw MeshWireError("message sequence \(sequence) is out of range") }
        return MessageID(origin: origin, sequence: sequence)
    }
}
