import PakitCore

/// What a node holds, as announced over LoRa: 32-bit fingerprints (the first four bytes of each
/// CID's sha2-256 digest) and a digest of the whole set, so a receiver that missed an update
/// sees that its copy no longer adds up and asks for the whole index (docs/lora-bridge.md, "Index").
///
/// A fingerprint can collide: the index only says whom to ask. What arrives is checked against
/// the full CID before anything is stored.
public struct LoRaIndex: Sendable, Equatable {
    public private(set) var fingerprints: Set<UInt32>

    public init(_ fingerprints: Set<UInt32> = []) { self.fingerprints = fingerprints }

    /// nil for CIDs whose blocks cannot be checked on arrival (not sha2-256).
    public static func fingerprint(of cid: CID) -> UInt32? {
        guard cid.multihash.code == 0x12, cid.multihash.digest.count >= 4 else { return nil }
        return cid.multihash.digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public func contains(_ cid: CID) -> Bool { Self.fingerprint(of: cid).map(fingerprints.contains) ?? false }

    public var count: Int { fingerprints.count }

    /// The first four bytes of SHA-256 over the sorted fingerprints (big-endian): equal sets,
    /// equal digests, whatever order the updates came in.
    public var digest: UInt32 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fingerprints.count * 4)
        for fingerprint in fingerprints.sorted() {
            bytes += [UInt8(fingerprint >> 24), UInt8(truncatingIfNeeded: fingerprint >> 16), UInt8(truncatingIfNeeded: fingerprint >> 8), UInt8(truncatingIfNeeded: fingerprint)]
        }
        return Multihash.sha256(of: bytes).digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public func applying(added: [UInt32], removed: [UInt32]) -> LoRaIndex {
        var next = fingerprints
        next.subtract(removed)
        next.formUnion(added)
        return LoRaIndex(next)
    }

    /// The next sequence number: 0 means "none yet" and is skipped when the counter wraps.
    public static func sequence(after sequence: UInt16) -> UInt16 {
        sequence == .max ? 1 : sequence + 1
    }

    /// The update that turns `previous` into this index. More changes than one update carries
    /// go as an update that lists none: its digest will not add up, and receivers resync.
    public func update(from previous: LoRaIndex, sequence: UInt16) -> LoRaMessage.IndexUpdate {
        let added = fingerprints.subtracting(previous.fingerprints).sorted()
        let removed = previous.fingerprints.subtracting(fingerprints).sorted()
        let fits = added.count + removed.count <= LoRaMessage.maximumIndexChanges
        return .init(sequence: sequence, entries: UInt16(clamping: count), digest: digest,
                     added: fits ? added : [], removed: fits ? removed : [])
    }

    /// The whole index in parts that each fill one unicast frame.
    public func snapshot(sequence: UInt16) -> [LoRaMessage.IndexSnapshot] {
        let sorted = fingerprints.sorted()
        let size = LoRaMessage.snapshotFingerprints
        let parts = max((sorted.count + size - 1) / size, 1)
        let digest = self.digest
        return (0..<parts).map { part in
            LoRaMessage.IndexSnapshot(sequence: sequence, digest: digest, part: UInt8(part), parts: UInt8(parts),
                                      fingerprints: Array(sorted[min(part * size, sorted.count)..<min((part + 1) * size, sorted.count)]))
        }
    }

    /// Most entries a node announces: a whole index then fits 10 snapshot frames.
    public static let maximumSnapshotParts = 10
    public static let maximumEntries = maximumSnapshotParts * LoRaMessage.snapshotFingerprints
}

/// A peer's index as this node has followed it.
public struct PeerIndex: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The update applied and the digest agrees.
        case applied
        /// Nothing new (a repeat of the current state).
        case current
        /// The copy here no longer adds up (a missed update, a restart): ask for the whole index.
        case needsResync
    }

    /// The last update applied (0: none), and whether the copy is known to match the peer's.
    public private(set) var sequence: UInt16 = 0
    public private(set) var index = LoRaIndex()
    public private(set) var synced = false
    private var assembly: (sequence: UInt16, digest: UInt32, parts: [UInt8: [UInt32]], total: UInt8)?

    public init() {}

    public init(restoring sequence: UInt16, index: LoRaIndex, synced: Bool) {
        self.sequence = sequence
        self.index = index
        self.synced = synced
    }

    public mutating func apply(_ update: LoRaMessage.IndexUpdate) -> Outcome {
        if synced, update.sequence == sequence {
            if update.digest == index.digest { return .current }
            synced = false
            return .needsResync
        }
        if synced, update.sequence == LoRaIndex.sequence(after: sequence) {
            let next = index.applying(added: update.added, removed: update.removed)
            if next.digest == update.digest, next.count == Int(update.entries) {
                index = next
                sequence = update.sequence
                return .applied
            }
        }
        // Out of step: keep the stale copy to choose peers from until the snapshot arrives.
        synced = false
        return .needsResync
    }

    /// Takes one snapshot part; true when the last part completed a whole index that adds up.
    public mutating func apply(_ part: LoRaMessage.IndexSnapshot) -> Bool {
        // No announcer sends more: a larger "index" is someone filling this node's memory.
        guard part.parts <= LoRaIndex.maximumSnapshotParts else { return false }
        if assembly == nil || assembly?.sequence != part.sequence || assembly?.digest != part.digest || assembly?.total != part.parts {
            assembly = (part.sequence, part.digest, [:], part.parts)
        }
        assembly?.parts[part.part] = part.fingerprints
        guard let complete = assembly, complete.parts.count == Int(complete.total) else { return false }
        assembly = nil
        let whole = LoRaIndex(Set(complete.parts.values.joined()))
        guard whole.digest == complete.digest else { return false }
        index = whole
        sequence = complete.sequence
        synced = true
        return true
    }
}
