import Crypto
import Foundation
import Logging
import NIOCore
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitJobs
import PakitSQL
import ServiceLifecycle

/// Keeps every pin's replicas at its factor (origin side).
///
/// A loop looks at each pin with a factor above 1 (and at replicas whose pin is gone) whenever
/// the mesh view changes, a pin changes, or every few seconds, and computes its
/// `ReplicationPlan`. When the plan has work and no job is working on that pin, it queues a
/// durable `storage.replicate` job (the kit's job queue; the key names the pin's round, so one
/// round is queued once). The job does the network work: it asks the chosen nodes to hold the
/// DAG (`POST /peer/v1/replicas` over mutual TLS pinned from their records), records each
/// signed statement, marks lost replicas and releases surplus ones. A crash of this node
/// mid-job leaves the job to be resumed (the kit re-queues it at start); a replica pins once
/// however often it is asked.
final class Replicator: Service, Sendable {
    static let jobKind = "storage.replicate"

    let store: ReplicaStore
    let view: MeshView
    let queue: JobQueue
    private let peers: PinnedPeerClient
    let grace: Duration
    private let logger: Logger
    private let wake = WakeSignal()

    init(store: ReplicaStore, view: MeshView, queue: JobQueue, peers: PinnedPeerClient, grace: Duration, logger: Logger) {
        self.store = store
        self.view = view
        self.queue = queue
        self.peers = peers
        self.grace = grace
        self.logger = logger
    }

    /// A pin or its factor changed: look now.
    func pinsChanged() { wake.signal() }

    var handler: JobHandler {
        JobHandler(kind: Self.jobKind) { context in try await self.work(context) }
    }

