import Foundation
import Logging
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer
import ServiceLifecycle
import Synchronization

/// This node's view of the mesh, read from its gateway's `GET /v1/peers` every `interval`: the
/// members (to choose replica nodes and notice deaths) and the storage certificates their signed
/// records name, which become `PinnedPeers` (the other nodes' certificates this node's server
/// accepts). While the gateway cannot be asked, the last view stands and nobody is declared
/// dead for it.
final class MeshView: Service, Sendable {
    struct Member: Sendable, Equatable {
        let peerID: String
        let storageURL: String
        let certificateSHA256: [UInt8]
        let status: MeshPeer.Status

        var isLive: Bool { status == .alive || status == .suspect }
    }

    private struct State {
        var members: [String: Member] = [:]
        var me: String?
        /// When each peer was first seen dead, left or missing from the list.
        var goneSince: [String: ContinuousClock.Instant] = [:]
        var refreshed = false
    }

    let gatewayURL: String
    private let client: ServiceClient
    let pinnedPeers: PinnedPeers
    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())
    /// Signalled after every refresh that changed a member's status.
    let changed = WakeSignal()

    init(gatewayURL: String, client: ServiceClient, pinnedPeers: PinnedPeers, interval: Duration = .seconds(2), logger: Logger) {
        self.gatewayURL = gatewayURL
        self.client = client
        self.pinnedPeers = pinnedPeers
        self.interval = interval
        self.logger = logger
    }

    private let refreshNow = WakeSignal()

    func run() async throws {
        pinnedPeers.onUnknownCertificate { [refreshNow] in refreshNow.signal() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
                await self.refreshNow.wait(timeout: self.interval)
            }
        }
    }

    /// Asks the gateway once; false when it did not answer.
    @discardableResult
    func refresh() async -> Bool {
        let answer: MeshPeersResponse
        do {
            answer = try await client.call(ServiceRequest(.GET, "/v1/peers", idempotent: true, timeout: .seconds(5)),
                                           to: gatewayURL, as: MeshPeersResponse.self)
        } catch {
            logger.debug("the mesh gateway did not list its peers", metadata: ["error": "\(error)"])
            return false
        }
        var members: [String: Member] = [:]
        var pinned: [[UInt8]: String] = [:]
        for peer in answer.peers {
            guard let fingerprint = Hex.decode(peer.storageCertificateSHA256), fingerprint.count == 32 else { continue }
            members[peer.peerID] = Member(peerID: peer.peerID, storageURL: peer.storageURL, certificateSHA256: fingerprint, status: peer.status)
            if peer.status != .left { pinned[fingerprint] = peer.peerID }
        }
        pinnedPeers.replace(with: pinned)
        let now = ContinuousClock.now
        let changed = state.withLock { state -> Bool in
            let before = state.members.mapValues(\.status)
            state.members = members
            state.me = answer.node.peerID
            state.refreshed = true
            for (peer, member) in members {
                if member.isLive { state.goneSince[peer] = nil } else if state.goneSince[peer] == nil { state.goneSince[peer] = now }
            }
            for peer in state.goneSince.keys where members[peer] == nil && state.goneSince.count > 10_000 {
                state.goneSince[peer] = nil  // bounded: forget long-gone strangers first
            }
            return before != members.mapValues(\.status)
        }
        if changed { self.changed.signal() }
        return true
    }

    /// This node's own peer ID (nil before the first answer).
    var me: String? { state.withLock { $0.me } }
    var hasView: Bool { state.withLock { $0.refreshed } }
    var members: [Member] { state.withLock { Array($0.members.values) } }

    func member(_ peerID: String) -> Member? { state.withLock { $0.members[peerID] } }

    /// How long `peerID` has been dead, left or missing (zero while it is live). A peer this
    /// view has never listed counts from the first time it is asked about.
    func goneFor(_ peerID: String) -> Duration {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let member = state.members[peerID], member.isLive { return .zero }
            guard state.refreshed else { return .zero }
            if let since = state.goneSince[peerID] { return now - since }
            state.goneSince[peerID] = now
            return .zero
        }
    }
}
