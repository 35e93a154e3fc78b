import Crypto
import Foundation
import PakitContracts
import PakitCore

/// What one pin's replicas need, decided from its rows and the mesh view alone (no I/O), so the
/// replicator's loop and its job agree and tests can check every rule.
///
/// - A confirmed replica whose node has been dead (or missing) for `grace` is **lost**; it no
///   longer counts, and another node is asked in its place.
/// - Replicas are chosen by **rendezvous hashing** (highest SHA-256 of CID ‖ peer ID among live
///   nodes), so every origin makes stable, balanced choices; a node asked before (still
///   `requested`, or lost and now back) is asked first, since it may already hold the DAG.
/// - Beyond k − 1 confirmed copies the **surplus** is released: first lost nodes that came back,
///   then the lowest-ranked confirmed ones. A factor of 1 (or a removed pin) releases all.
/// - A node that refused is not asked again for `refusalMemory`.
struct ReplicationPlan: Sendable, Equatable {
    struct Row: Sendable, Equatable {
        let peerID: String
        let storageURL: String
        let state: ReplicaInfo.State
        /// Unix seconds.
        let updatedAt: Int64
    }

    struct Candidate: Sendable, Equatable {
        let peerID: String
        let storageURL: String
        let certificateSHA256: [UInt8]
    }

    var markLost: [String] = []
    var release: [Candidate] = []
    /// Nodes to ask, best first; ask until `missing` confirm.
    var candidates: [Candidate] = []
    var missing = 0

    /// Nothing to do now (missing copies with no node to ask wait for the mesh to change).
    var isSettled: Bool { markLost.isEmpty && release.isEmpty && (missing == 0 || candidates.isEmpty) }

    static let refusalMemory: Int64 = 600

    /// - Parameters:
    ///   - factor: copies wanted, this node's included (0: the pin is gone; release everything).
    ///   - goneFor: how long a peer has been dead or missing (zero when live).
    static func make(cid: CID, factor: Int, rows: [Row], members: [MeshView.Member], me: String?,
                     grace: Duration, goneFor: (String) -> Duration, now: Int64) -> ReplicationPlan {
        var plan = ReplicationPlan()
        let wanted = max(0, factor - 1)
        let live = Dictionary(members.filter(\.isLive).map { ($0.peerID, $0) }, uniquingKeysWith: { first, _ in first })
        func candidate(_ peerID: String) -> Candidate? {
            live[peerID].map { Candidate(peerID: $0.peerID, storageURL: $0.storageURL, certificateSHA256: $0.certificateSHA256) }
        }
        func rank(_ peerID: String) -> [UInt8] { Array(SHA256.hash(data: cid.v1.bytes + Array(peerID.utf8))) }
        func ranked(_ peers: [String]) -> [String] {
            peers.map { ($0, rank($0)) }.sorted { $1.1.lexicographicallyPrecedes($0.1) }.map(\.0)  // highest first
        }

        var holding: [String] = []  // confirmed and not lost
        var lostBack: [String] = []
        var requested: [String] = []
        for row in rows {
            switch row.state {
            case .confirmed:
                if goneFor(row.peerID) >= grace { plan.markLost.append(row.peerID) } else { holding.append(row.peerID) }
            case .lost:
                if live[row.peerID] != nil { lostBack.append(row.peerID) }
            case .requested:
                requested.append(row.peerID)
            case .refused, .released:
                break
            }
        }
        // Surplus: lost nodes that are back go first, then the lowest-ranked holders (live ones:
        // a holder that is down cannot be told now).
        var surplus = max(0, holding.count - wanted)
        if holding.count >= wanted { plan.release += lostBack.compactMap(candidate) }
        if wanted == 0 { plan.release += requested.compactMap(candidate) }
        for peer in ranked(holding).reversed() where surplus > 0 {
            if let release = candidate(peer) {
                plan.release.append(release)
                surplus -= 1
            }
        }
        plan.missing = max(0, wanted - holding.count)
        guard plan.missing > 0 else { return plan }
        let excluded = Set(rows.filter {
            $0.state == .confirmed || $0.state == .lost || $0.state == .requested
                || ($0.state == .refused && now - $0.updatedAt < refusalMemory)
        }.map(\.peerID))
        let fresh = ranked(live.values.filter { $0.status == .alive && $0.peerID != me && !excluded.contains($0.peerID) }.map(\.peerID))
        plan.candidates = (lostBack + ranked(requested) + fresh).compactMap(candidate)
        return plan
    }
}
