import Foundation
import Logging
import NIOCore
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitHTTPClient
import ServiceLifecycle
import Synchronization

/// Tells this node's mesh gateway which roots the node holds, so other nodes can find them
/// (`POST /internal/v1/provide`, mutual TLS with storage's certificate).
///
/// What is announced: pinned roots (Kubo's "pinned" reprovide strategy): a pin or a pinned
/// upload or CAR import adds its roots; GC removes what it deleted. Changes are batched (one
/// call per second at most, up to 10,000 CIDs), kept while the gateway is unreachable and
/// retried with back-off; at start every pinned root is announced again, so nothing the node
/// holds stays unannounced after a crash or a gateway outage.
final class ProviderAnnouncer: Service, Sendable {
    private struct Pending {
        var added: [String: CID] = [:]
        var removed: [String: CID] = [:]
        var count: Int { added.count + removed.count }
    }

    let gatewayURL: String
    private let client: ServiceClient
    private let pinnedRoots: @Sendable () async throws -> [CID]
    private let logger: Logger
    private let pending = Mutex(Pending())
    private let wake = WakeSignal()
    /// Kept while the gateway is unreachable; beyond this the oldest changes are dropped (the
    /// next start re-announces every pinned root).
    static let maximumPending = 1_000_000

    init(gatewayURL: String, client: ServiceClient, pinnedRoots: @escaping @Sendable () async throws -> [CID], logger: Logger) {
        self.gatewayURL = gatewayURL
        self.client = client
        self.pinnedRoots = pinnedRoots
        self.logger = logger
    }

    func added(_ cids: [CID]) { change(cids, added: true) }
    func removed(_ cids: [CID]) { change(cids, added: false) }

    private func change(_ cids: [CID], added: Bool) {
        guard !cids.isEmpty else { return }
        pending.withLock { pending in
            for cid in cids {
                let key = cid.v1.string
                if added {
                    pending.removed[key] = nil
                    pending.added[key] = cid
                } else {
                    pending.added[key] = nil
                    pending.removed[key] = cid
                }
            }
            if pending.count > Self.maximumPending {
                logger.warning("too many provider changes waiting for the mesh gateway; dropping the oldest (a restart re-announces every pin)")
                pending = Pending()
            }
        }
        wake.signal()
    }

    func run() async throws {
        do {
            added(try await pinnedRoots())
        } catch {
            logger.warning("cannot list pinned roots to announce", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                await self.wake.wait(timeout: .seconds(30))
                if await self.flush() {
                    delay = .seconds(1)
                    try? await Task.sleep(for: .seconds(1))  // batch what arrives meanwhile
                } else {
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                }
            }
        }
    }

    /// Sends what is pending (up to 10,000 CIDs); false when the gateway did not take it.
    private func flush() async -> Bool {
        let batch = pending.withLock { pending -> (added: [CID], removed: [CID]) in
            let added = Array(pending.added.prefix(10_000))
            let removed = Array(pending.removed.prefix(10_000 - added.count))
            for (key, _) in added { pending.added[key] = nil }
            for (key, _) in removed { pending.removed[key] = nil }
            return (added.map(\.value), removed.map(\.value))
        }
        guard !batch.added.isEmpty || !batch.removed.isEmpty else { return true }
        do {
            let body = try JSONEncoder().encode(ProvideRequest(added: batch.added.map(\.string), removed: batch.removed.map(\.string)))
            let request = ServiceRequest(.POST, "/internal/v1/provide", headers: ["Content-Type": "application/json"],
                                         body: .bytes(ByteBuffer(bytes: body)), idempotent: true, timeout: .seconds(30))
            _ = try await client.call(request, to: gatewayURL, as: ProvideResponse.self)
            if pending.withLock({ $0.count }) > 0 { wake.signal() }
            return true
        } catch {
            // Put them back, unless something newer about the same CID arrived meanwhile.
            pending.withLock { pending in
                for cid in batch.added where pending.removed[cid.v1.string] == nil { pending.added[cid.v1.string] = cid }
                for cid in batch.removed where pending.added[cid.v1.string] == nil { pending.removed[cid.v1.string] = cid }
            }
            logger.info("mesh gateway did not take the provider announcements; retrying", metadata: ["error": "\(error)"])
            return false
        }
    }
}
