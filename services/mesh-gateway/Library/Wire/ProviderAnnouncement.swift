import Crypto
import PakitCore

/// "I now hold these CIDs, and no longer these": one signed message of an origin's provider
/// log. The origin numbers its announcements 1, 2, 3, … (`sequence`); (origin, sequence) is
/// the message id, so replays are recognised and an older announcement never undoes a newer one.
///
/// ```
/// version 1 | origin key (32) | sequence (8) | issued at, ms (8)
/// | added count (2) | (length (1), binary CID)… | removed count (2) | (length (1), binary CID)…
/// ```
/// signed by the origin's node key over `"pakit-mesh/1 providers" ‖ body`.
public struct ProviderAnnouncement: Sendable, Equatable {
    public let origin: PeerID
    public let sequence: UInt64
    public let issuedAt: UInt64
    public let added: [CID]
    public let removed: [CID]
    let signature: [UInt8]
    /// The signed body (kept: stored and forwarded as it came).
    let body: [UInt8]

    /// At most this many CIDs (added and removed together) in one announcement.
    public static let maximumCIDs = 1_000
    /// At most this many bytes of body.
    public static let maximumBodySize = 64 << 10
    static let maximumCIDLength = 128
    static let domain = Array("pakit-mesh/1 providers".utf8)

    public init(origin key: Curve25519.Signing.PrivateKey, sequence: UInt64, issuedAt: UInt64, added: [CID], removed: [CID]) throws {
        precondition(added.count + removed.count <= Self.maximumCIDs, "callers split announcements at maximumCIDs")
        let origin = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        var writer = WireWriter(capacity: 64 + 40 * (added.count + removed.count))
        writer.u8(1)
        writer.raw(origin.publicKey)
        writer.u64(sequence)
        writer.u64(issuedAt)
        for list in [added, removed] {
            writer.u16(UInt16(list.count))
            for cid in list {
                let bytes = cid.bytes
                writer.u8(UInt8(bytes.count))
                writer.raw(bytes)
            }
        }
        self.origin = origin
        self.sequence = sequence
        self.issuedAt = issuedAt
        self.added = added
        self.removed = removed
        self.body = writer.bytes
        self.signature = Array(try key.signature(for: Self.domain + writer.bytes))
    }

    /// Whether the origin's key signed exactly this body.
    public var isAuthentic: Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: origin.publicKey) else { return false }
        return key.isValidSignature(signature, for: Self.domain + body)
    }

    /// Bytes of `encoded`.
    public var encodedSize: Int { body.count + 68 }

    /// The wire form: body length (4), body, signature (64).
    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: body.count + 68)
        writer.u32(UInt32(body.count))
        writer.raw(body)
        writer.raw(signature)
        return writer.bytes
    }

    /// Decodes one announcement from `reader`, bounded, without checking the signature: a
    /// receiver first looks (origin, sequence) up among those it has (`isAuthentic` costs ~80 µs).
    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> ProviderAnnouncement {
        let length = Int(try reader.u32("announcement length"))
        guard length <= maximumBodySize else { throw MeshWireError("announcement of \(length) bytes exceeds \(maximumBodySize)") }
        let body = try reader.raw(length, "announcement body")
        let signature = try reader.raw(64, "announcement signature")
        var inner = WireReader(body)
        guard try inner.u8("announcement version") == 1 else { throw MeshWireError("announcement version is not 1") }
        let originKey = try inner.raw(32, "announcement origin")
        guard let origin = try? PeerID(ed25519PublicKey: originKey) else { throw MeshWireError("announcement origin is not an Ed25519 key") }
        let sequence = try inner.u64("announcement sequence")
        guard sequence >= 1, sequence <= PeerRecord.maximumIncarnation else { throw MeshWireError("announcement sequence \(sequence) is out of range") }
        let issuedAt = try inner.u64("announcement time")
        var lists: [[CID]] = []
        var total = 0
        for _ in 0..<2 {
            // A CID is at least 2 bytes with its length byte: a count that cannot fit is refused first.
            let count = try inner.count("announcement CID count", limit: maximumCIDs - total, minimumSize: 3)
            total += count
            var cids: [CID] = []
            cids.reserveCapacity(count)
            for _ in 0..<count {
                let cidLength = Int(try inner.u8("CID length"))
                guard cidLength <= maximumCIDLength else { throw MeshWireError("CID of \(cidLength) bytes") }
                let bytes = try inner.raw(cidLength, "CID")
                guard let cid = try? CID(bytes: bytes) else { throw MeshWireError("announcement holds something that is not a CID") }
                cids.append(cid)
            }
            lists.append(cids)
        }
        try inner.expectEnd("announcement")
        return ProviderAnnouncement(origin: origin, sequence: sequence, issuedAt: issuedAt, added: lists[0], removed: lists[1],
                                    signature: signature, body: body)
    }

    /// Decodes a concatenation of announcements (a digest answer, a stored log).
    public static func decodeAll(_ bytes: [UInt8], limit: Int = 10_000) throws(MeshWireError) -> [ProviderAnnouncement] {
        var reader = WireReader(bytes)
        var announcements: [ProviderAnnouncement] = []
        while !reader.isAtEnd {
            guard announcements.count < limit else { throw MeshWireError("more than \(limit) announcements") }
            announcements.append(try decode(&reader))
        }
        return announcements
    }

    /// Decodes exactly one announcement.
    public static func decode(_ bytes: [UInt8]) throws(MeshWireError) -> ProviderAnnouncement {
        var reader = WireReader(bytes)
        let announcement = try decode(&reader)
        try reader.expectEnd("announcement")
        return announcement
    }

    private init(origin: PeerID, sequence: UInt64, issuedAt: UInt64, added: [CID], removed: [CID], signature: [UInt8], body: [UInt8]) {
        self.origin = origin
        self.sequence = sequence
        self.issuedAt = issuedAt
        self.added = added
        self.removed = removed
        self.signature = signature
        self.body = body
    }
}
