import Crypto
import PakitCore

/// Where a node's mesh-gateway receives UDP: a host (IPv4, bracketed IPv6 or a name) and port.
public struct MeshAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) throws(MeshWireError) {
        guard (1...65535).contains(port) else { throw MeshWireError("mesh address port \(port) is not 1…65535") }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.utf8.allSatisfy({ Self.hostBytes.contains($0) }) else {
            throw MeshWireError("mesh address host '\(host.prefix(64))' is not an IP address or host name")
        }
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[v6]:port` for IPv6).
    public init(_ text: String) throws(MeshWireError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw MeshWireError("mesh address '\(text.prefix(64))' is not host:port")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        try self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static let hostBytes = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:".utf8))
}

/// What a node says about itself. Signed with its node key (`SignedPeerRecord`), so any member
/// can pass it on and every receiver can check it; a higher incarnation replaces a lower one.
public struct PeerRecord: Sendable, Equatable {
    public var peer: PeerID
    /// Bumped by the node itself to refute a suspicion or announce a change.
    public var incarnation: UInt64
    /// Milliseconds since 1970 when the node signed it (shown to operators; ordering is by
    /// incarnation, never by clocks of other machines).
    public var issuedAt: UInt64
    /// Where its gateway receives the mesh's UDP packets.
    public var meshAddress: MeshAddress
    /// Its gateway's HTTPS base URL (state exchange, provider lookups).
    public var gatewayURL: String
    /// Its storage's HTTPS base URL (content fetches).
    public var storageURL: String
    /// SHA-256 of the DER certificates its gateway and storage serve: a peer trusts those
    /// certificates because they are named here, never another node's CA wholesale.
    public var gatewayCertificateSHA256: [UInt8]
    public var storageCertificateSHA256: [UInt8]

    public init(peer: PeerID, incarnation: UInt64, issuedAt: UInt64, meshAddress: MeshAddress,
                gatewayURL: String, storageURL: String, gatewayCertificateSHA256: [UInt8], storageCertificateSHA256: [UInt8]) {
        self.peer = peer
        self.incarnation = incarnation
        self.issuedAt = issuedAt
        self.meshAddress = meshAddress
        self.gatewayURL = gatewayURL
        self.storageURL = storageURL
        self.gatewayCertificateSHA256 = gatewayCertificateSHA256
        self.storageCertificateSHA256 = storageCertificateSHA256
    }

    static let version: UInt8 = 1
    static let maximumURLLength = 256
    /// Incarnations above this are refused: a refutation adds one, and must never overflow.
    static let maximumIncarnation = UInt64(1) << 62

    func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 200)
        writer.u8(Self.version)
        writer.raw(peer.publicKey)
        writer.u64(incarnation)
        writer.u64(issuedAt)
        writer.text(meshAddress.host)
        writer.u16(UInt16(meshAddress.port))
        writer.text(gatewayURL)
        writer.text(storageURL)
        writer.shortBytes(gatewayCertificateSHA256)
        writer.shortBytes(storageCertificateSHA256)
        return writer.bytes
    }

    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> PeerRecord {
        guard try reader.u8("record version") == version else { throw MeshWireError("record version is not \(version)") }
        let peer: PeerID
        do { peer = try PeerID(ed25519PublicKey: try reader.raw(32, "record peer")) } catch let error as MeshWireError { throw error } catch { throw MeshWireError("record peer: \(error)") }
        let incarnation = try reader.u64("record incarnation")
        guard incarnation <= maximumIncarnation else { throw MeshWireError("record incarnation \(incarnation) is implausibly large") }
        let issuedAt = try reader.u64("record time")
        let host = try reader.text("record mesh host", limit: 253)
        let port = Int(try reader.u16("record mesh port"))
        let address = try MeshAddress(host: host, port: port)
        let gatewayURL = try reader.text("record gateway URL", limit: maximumURLLength)
        let storageURL = try reader.text("record storage URL", limit: maximumURLLength)
        let gatewayFingerprint = try reader.shortBytes("record gateway certificate", limit: 32)
        let storageFingerprint = try reader.shortBytes("record storage certificate", limit: 32)
        for fingerprint in [gatewayFingerprint, storageFingerprint] where !fingerprint.isEmpty && fingerprint.count != 32 {
            throw MeshWireError("record certificate fingerprint must be empty or 32 bytes")
        }
        return PeerRecord(peer: peer, incarnation: incarnation, issuedAt: issuedAt, meshAddress: address, gatewayURL: gatewayURL,
                          storageURL: storageURL, gatewayCertificateSHA256: gatewayFingerprint, storageCertificateSHA256: storageFingerprint)
    }
}

/// A `PeerRecord` with its subject's Ed25519 signature over `"pakit-mesh/1 record" ‖ record`.
public struct SignedPeerRecord: Sendable, Equatable {
    public let record: PeerRecord
    public let signature: [UInt8]
    /// The record's bytes as signed (kept, so forwarding re-encodes nothing).
    let body: [UInt8]

    static let domain = Array("pakit-mesh/1 record".utf8)

    public init(signing record: PeerRecord, with key: Curve25519.Signing.PrivateKey) throws {
        precondition(Array(key.publicKey.rawRepresentation) == record.peer.publicKey, "a record is signed by its own peer's key")
        body = record.encoded()
        signature = Array(try key.signature(for: Self.domain + body))
        self.record = record
    }

    /// Decodes without checking the signature: receivers look the update up among those
    /// already verified first (`isAuthentic`), since verifying costs ~80 µs.
    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> SignedPeerRecord {
        let body = try reader.shortBytes("signed record", limit: 1024)
        var inner = WireReader(body)
        let record = try PeerRecord.decode(&inner)
        try inner.expectEnd("record")
        let signature = try reader.raw(64, "record signature")
        return SignedPeerRecord(record: record, signature: signature, body: body)
    }

    /// Whether the subject's key signed exactly this record.
    var isAuthentic: Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: record.peer.publicKey) else { return false }
        return key.isValidSignature(signature, for: Self.domain + body)
    }

    private init(record: PeerRecord, signature: [UInt8], body: [UInt8]) {
        self.record = record
        self.signature = signature
        self.body = body
    }

    func write(to writer: inout WireWriter) {
        writer.shortBytes(body)
        writer.raw(signature)
    }

    var encodedSize: Int { 2 + body.count + 64 }
}

/// A member's signed statement about another (or itself): "I suspect S at incarnation n",
/// "S is dead at incarnation n", or S's own "I am leaving". Signed by the accuser over
/// `"pakit-mesh/1 statement" ‖ kind ‖ accuser ‖ subject ‖ incarnation`, so it can be
/// forwarded and checked anywhere, and only S itself can sign S's leave or refutation.
public struct MembershipStatement: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case suspect = 1, dead = 2, left = 3
    }

    public let kind: Kind
    public let accuser: PeerID
    public let subject: PeerID
    public let incarnation: UInt64
    let signature: [UInt8]

    static let domain = Array("pakit-mesh/1 statement".utf8)
    static let encodedSize = 1 + 32 + 32 + 8 + 64

    public init(_ kind: Kind, about subject: PeerID, incarnation: UInt64, signedBy key: Curve25519.Signing.PrivateKey) throws {
        let accuser = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        self.kind = kind
        self.accuser = accuser
        self.subject = subject
        self.incarnation = incarnation
        signature = Array(try key.signature(for: Self.signedBytes(kind, accuser, subject, incarnation)))
    }

    private static func signedBytes(_ kind: Kind, _ accuser: PeerID, _ subject: PeerID, _ incarnation: UInt64) -> [UInt8] {
        var writer = WireWriter(capacity: 100)
        writer.raw(domain)
        writer.u8(kind.rawValue)
        writer.raw(accuser.publicKey)
        writer.raw(subject.publicKey)
        writer.u64(incarnation)
        return writer.bytes
    }

    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> MembershipStatement {
        guard let kind = Kind(rawValue: try reader.u8("statement kind")) else { throw MeshWireError("unknown statement kind") }
        let accuserKey = try reader.raw(32, "statement accuser")
        let subjectKey = try reader.raw(32, "statement subject")
        let incarnation = try reader.u64("statement incarnation")
        let signature = try reader.raw(64, "statement signature")
        guard let accuser = try? PeerID(ed25519PublicKey: accuserKey), let subject = try? PeerID(ed25519PublicKey: subjectKey) else {
            throw MeshWireError("statement peers are not Ed25519 keys")
        }
        guard incarnation <= PeerRecord.maximumIncarnation else { throw MeshWireError("statement incarnation is implausibly large") }
        guard kind != .left || accuser == subject else { throw MeshWireError("only a node itself can say it left") }
        return MembershipStatement(kind: kind, accuser: accuser, subject: subject, incarnation: incarnation, signature: signature)
    }

    private init(kind: Kind, accuser: PeerID, subject: PeerID, incarnation: UInt64, signature: [UInt8]) {
        self.kind = kind
        self.accuser = accuser
        self.subject = subject
        self.incarnation = incarnation
        self.signature = signature
    }

    /// Whether the accuser's key signed exactly this statement (decoding does not check).
    var isAuthentic: Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: accuser.publicKey) else { return false }
        return key.isValidSignature(signature, for: Self.signedBytes(kind, accuser, subject, incarnation))
    }

    func write(to writer: inout WireWriter) {
        writer.u8(kind.rawValue)
        writer.raw(accuser.publicKey)
        writer.raw(subject.publicKey)
        writer.u64(incarnation)
        writer.raw(signature)
    }
}

/// One piece of membership news, piggybacked on probes and gossip, or sent whole in a state
/// exchange.
public enum MembershipUpdate: Sendable, Equatable {
    case alive(SignedPeerRecord)
    case statement(MembershipStatement)

    /// Whom the news is about: a newer update about the same member replaces an older one
    /// waiting to be sent.
    public var subject: PeerID {
        switch self {
        case .alive(let signed): signed.record.peer
        case .statement(let statement): statement.subject
        }
    }

    var encodedSize: Int {
        switch self {
        case .alive(let signed): 1 + signed.encodedSize
        case .statement: 1 + MembershipStatement.encodedSize
        }
    }

    func write(to writer: inout WireWriter) {
        switch self {
        case .alive(let signed):
            writer.u8(1)
            signed.write(to: &writer)
        case .statement(let statement):
            writer.u8(2)
            statement.write(to: &writer)
        }
    }

    /// Whether the update's signer signed it (decoding does not check).
    var isAuthentic: Bool {
        switch self {
        case .alive(let signed): signed.isAuthentic
        case .statement(let statement): statement.isAuthentic
        }
    }

    static func decode(_ reader: inout WireReader) throws(MeshWireError) -> MembershipUpdate {
        switch try reader.u8("update kind") {
        case 1: return .alive(try SignedPeerRecord.decode(&reader))
        case 2: return .statement(try MembershipStatement.decode(&reader))
        default: throw MeshWireError("unknown update kind")
        }
    }
}