    // MARK: - the loop

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // Look again when a replica's grace runs out, so repair starts then, not at the
                // next round of the loop.
                let wait = min(.seconds(5), (await self.checkAll()).map { $0 + .milliseconds(100) } ?? .seconds(5))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.wake.wait(timeout: wait) }
                    group.addTask { await self.view.changed.wait(timeout: wait) }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// Queues the work plans call for; returns how long until the next replica's grace ends.
    private func checkAll() async -> Duration? {
        guard view.hasView else { return nil }
        var soonest: Duration?
        do {
            for cid in try await store.cidsToWatch() {
                let rows = try await store.rows(of: cid)
                for row in rows where row.state == .confirmed {
                    let gone = view.goneFor(row.peerID)
                    if gone > .zero, gone < grace { soonest = min(soonest ?? grace, grace - gone) }
                }
                let plan = try await self.plan(for: cid, rows: rows)
                guard !plan.isSettled else { continue }
                try await ensureJob(for: cid)
            }
        } catch {
            logger.warning("replication check failed", metadata: ["error": "\(error)"])
        }
        return soonest
    }

    func plan(for cid: CID, rows known: [ReplicationPlan.Row]? = nil) async throws -> ReplicationPlan {
        let factor = try await store.factor(of: cid) ?? 0
        var rows = known ?? []
        if known == nil { rows = try await store.rows(of: cid) }
        return ReplicationPlan.make(cid: cid, factor: factor, rows: rows, members: view.members, me: view.me, grace: grace,
                                    goneFor: { self.view.goneFor($0) }, now: ReplicaStore.now())
    }

    /// Queues the next round's job unless one is still queued or running.
    private func ensureJob(for cid: CID) async throws {
        if let (_, job) = try await store.roundJob(of: cid), let job, let existing = try await queue.get(job),
           existing.state == .queued || existing.state == .running {
            return
        }
        let payload = String(decoding: try JSONEncoder().encode(["cid": cid.string]), as: UTF8.self)
        let queue = self.queue
        try await store.database.transaction { tx in
            let round = try await ReplicaStore.nextRound(cid, in: tx)
            let (job, _) = try await queue.enqueue(
                JobRequest(kind: Self.jobKind, payload: payload, idempotencyKey: "replicate:\(cid.v1.string):\(round)", maxAttempts: 20), on: tx)
            try await ReplicaStore.setRoundJob(cid, job: job.id, in: tx)
        }
        queue.wakeWorkers()
    }

    // MARK: - the job

    private func work(_ context: JobContext) async throws -> String? {
        guard let payload = try? JSONDecoder().decode([String: String].self, from: Data(context.job.payload.utf8)),
              let text = payload["cid"], let cid = try? CID(text) else {
            throw JobFailure.permanent("the payload does not name a CID")
        }
        if !view.hasView, !(await view.refresh()) { throw JobFailure.retry("the mesh gateway has not listed its peers yet") }
        let plan = try await self.plan(for: cid)
        var failures: [String] = []
        for peer in plan.markLost {
            try await store.setState(cid, peer: peer, storageURL: view.member(peer)?.storageURL ?? "", state: .lost,
                                     reason: "its node was dead or missing for \(grace)")
            logger.notice("replica lost", metadata: ["cid": "\(cid)", "peer": "\(peer)"])
        }
        for peer in plan.release {
            do {
                try await release(cid, at: peer)
                try await store.setState(cid, peer: peer.peerID, storageURL: peer.storageURL, state: .released, reason: "surplus")
            } catch {
                failures.append("release at \(peer.peerID): \(error)")
            }
        }
        var confirmed = 0
        let bytes = try? await Self.dagBytes(cid, in: store.database)
        for candidate in plan.candidates where confirmed < plan.missing {
            try await store.setState(cid, peer: candidate.peerID, storageURL: candidate.storageURL, state: .requested)
            do {
                switch try await request(cid, bytes: bytes, from: candidate) {
                case .confirmed(let statement):
                    try await store.setState(cid, peer: candidate.peerID, storageURL: candidate.storageURL, state: .confirmed,
                                             statement: statement)
                    confirmed += 1
                    logger.notice("replica confirmed", metadata: ["cid": "\(cid)", "peer": "\(candidate.peerID)"])
                case .refused(let reason):
                    try await store.setState(cid, peer: candidate.peerID, storageURL: candidate.storageURL, state: .refused, reason: reason)
                }
            } catch {
                failures.append("\(candidate.peerID): \(error)")
            }
            try? await context.saveProgress("{\"confirmed\":\(confirmed)}")
        }
        if !failures.isEmpty { throw JobFailure.retry(failures.joined(separator: "; ").prefix(1_000).description) }
        let settled = try await self.plan(for: cid)
        return "{\"confirmed\":\(confirmed),\"missing\":\(settled.missing)}"
    }

    private enum Answer {
        case confirmed(ReplicaStatement)
        case refused(String)
    }

    /// Asks `candidate` to hold the DAG; its statement must be signed by the key its peer ID
    /// names and speak of this CID.
    private func request(_ cid: CID, bytes: UInt64?, from candidate: ReplicationPlan.Candidate) async throws -> Answer {
        let body = try JSONEncoder().encode(ReplicaRequest(cid: cid.string, bytes: bytes))
        let answer = try await peers.send(.post, "/peer/v1/replicas", to: candidate.storageURL, certificateSHA256: candidate.certificateSHA256,
                                          headers: [.contentType: "application/json"], body: Array(body),
                                          maximumBodyBytes: 64 << 10, timeout: .seconds(1_800))
        switch answer.status.code {
        case 200:
            let statement = try JSONDecoder().decode(ReplicaStatement.self, from: Data(answer.body))
            guard statement.peerID == candidate.peerID, (try? CID(statement.cid))?.v1 == cid.v1,
                  let signature = Hex.decode(statement.signature), let peer = try? PeerID(statement.peerID),
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: peer.publicKey),
                  key.isValidSignature(signature, for: statement.signedMessage) else {
                throw ReplicationError("\(candidate.peerID) answered with a statement that does not verify")
            }
            return .confirmed(statement)
        case 403, 507:
            let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(answer.body))
            return .refused(envelope?.error.message ?? "refused (\(answer.status.code))")
        default:
            let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(answer.body))
            throw ReplicationError("\(candidate.peerID) answered \(answer.status.code): \(envelope?.error.message ?? "")")
        }
    }

    private func release(_ cid: CID, at peer: ReplicationPlan.Candidate) async throws {
        let answer = try await peers.send(.delete, "/peer/v1/replicas/\(cid.string)", to: peer.storageURL,
                                          certificateSHA256: peer.certificateSHA256, maximumBodyBytes: 64 << 10, timeout: .seconds(60))
        guard answer.status == .noContent || answer.status == .notFound else {
            throw ReplicationError("\(peer.peerID) answered \(answer.status.code) to a release")
        }
    }

    /// The DAG's block bytes as stored here (for the replica's quota check); nil if unknown.
    static func dagBytes(_ cid: CID, in database: any SQLDatabase) async throws -> UInt64? {
        let root = database.dialect == .postgres ? "$1::bytea" : "$1"
        let rows = try await database.read(
            """
            WITH RECURSIVE dag(cid) AS (SELECT \(root) UNION SELECT l.child FROM links l JOIN dag d ON l.parent = d.cid)
            SELECT COALESCE(SUM(b.size), 0) AS total FROM blocks b JOIN dag d ON b.cid = d.cid
            """, [.blob(cid.v1.bytes)])
        return rows.first.flatMap { try? $0.int("total") }.map { UInt64(max(0, $0)) }
    }
}

/// A replication step that did not work (retried by the job).
struct ReplicationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
