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
    /// Broadcast: what changed in the sender's index since its previous update, with the
    /// digest of the whole index after the change (≤ 48 bytes; docs/lora-bridge.md, "Index").
    case indexUpdate(IndexUpdate)
    /// Unicast to an announcer whose updates no longer add up here: send the whole index.
    /// `sequence` is the last of its updates this node applied (0: none).
    case indexResync(sequence: UInt16)
    /// One part of an announcer's whole index, in answer to a resync request.
    case indexSnapshot(IndexSnapshot)
    /// Broadcast: an emergency message signed with the issuing node's Ed25519 key.
    case alert(Alert)
    /// Unicast to a gateway: a Mesh-pallet transaction made off-grid, for its chain relay.
    case meshTransaction(MeshTransaction)
    /// The gateway's answer once the transaction is durable in its queue (or refused): the
    /// first 8 bytes of its hash. Until it comes, the sender keeps the transaction and asks again.
    case meshReceipt(txHashPrefix: [UInt8], accepted: Bool)

    public struct MeshTransaction: Sendable, Equatable {
        public var txHash: [UInt8]
        public var txType: UInt8
        public var sender: [UInt8]
        public var recipient: [UInt8]
        public var amount: UInt64
        public var nonce: UInt32
        public var signatureHash: [UInt8]
        public init(txHash: [UInt8], txType: UInt8, sender: [UInt8], recipient: [UInt8], amount: UInt64, nonce: UInt32, signatureHash: [UInt8]) {
            self.txHash = txHash
            self.txType = txType
            self.sender = sender
            self.recipient = recipient
            self.amount = amount
            self.nonce = nonce
            self.signatureHash = signatureHash
        }

        /// What the pallet requires of the fields (sizes, a known type, a non-zero signature hash).
        public var isValid: Bool {
            txHash.count == 32 && txType <= 4 && sender.count == 4 && recipient.count == 4 && signatureHash.count == 32
                && signatureHash.contains { $0 != 0 }
        }
    }

    public struct IndexUpdate: Sendable, Equatable {
        public var sequence: UInt16
        /// Entries in the index after this update, and its digest (`LoRaIndex.digest`).
        public var entries: UInt16
        public var digest: UInt32
        public var added: [UInt32]
        public var removed: [UInt32]
        public init(sequence: UInt16, entries: UInt16, digest: UInt32, added: [UInt32] = [], removed: [UInt32] = []) {
            self.sequence = sequence
            self.entries = entries
            self.digest = digest
            self.added = added
            self.removed = removed
        }
    }

    public struct IndexSnapshot: Sendable, Equatable {
        public var sequence: UInt16
        public var digest: UInt32
        /// Part `part` of `parts` (0-based); together the parts hold every fingerprint once.
        public var part: UInt8
        public var parts: UInt8
        public var fingerprints: [UInt32]
        public init(sequence: UInt16, digest: UInt32, part: UInt8, parts: UInt8, fingerprints: [UInt32]) {
            self.sequence = sequence
            self.digest = digest
            self.part = part
            self.parts = parts
            self.fingerprints = fingerprints
        }
    }

    public struct Alert: Sendable, Equatable {
        /// Random per alert: (public key, id) names it, so repeats and relays are recognised.
        public var id: UInt32
        /// Unix seconds at the issuing node.
        public var issuedAt: UInt32
        /// 0 advisory … 4 catastrophic (the Mesh pallet's AlertSeverity).
        public var severity: UInt8
        /// UTF-8, at most `maximumAlertMessage` bytes.
        public var message: [UInt8]
        public var publicKey: [UInt8]
        public var signature: [UInt8]
        public init(id: UInt32, issuedAt: UInt32, severity: UInt8, message: [UInt8], publicKey: [UInt8], signature: [UInt8]) {
            self.id = id
            self.issuedAt = issuedAt
            self.severity = severity
            self.message = message
            self.publicKey = publicKey
            self.signature = signature
        }

        /// What the signature covers: a domain tag, then the frame up to the public key.
        public var signedBytes: [UInt8] {
            Array("pakit-lora-alert-v1".utf8) + LoRaMessage.alertBody(self)
        }
    }

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
        case indexUpdate = 5
        case indexResync = 6
        case indexSnapshot = 7
        case alert = 8
        case meshTransaction = 9
        case meshReceipt = 10
    }

    /// An index update is at most 48 bytes: a 10-byte header and 9 changed fingerprints.
    public static let maximumIndexUpdateLength = 48
    public static let maximumIndexChanges = (maximumIndexUpdateLength - 10) / 4
    /// Fingerprints per snapshot part: as many as fill the unicast limit after a 9-byte header.
    public static let snapshotFingerprints = (PayloadLimits.privateAppMaximumPayload(pki: true) - 9) / 4
    /// An alert's text: what a broadcast leaves after the 11-byte header, the key and the signature
    /// (the Mesh pallet takes at most 128 bytes).
    public static let maximumAlertMessage = PayloadLimits.privateAppMaximumPayload(pki: false) - 11 - 32 - 64

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
        case .indexUpdate(let update):
            var out = [Self.header(.indexUpdate)]
            out += Self.bigEndian(update.sequence) + Self.bigEndian(update.entries) + Self.bigEndian(update.digest)
            out.append(UInt8(min(update.added.count, 15)) << 4 | UInt8(min(update.removed.count, 15)))
            for fingerprint in update.added.prefix(15) + update.removed.prefix(15) { out += Self.bigEndian(fingerprint) }
            return out
        case .indexResync(let sequence):
            return [Self.header(.indexResync)] + Self.bigEndian(sequence)
        case .indexSnapshot(let snapshot):
            var out = [Self.header(.indexSnapshot)]
            out += Self.bigEndian(snapshot.sequence) + Self.bigEndian(snapshot.digest) + [snapshot.part, snapshot.parts]
            for fingerprint in snapshot.fingerprints { out += Self.bigEndian(fingerprint) }
            return out
        case .alert(let alert):
            return Self.alertBody(alert) + alert.publicKey + alert.signature
        case .meshTransaction(let tx):
            return [Self.header(.meshTransaction)] + tx.txHash + [tx.txType] + tx.sender + tx.recipient + Self.bigEndian(tx.amount)
                + Self.bigEndian(tx.nonce) + tx.signatureHash
        case .meshReceipt(let prefix, let accepted):
            return [Self.header(.meshReceipt)] + prefix + [accepted ? 1 : 0]
        }
    }

    static func alertBody(_ alert: Alert) -> [UInt8] {
        [Self.header(.alert)] + Self.bigEndian(alert.id) + Self.bigEndian(alert.issuedAt)
            + [alert.severity, UInt8(truncatingIfNeeded: alert.message.count)] + alert.message
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
        case .indexUpdate:
            let sequence = try reader.uint16()
            let entries = try reader.uint16()
            let digest = try reader.uint32()
            let counts = try reader.byte()
            let added = Int(counts >> 4), removed = Int(counts & 0x0F)
            guard added + removed <= maximumIndexChanges else { throw .malformed("\(added + removed) index changes") }
            let fingerprints = try (0..<(added + removed)).map { _ throws(LoRaMessageError) in try reader.uint32() }
            guard reader.isAtEnd else { throw .malformed("trailing bytes after the index update") }
            return .indexUpdate(.init(sequence: sequence, entries: entries, digest: digest,
                                      added: Array(fingerprints.prefix(added)), removed: Array(fingerprints.dropFirst(added))))
        case .indexResync:
            let sequence = try reader.uint16()
            guard reader.isAtEnd else { throw .malformed("index resync") }
            return .indexResync(sequence: sequence)
        case .indexSnapshot:
            let sequence = try reader.uint16()
            let digest = try reader.uint32()
            let part = try reader.byte()
            let parts = try reader.byte()
            let length = reader.remaining
            guard parts >= 1, part < parts, length % 4 == 0, length / 4 <= snapshotFingerprints else {
                throw .malformed("index snapshot part \(part) of \(parts) with \(length) bytes")
            }
            var fingerprints: [UInt32] = []
            while !reader.isAtEnd { fingerprints.append(try reader.uint32()) }
            return .indexSnapshot(.init(sequence: sequence, digest: digest, part: part, parts: parts, fingerprints: fingerprints))
        case .alert:
            let id = try reader.uint32()
            let issuedAt = try reader.uint32()
            let severity = try reader.byte()
            let length = Int(try reader.byte())
            guard severity <= 4, length >= 1, length <= maximumAlertMessage else { throw .malformed("alert severity \(severity), length \(length)") }
            let message = try reader.bytes(length)
            let publicKey = try reader.bytes(32)
            let signature = try reader.bytes(64)
            guard reader.isAtEnd else { throw .malformed("trailing bytes after the alert") }
            return .alert(.init(id: id, issuedAt: issuedAt, severity: severity, message: message, publicKey: publicKey, signature: signature))
        case .meshTransaction:
            let txHash = try reader.bytes(32)
            let txType = try reader.byte()
            let sender = try reader.bytes(4)
            let recipient = try reader.bytes(4)
            let amount = try reader.uint64()
            let nonce = try reader.uint32()
            let signatureHash = try reader.bytes(32)
            let tx = MeshTransaction(txHash: txHash, txType: txType, sender: sender, recipient: recipient, amount: amount, nonce: nonce, signatureHash: signatureHash)
            guard reader.isAtEnd, tx.isValid else { throw .malformed("mesh transaction") }
            return .meshTransaction(tx)
        case .meshReceipt:
            let prefix = try reader.bytes(8)
            let accepted = try reader.byte()
            guard reader.isAtEnd, accepted <= 1 else { throw .malformed("mesh receipt") }
            return .meshReceipt(txHashPrefix: prefix, accepted: accepted == 1)
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
    var remaining: Int { bytes.count - offset }

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

    mutating func uint32() throws(LoRaMessageError) -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws(LoRaMessageError) -> UInt64 {
        try bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
