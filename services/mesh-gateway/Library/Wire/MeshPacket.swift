import Crypto
import PakitCore

/// One message between gateways: a UDP datagram (probes, gossip) or the body of a state
/// exchange over HTTPS.
///
/// ```
/// "PKM" 0x01 | kind (1) | sender's Ed25519 key (32) | body | signature (64)
/// ```
/// The signature is the sender's over `"pakit-mesh/1 packet" ‖ everything before it`, so a
/// packet names its sender and cannot be altered or attributed to another node. Updates inside
/// carry their own signatures (their signers need not be the sender).
public struct MeshPacket: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        /// "Are you alive?" to `target` (a node at that address with another key does not answer).
        case ping(sequence: UInt32, target: PeerID, updates: [MembershipUpdate])
        case ack(sequence: UInt32, updates: [MembershipUpdate])
        /// "Probe `target` for me": answered with `ack` (target answered) or `nack` (it did not).
        case pingRequest(sequence: UInt32, target: PeerID, updates: [MembershipUpdate])
        case nack(sequence: UInt32)
        /// Membership news only.
        case gossip(updates: [MembershipUpdate])
        /// A whole membership table (a state exchange, sent over HTTPS, not UDP);
        /// `requestsReply` asks the receiver to answer with its own.
        case state(requestsReply: Bool, updates: [MembershipUpdate])
        /// Announcement gossip (the gossipsub mesh), not membership.
        case pubsub(GossipRPC)
    }

    public let sender: PeerID
    public let body: Body

    public init(sender: PeerID, body: Body) {
        self.sender = sender
        self.body = body
    }

    static let magic: [UInt8] = [0x50, 0x4B, 0x4D, 0x01]  // "PKM", version 1
    static let domain = Array("pakit-mesh/1 packet".utf8)
    static let headerSize = 4 + 1 + 32
    static let signatureSize = 64
    /// Updates one UDP packet may carry (a packet is also bounded in bytes).
    static let maximumUpdatesPerDatagram = 64
    /// Updates a state exchange may carry: a member, its statement and some slack.
    static let maximumUpdatesPerState = 100_000
    /// The largest datagram accepted; senders keep theirs under `SWIMSettings.packetBudget`.
    public static let maximumDatagramSize = 65_507
    /// The largest state exchange accepted.
    public static let maximumStateSize = 16 << 20

    /// The signed wire form.
    public func encoded(signedWith key: Curve25519.Signing.PrivateKey) throws -> [UInt8] {
        var writer = WireWriter(capacity: 512)
        writer.raw(Self.magic)
        switch body {
        case .ping(let sequence, let target, let updates):
            writer.u8(1)
            writer.raw(sender.publicKey)
            writer.u32(sequence)
            writer.raw(target.publicKey)
            Self.write(updates, to: &writer)
        case .ack(let sequence, let updates):
            writer.u8(2)
            writer.raw(sender.publicKey)
            writer.u32(sequence)
            Self.write(updates, to: &writer)
        case .pingRequest(let sequence, let target, let updates):
            writer.u8(3)
            writer.raw(sender.publicKey)
            writer.u32(sequence)
            writer.raw(target.publicKey)
            Self.write(updates, to: &writer)
        case .nack(let sequence):
            writer.u8(4)
            writer.raw(sender.publicKey)
            writer.u32(sequence)
        case .gossip(let updates):
            writer.u8(5)
            writer.raw(sender.publicKey)
            Self.write(updates, to: &writer)
        case .state(let requestsReply, let updates):
            writer.u8(6)
            writer.raw(sender.publicKey)
            writer.u8(requestsReply ? 1 : 0)
            Self.write(updates, to: &writer, wide: true)
        case .pubsub(let rpc):
            writer.u8(7)
            writer.raw(sender.publicKey)
            rpc.write(to: &writer)
        }
        let signature = try key.signature(for: Self.domain + writer.bytes)
        writer.raw(signature)
        return writer.bytes
    }

    /// Decodes and checks the sender's signature over the whole packet. Updates inside are
    /// decoded but not verified: the membership checks them (after its dedup cache).
    public static func decode(_ bytes: [UInt8], maximumSize: Int = maximumDatagramSize) throws(MeshWireError) -> MeshPacket {
        guard bytes.count <= maximumSize else { throw MeshWireError("packet of \(bytes.count) bytes exceeds \(maximumSize)") }
        guard bytes.count >= headerSize + signatureSize else { throw MeshWireError("packet of \(bytes.count) bytes is too short") }
        guard bytes[0..<4].elementsEqual(magic) else { throw MeshWireError("not a Pakit mesh packet (magic or version)") }
        let signedEnd = bytes.count - signatureSize
        let senderKey = Array(bytes[5..<37])
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: senderKey),
              key.isValidSignature(bytes[signedEnd...], for: domain + bytes[..<signedEnd]) else {
            throw MeshWireError("packet signature does not verify")
        }
        guard let sender = try? PeerID(ed25519PublicKey: senderKey) else { throw MeshWireError("sender is not an Ed25519 key") }
        var reader = WireReader(bytes, from: 37, to: signedEnd)
        let body: Body
        switch bytes[4] {
        case 1:
            let sequence = try reader.u32("ping sequence")
            let target = try peer(&reader, "ping target")
            body = .ping(sequence: sequence, target: target, updates: try updates(&reader))
        case 2:
            let sequence = try reader.u32("ack sequence")
            body = .ack(sequence: sequence, updates: try updates(&reader))
        case 3:
            let sequence = try reader.u32("ping-request sequence")
            let target = try peer(&reader, "ping-request target")
            body = .pingRequest(sequence: sequence, target: target, updates: try updates(&reader))
        case 4:
            body = .nack(sequence: try reader.u32("nack sequence"))
        case 5:
            body = .gossip(updates: try updates(&reader))
        case 6:
            let requestsReply = try reader.u8("state reply flag")
            guard requestsReply <= 1 else { throw MeshWireError("state reply flag must be 0 or 1") }
            body = .state(requestsReply: requestsReply == 1, updates: try updates(&reader, wide: true))
        case 7:
            body = .pubsub(try GossipRPC.decode(&reader))
        default:
            throw MeshWireError("unknown packet kind \(bytes[4])")
        }
        try reader.expectEnd("packet")
        return MeshPacket(sender: sender, body: body)
    }

    private static func peer(_ reader: inout WireReader, _ field: StaticString) throws(MeshWireError) -> PeerID {
        do { return try PeerID(ed25519PublicKey: try reader.raw(32, field)) } catch let error as MeshWireError { throw error } catch { throw MeshWireError("\(field): \(error)") }
    }

    private static func write(_ updates: [MembershipUpdate], to writer: inout WireWriter, wide: Bool = false) {
        let count = min(updates.count, wide ? maximumUpdatesPerState : maximumUpdatesPerDatagram)
        if wide { writer.u32(UInt32(count)) } else { writer.u16(UInt16(count)) }
        for update in updates.prefix(count) { update.write(to: &writer) }
    }

    private static func updates(_ reader: inout WireReader, wide: Bool = false) throws(MeshWireError) -> [MembershipUpdate] {
        let limit = wide ? maximumUpdatesPerState : maximumUpdatesPerDatagram
        let count = wide ? Int(try reader.u32("update count")) : Int(try reader.u16("update count"))
        // No update is under 100 bytes (a statement is 138, a record at least 129): a count
        // that cannot fit is refused before anything is reserved for it.
        guard count <= limit, count * 100 <= reader.remaining else {
            throw MeshWireError("\(count) updates cannot fit in \(reader.remaining) bytes (at most \(limit))")
        }
        var updates: [MembershipUpdate] = []
        updates.reserveCapacity(count)
        for _ in 0..<count { updates.append(try MembershipUpdate.decode(&reader)) }
        return updates
    }
}
