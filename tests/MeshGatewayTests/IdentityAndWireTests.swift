import Crypto
@testable import MeshGatewayService
import PakitCore
import Testing

@Suite("Mesh identity and wire format")
struct IdentityAndWireTests {
    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { offset in
            let start = text.index(text.startIndex, offsetBy: offset)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    /// The libp2p specification's Ed25519 test key (peer-ids.md, "Test vectors"), with the peer
    /// ID rust-libp2p and other implementations derive from it.
    @Test("a node key's peer ID is libp2p's: the spec's Ed25519 vector gives 12D3KooWBtg3…, and the text form parses back")
    func peerIDVector() throws {
        let seed = Self.hex("7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d")
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let peer = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        #expect(peer.protobufPublicKey == Self.hex("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"))
        #expect(peer.string == "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq")
        #expect(try PeerID("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq") == peer)
        // A CIDv0-style sha2-256 multihash, a truncated ID and junk are not Ed25519 peer IDs.
        #expect(throws: CoreError.self) { try PeerID("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N") }
        #expect(throws: CoreError.self) { try PeerID("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p") }
        #expect(throws: CoreError.self) { try PeerID("not a peer id 0OIl") }
    }

    static func node(_ index: Int) throws -> (Curve25519.Signing.PrivateKey, PeerRecord) {
        var seed = [UInt8](repeating: 0, count: 32)
        seed[0] = UInt8(index & 0xff)
        seed[1] = UInt8(index >> 8)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let peer = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        let record = PeerRecord(peer: peer, incarnation: 0, issuedAt: 1_700_000_000_000, meshAddress: try MeshAddress(host: "127.0.0.\(index % 250 + 1)", port: 7946),
                                gatewayURL: "https://127.0.0.1:7071", storageURL: "https://127.0.0.1:7070",
                                gatewayCertificateSHA256: Array(repeating: 1, count: 32), storageCertificateSHA256: Array(repeating: 2, count: 32))
        return (key, record)
    }

    @Test("packets round-trip with every body kind; a flipped bit anywhere fails the signature; hostile counts and lengths are refused")
    func packets() throws {
        let (key, record) = try Self.node(1)
        let (otherKey, otherRecord) = try Self.node(2)
        let signed = try SignedPeerRecord(signing: record, with: key)
        let statement = try MembershipStatement(.suspect, about: otherRecord.peer, incarnation: 3, signedBy: key)
        let updates: [MembershipUpdate] = [.alive(signed), .statement(statement)]
        let bodies: [MeshPacket.Body] = [
            .ping(sequence: 7, target: otherRecord.peer, updates: updates), .ack(sequence: 7, updates: updates),
            .pingRequest(sequence: 8, target: otherRecord.peer, updates: []), .nack(sequence: 8),
            .gossip(updates: updates), .state(requestsReply: true, updates: updates),
        ]
        for body in bodies {
            let packet = MeshPacket(sender: record.peer, body: body)
            let bytes = try packet.encoded(signedWith: key)
            #expect(try MeshPacket.decode(bytes) == packet)
            for index in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
                var tampered = bytes
                tampered[index] ^= 0x01
                #expect(throws: MeshWireError.self) { try MeshPacket.decode(tampered) }
            }
        }
        // A packet signed by a key other than the one it names as sender.
        let forged = try MeshPacket(sender: record.peer, body: .nack(sequence: 1)).encoded(signedWith: otherKey)
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(forged) }
        // Properly signed, but claiming 60,000 updates in a few bytes, or a record URL longer than allowed.
        var writer = WireWriter()
        writer.raw(MeshPacket.magic)
        writer.u8(5)
        writer.raw(record.peer.publicKey)
        writer.u16(60_000)
        writer.raw([UInt8](repeating: 0, count: 40))
        let lying = writer.bytes + Array(try key.signature(for: MeshPacket.domain + writer.bytes))
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(lying) }
        var long = record
        long.storageURL = "https://" + String(repeating: "a", count: 300)
        let longPacket = try MeshPacket(sender: record.peer, body: .gossip(updates: [.alive(try SignedPeerRecord(signing: long, with: key))])).encoded(signedWith: key)
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(longPacket) }
        // Truncations at every length fail cleanly.
        let good = try MeshPacket(sender: record.peer, body: .gossip(updates: updates)).encoded(signedWith: key)
        for length in 0..<good.count { #expect(throws: MeshWireError.self) { try MeshPacket.decode(Array(good.prefix(length))) } }
    }

    @Test("updates carry their own signatures: a record or statement altered in transit is not authentic")
    func updateSignatures() throws {
        let (key, record) = try Self.node(1)
        let (_, other) = try Self.node(2)
        let signed = try SignedPeerRecord(signing: record, with: key)
        #expect(MembershipUpdate.alive(signed).isAuthentic)
        var writer = WireWriter()
        MembershipUpdate.alive(signed).write(to: &writer)
        var bytes = writer.bytes
        bytes[bytes.count - 70] ^= 0x40  // inside the record body
        var reader = WireReader(bytes)
        let altered = try MembershipUpdate.decode(&reader)
        #expect(!altered.isAuthentic)
        let statement = try MembershipStatement(.dead, about: other.peer, incarnation: 1, signedBy: key)
        #expect(MembershipUpdate.statement(statement).isAuthentic)
        // Only the subject may say it left.
        var leave = WireWriter()
        leave.u8(3)
        leave.raw(record.peer.publicKey)
        leave.raw(other.peer.publicKey)
        leave.u64(0)
        leave.raw([UInt8](repeating: 0, count: 64))
        var leaveReader = WireReader(leave.bytes)
        #expect(throws: MeshWireError.self) { try MembershipStatement.decode(&leaveReader) }
    }
}
