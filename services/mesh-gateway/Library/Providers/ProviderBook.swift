import Crypto
import Foundation
import Logging
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPClient

/// This node's side of "who has what": signs its own announcements (storage tells it what it
/// holds), accepts other origins' announcements, publishes its own to every live member
/// (flood publishing, as gossipsub does for an origin's own messages), and repairs what it
/// missed with a digest exchange against a random member every state-exchange interval.
///
/// Only members may announce: an announcement from an origin this gateway does not know as a
/// member is refused, so the index cannot be filled by strangers; a provider is answered only
/// while its node is alive or suspect.
actor ProviderBook {
    let index: ProviderIndex
    private let key: Curve25519.Signing.PrivateKey
    let me: PeerID
    private let runner: MembershipRunner
    private let client: ServiceClient
    private let logger: Logger

    /// Announcements refused: bad signature, unknown origin, malformed.
    private(set) var rejected = 0

    init(index: ProviderIndex, key: Curve25519.Signing.PrivateKey, me: PeerID, runner: MembershipRunner, client: ServiceClient, logger: Logger) {
        self.index = index
        self.key = key
        self.me = me
        self.runner = runner
        self.client = client
        self.logger = logger
    }

    static var nowMilliseconds: UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }

    // MARK: this node's own log

    /// Signs `added`/`removed` into announcements of at most 1,000 CIDs, stores them and
    /// publishes them to every live member. What the log already says is left out (storage
    /// re-announces every pinned root at each start), so a repeat costs no announcement.
    /// Returns how many were made and the last sequence.
    func provide(added: [CID], removed: [CID]) async throws -> ProvideResponse {
        let word = try await index.latestWord(of: me, on: added + removed)
        var entries = Array(Set(added.map(\.v1)).filter { word[$0] != true }.map { ($0, true) })
            + Array(Set(removed.map(\.v1)).filter { word[$0] == true }.map { ($0, false) })
        var count = 0
        var last: UInt64 = 0
        while !entries.isEmpty {
            let chunk = entries.prefix(ProviderAnnouncement.maximumCIDs)
            entries.removeFirst(chunk.count)
            let sequence = try await index.nextSequence(of: me)
            let announcement = try ProviderAnnouncement(origin: key, sequence: sequence, issuedAt: Self.nowMilliseconds,
                                                        added: chunk.filter(\.1).map(\.0), removed: chunk.filter { !$0.1 }.map(\.0))
            try await index.apply(announcement, now: Self.nowMilliseconds)
            publish(announcement)
            count += 1
            last = sequence
        }
        return ProvideResponse(announcements: count, lastSequence: last)
    }

    private func publish(_ announcement: ProviderAnnouncement) {
        let bytes = announcement.encoded
        Task { [runner, client, logger] in
            for member in await runner.liveMembers() {
                let request = ServiceRequest(.POST, "/v1/mesh/providers", headers: ["Content-Type": "application/octet-stream"],
                                             body: .bytes(ByteBuffer(bytes: bytes)), idempotent: true, timeout: .seconds(5),
                                             retry: RetryPolicy(maximumAttempts: 2), responseLimit: 1 << 16)
                do {
                    _ = try await client.send(request, to: member.gatewayURL)
                } catch {
                    // The digest exchange repairs what a member missed.
                    logger.debug("announcement not delivered", metadata: ["peer": "\(member.peer)", "error": "\(error)"])
                }
            }
        }
    }

    // MARK: other origins

    /// Accepts one announcement: refused (and counted) when malformed, from a non-member or
    /// badly signed; ignored when already held. True when it was new.
    @discardableResult
    func accept(_ announcement: ProviderAnnouncement) async throws -> Bool {
        guard announcement.origin != me else { return false }
        guard await runner.isKnownMember(announcement.origin) else {
            rejected += 1
            throw MeshWireError("announcement from \(announcement.origin), which is not a member of this mesh")
        }
        // Dedup before the signature check: a repeat costs a lookup, not a verification.
        if try await index.has(origin: announcement.origin, sequence: announcement.sequence) { return false }
        guard announcement.isAuthentic else {
            rejected += 1
            throw MeshWireError("announcement \(announcement.origin)/\(announcement.sequence) has a bad signature")
        }
        return try await index.apply(announcement, now: Self.nowMilliseconds)
    }

    /// The answer to a digest: every held announcement newer than what the asker has, per
    /// origin, at most `limit` in all.
    func answer(_ digest: ProviderDigest, limit: Int = 2_000) async throws -> [UInt8] {
        var out: [UInt8] = []
        var remaining = limit
        for (origin, through) in try await index.digest().sorted(by: { $0.key < $1.key }) where remaining > 0 {
            let theirs = digest.have[origin.string] ?? 0
            guard through > theirs else { continue }
            let announcements = try await index.announcements(of: origin, after: theirs, limit: remaining)
            remaining -= announcements.count
            for announcement in announcements { out += announcement }
        }
        return out
    }

    /// Asks the gateway at `url` for what this node is missing and accepts it.
    func repair(from url: String) async {
        do {
            let digest = ProviderDigest(have: Dictionary(uniqueKeysWithValues: try await index.digest().map { ($0.key.string, $0.value) }))
            let body = try JSONEncoder().encode(digest)
            let request = ServiceRequest(.POST, "/v1/mesh/providers/digest", headers: ["Content-Type": "application/json"],
                                         body: .bytes(ByteBuffer(bytes: body)), idempotent: true, timeout: .seconds(20),
                                         retry: RetryPolicy(maximumAttempts: 2), responseLimit: 64 << 20)
            let answer = try await client.send(request, to: url).bytes
            var accepted = 0
            for announcement in try ProviderAnnouncement.decodeAll(answer) {
                if (try? await accept(announcement)) == true { accepted += 1 }
            }
            if accepted > 0 { logger.debug("provider announcements repaired", metadata: ["from": "\(url)", "count": "\(accepted)"]) }
        } catch {
            logger.debug("provider digest exchange failed", metadata: ["with": "\(url)", "error": "\(error)"])
        }
    }

    // MARK: queries

    /// The live members (and this node) that say they hold `cid`, as records.
    func providers(of cid: CID) async throws -> [(record: PeerRecord, status: MemberStatus)] {
        let origins = try await index.providers(of: cid)
        var result: [(PeerRecord, MemberStatus)] = []
        for origin in origins {
            if origin == me {
                result.append((await runner.ownRecord(), .alive))
            } else if let member = await runner.member(origin), member.status == .alive || member.status == .suspect {
                result.append((member.record, member.status))
            }
        }
        return result
    }
}
