import Foundation
import HTTPTypes
import Logging
import NIOCore
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitHTTPClient
import Synchronization

/// Blocks this node lacks, fetched from the nodes that announce them (and then from the
/// configured upstream IPFS gateways), verified against their CID and kept as unpinned blocks
/// (GC removes them unless something pins them).
///
/// How a block is found: the mesh gateway names the providers of the *root* being read
/// (announcements name pinned roots, like Kubo's "pinned" reprovide strategy), so a read
/// carries its root (`DAGReader.fetching(under:)`), as a Bitswap session does, and every block
/// under it is asked of those providers; the block's own CID is looked up when the root's
/// providers do not have it.
///
/// How it is fetched: the trustless-gateway form (`GET /ipfs/{cid}?format=raw`,
/// `application/vnd.ipld.raw`) over HTTP/2 with the provider's certificate pinned from its
/// signed mesh record (`PinnedPeerClient`). One provider is asked first; if it has not answered
/// after `hedgeDelay` the next is asked too (a slow provider is raced, not waited for), and the
/// first verified answer wins. A provider whose bytes do not hash to the CID is reported to the
/// mesh gateway (which lowers its score) and never asked for that CID again. Many blocks are
/// fetched at once (`window`), and committed to the block store in one group.
final class RemoteBlocks: Sendable {
    struct Provider: Sendable, Hashable {
        let peerID: String
        let storageURL: String
        let certificateSHA256: [UInt8]
    }

    /// Where a block came from, for logs and metrics.
    enum Source: Sendable { case peer(String), upstream(String) }

    let gatewayURL: String
    private let gatewayClient: ServiceClient
    private let peerClient: PinnedPeerClient
    private let upstreamGateways: [String]
    private let upstreamClient: ServiceClient?
    /// This node's own storage certificate: its own entry in a provider list is skipped.
    private let ownCertificateSHA256: [UInt8]
    private let blockStore: BlockStore
    private let metadata: MetadataStore
    private let guardian: BlockGuard
    private let logger: Logger
    /// How long a whole fetch of one block may take before the read ends with 504.
    let timeout: Duration
    let hedgeDelay: Duration
    /// Blocks fetched at once by a prefetch.
    let window: Int
    /// Most blocks one DAG fetch may bring (the CAR import limit).
    let dagBlockLimit: Int

    /// Providers per lookup key, briefly (a read asks for the same root many times).
    private let providerCache = Mutex<[CID: (providers: [Provider], at: ContinuousClock.Instant)]>([:])
    /// (peer, CID) pairs that served wrong bytes: never asked again (bounded).
    private let refused = Mutex<Set<String>>([])
    /// One fetch per block at a time; concurrent readers of the same block share it.
    private let inFlight = Mutex<[CID: Task<[UInt8], any Error>]>([:])
    /// The last background store of blocks a read fetched (`prefetchForReading`).
    private let pendingStore = Mutex<Task<Void, Never>?>(nil)

    init(gatewayURL: String, gatewayClient: ServiceClient, peerClient: PinnedPeerClient, upstreamGateways: [String],
         upstreamClient: ServiceClient?, ownCertificateSHA256: [UInt8], blockStore: BlockStore, metadata: MetadataStore,
         guardian: BlockGuard, timeout: Duration, hedgeDelay: Duration = .seconds(1), window: Int = 16, dagBlockLimit: Int,
         logger: Logger) {
        self.gatewayURL = gatewayURL
        self.gatewayClient = gatewayClient
        self.peerClient = peerClient
        self.upstreamGateways = upstreamGateways
        self.upstreamClient = upstreamClient
        self.ownCertificateSHA256 = ownCertificateSHA256
        self.blockStore = blockStore
        self.metadata = metadata
        self.guardian = guardian
        self.timeout = timeout
        self.hedgeDelay = hedgeDelay
        self.window = window
        self.dagBlockLimit = dagBlockLimit
        self.logger = logger
    }

    /// Closes the upstream client; the gateway and peer clients belong to the node.
    func shutdown() async {
        await pendingStore.withLock({ $0 })?.value
        await upstreamClient?.shutdown()
    }

    // MARK: - reads

    /// The block `cid` (under `root`), fetched, verified and stored.
    func fetch(_ cid: CID, root: CID) async throws(StorageError) -> [UInt8] {
        let bytes = try await fetchUnstored([cid], root: root)
        guard let block = bytes[cid.v1] else { throw .notFound("block \(cid) is not stored on this node") }
        try await store(bytes)
        return block
    }

    /// Makes every block of `cids` that is not stored here local (fetching `window` at a time,
    /// one commit for all), so a walk that reads them next finds them on disk.
    func prefetch(_ cids: [CID], root: CID) async throws(StorageError) {
        let missing = try await unstored(cids)
        guard !missing.isEmpty else { return }
        try await store(try await fetchUnstored(missing, root: root))
    }

    /// Fetches every block of `cids` not stored here and returns their (verified) bytes for a
    /// read to send from memory; they are kept in the background, so the read never waits for
    /// the disk. The previous batch's store is awaited first: at most one batch waits for it.
    func prefetchForReading(_ cids: [CID], root: CID) async throws(StorageError) -> [CID: [UInt8]] {
        let missing = try await unstored(cids)
        guard !missing.isEmpty else { return [:] }
        let blocks = try await fetchUnstored(missing, root: root)
        let previous = pendingStore.withLock { $0 }
        await previous?.value
        let task = Task {
            do { try await self.store(blocks) } catch {
                self.logger.warning("fetched blocks could not be kept", metadata: ["blocks": "\(blocks.count)", "error": "\(error)"])
            }
        }
        pendingStore.withLock { $0 = task }
        return blocks
    }

    private func unstored(_ cids: [CID]) async throws(StorageError) -> [CID] {
        let wanted = cids.filter { $0.multihash.code != Multihash.identity }
        guard !wanted.isEmpty else { return [] }
        do {
            let stored = try await metadata.blockSizes(of: wanted)
            return wanted.filter { stored[$0.v1] == nil }
        } catch {
            throw .unavailable("the metadata database failed: \(error)")
        }
    }

    /// Fetches `cids` (window at a time) and returns their verified bytes, unstored.
    private func fetchUnstored(_ cids: [CID], root: CID) async throws(StorageError) -> [CID: [UInt8]] {
        var unique: [CID] = []
        var seen: Set<CID> = []
        for cid in cids where seen.insert(cid.v1).inserted { unique.append(cid.v1) }
        do {
            let results = try await withThrowingTaskGroup(of: (CID, [UInt8]).self) { group in
                var results: [CID: [UInt8]] = [:]
                var next = 0
                while next < unique.count || !group.isEmpty {
                    while next < unique.count, next - results.count < window {
                        let cid = unique[next]
                        next += 1
                        group.addTask { (cid, try await self.shared(cid, root: root)) }
                    }
                    if let (cid, bytes) = try await group.next() { results[cid] = bytes }
                }
                return results
            }
            return results
        } catch let error as StorageError {
            throw error
        } catch {
            throw .internalFailure("fetching blocks failed: \(error)")
        }
    }

    /// One fetch per CID at a time, whoever asks (verified bytes; the asker stores them).
    private func shared(_ cid: CID, root: CID) async throws -> [UInt8] {
        let task = inFlight.withLock { inFlight -> Task<[UInt8], any Error> in
            if let running = inFlight[cid] { return running }
            let task = Task {
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: cid) } }
                let (bytes, source) = try await self.retrieve(cid, root: root)
                RemoteMetrics.fetched(source, bytes: bytes.count)
                return bytes
            }
            inFlight[cid] = task
            return task
        }
        return try await task.value
    }

    /// Keeps fetched blocks, durable and unpinned, in one write session (one pair of group
    /// flushes for the batch; a block a concurrent read stored meanwhile is not written twice).
    private func store(_ blocks: [CID: [UInt8]]) async throws(StorageError) {
        guard !blocks.isEmpty else { return }
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian)
        do {
            for (cid, bytes) in blocks { try await session.add(Block(cid: cid, bytes: bytes)) }
            try await session.commit(metadata: metadata) { _ in }
        } catch {
            await session.abort()
            throw (error as? StorageError) ?? .internalFailure("keeping fetched blocks failed: \(error)")
        }
    }

    // MARK: - whole DAGs

    /// Makes the whole DAG under `root` local from one provider's CAR
    /// (`GET /ipfs/{root}?format=car&dag-scope=all`, the trustless-gateway form, streamed):
    /// one request instead of one per block. The CAR reader checks every block against its
    /// CID, and every block must be one that the blocks before it link to (the root first), so
    /// a provider cannot slip in anything else. Blocks are committed as they arrive.
    ///
    /// Returns whether a provider delivered the whole DAG. What arrived before a failure stays
    /// (verified and unpinned), and the caller's block-by-block walk fetches the rest.
    func fetchDAG(_ root: CID) async -> Bool {
        guard let providers = try? await providers(of: root) else { return false }
        for provider in providers.shuffled() where !hasRefused(provider, root) {
            if await dagFromPeer(root, provider: provider) { return true }
        }
        return false
    }

    private enum DAGFailure: Error {
        case unexpectedBlock(CID)
        case incomplete(Int)
        case status(Int)
    }

    private func dagFromPeer(_ root: CID, provider: Provider) async -> Bool {
        let limit = dagBlockLimit
        do {
            let blocks = try await blockStore.executors.compute.run { () async throws -> Int in
                try await peerClient.stream(
                    .get, "/ipfs/\(root.string)?format=car&dag-scope=all", to: provider.storageURL,
                    certificateSHA256: provider.certificateSHA256,
                    headers: [.accept: "application/vnd.ipld.car; version=1; order=dfs; dups=n", .cacheControl: "only-if-cached"],
                    idleTimeout: timeout
                ) { head, body in
                    guard head.status == .ok else { throw DAGFailure.status(head.status.code) }
                    return try await self.storeCAR(root, body: &body, blockLimit: limit)
                }
            }
            logger.debug("fetched a DAG from a peer's CAR", metadata: ["root": "\(root)", "peer": "\(provider.peerID)", "blocks": "\(blocks)"])
            RemoteMetrics.dagsComplete.increment()
            return true
        } catch let failure as DAGFailure {
            RemoteMetrics.dagsRefused.increment()
            switch failure {
            case .unexpectedBlock(let cid):
                refuse(provider, root, kind: .corrupt, reason: "its CAR of \(root) holds \(cid), which nothing before it links to")
            case .incomplete(let missing):
                refuse(provider, root, kind: .missing, reason: "its CAR of \(root) ends with \(missing) linked block(s) not sent")
            case .status(let code) where code == 412 || code == 404:
                refuse(provider, root, kind: .missing, reason: "answered \(code) for a CAR of a root it announces")
            case .status:
                break
            }
        } catch let error as CoreError {
            // The CAR reader refuses a block whose bytes do not hash to its CID.
            RemoteMetrics.dagsRefused.increment()
            refuse(provider, root, kind: .corrupt, reason: "its CAR of \(root) is refused: \(error.message)")
        } catch {
            RemoteMetrics.dagsFailed.increment()
            logger.debug("a peer's CAR fetch failed", metadata: ["root": "\(root)", "peer": "\(provider.peerID)", "error": "\(error)"])
        }
        return false
    }

    /// Reads a CAR of `root`'s DAG, keeping each block the DAG reaches; throws unless every
    /// block linked from the root arrived. Returns the number of blocks kept.
    private func storeCAR(_ root: CID, body: inout PinnedPeerClient.BodyParts, blockLimit: Int) async throws -> Int {
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian)
        do {
            var reader = CARReader(maxSectionSize: Self.maximumBlockSize + 1_024)
            // Linked, not yet received: DFS order keeps this to the walk's frontier.
            var expected: Set<CID> = [root.v1]
            while let buffer = try await body.next() {
                for event in try reader.push(Array(buffer.readableBytesView)) {
                    guard case .block(let block) = event else { continue }
                    let cid = block.cid.v1
                    guard expected.remove(cid) != nil else {
                        if session.seen.contains(cid) { continue }
                        throw DAGFailure.unexpectedBlock(block.cid)
                    }
                    guard session.blockCount < blockLimit else {
                        throw StorageError.tooLarge("the DAG under \(root) has more than \(blockLimit) blocks")
                    }
                    RemoteMetrics.blocksFromPeerCARs.increment()
                    RemoteMetrics.bytesFetched.increment(by: Int64(block.bytes.count))
                    let linksBefore = session.links.count
                    try await session.add(block)
                    for (_, child) in session.links[linksBefore...] where child.multihash.code != Multihash.identity && !session.seen.contains(child.v1) {
                        expected.insert(child.v1)
                    }
                    if session.uncommittedRows >= 4_096 { try await session.commitRows(metadata: metadata) }
                }
            }
            try reader.finish()
            guard expected.isEmpty else { throw DAGFailure.incomplete(expected.count) }
            try await session.commit(metadata: metadata) { _ in }
            return session.blockCount
        } catch {
            // Blocks already committed are verified and stay (unpinned); the rest is dropped.
            if session.uncommittedRows > 0 { try? await session.commitRows(metadata: metadata) }
            await session.abort()
            throw error
        }
    }

    // MARK: - one block

    private enum Attempt: Sendable {
        case delivered([UInt8], Source)
        case failed
        case hedge
    }

    /// Asks providers (hedged) and then upstream gateways for `cid`, within `timeout`.
    private func retrieve(_ cid: CID, root: CID) async throws -> ([UInt8], Source) {
        do {
            return try await withDeadline(timeout) { () async throws -> ([UInt8], Source) in
                // A node that restarted on other addresses, or one just dead, can stand in a
                // list kept a few seconds: when nobody on it delivers, ask the gateway afresh.
                var providers: [Provider] = []
                for fresh in [false, true] {
                    var found = try await self.providers(of: root, fresh: fresh)
                    if cid.v1 != root.v1 {
                        let own = try await self.providers(of: cid, fresh: fresh)
                        found += own.filter { !found.contains($0) }
                    }
                    let untried = found.filter { !self.hasRefused($0, cid) && !providers.contains($0) }.shuffled()
                    providers += untried
                    if let delivered = try await self.race(cid, providers: untried) { return delivered }
                }
                for upstream in self.upstreamGateways {
                    if let bytes = await self.fromUpstream(cid, gateway: upstream) { return (bytes, .upstream(upstream)) }
                }
                if providers.isEmpty && self.upstreamGateways.isEmpty {
                    throw StorageError.notFound("block \(cid) is not stored on this node and no live peer announces \(root)")
                }
                throw StorageError.notFound(
                    "block \(cid) is not stored on this node, and none of \(providers.count) peer(s)"
                        + (self.upstreamGateways.isEmpty ? "" : " or \(self.upstreamGateways.count) upstream gateway(s)") + " served it")
            }
        } catch is DeadlineExceeded {
            RemoteMetrics.timedOut.increment()
            throw StorageError.fetchTimeout("block \(cid) could not be fetched from the network within \(timeout)")
        }
    }

    /// The first provider to deliver verified bytes; the next one starts when the current
    /// ones failed or `hedgeDelay` passed without an answer.
    private func race(_ cid: CID, providers: [Provider]) async throws -> ([UInt8], Source)? {
        guard !providers.isEmpty else { return nil }
        return try await withThrowingTaskGroup(of: Attempt.self) { group in
            var next = 0
            var running = 0
            func launch() {
                let provider = providers[next]
                next += 1
                running += 1
                group.addTask { await self.fromPeer(cid, provider: provider) }
                if next < providers.count {
                    group.addTask {
                        try await Task.sleep(for: self.hedgeDelay)
                        return .hedge
                    }
                }
            }
            launch()
            while let attempt = try await group.next() {
                switch attempt {
                case .delivered(let bytes, let source):
                    group.cancelAll()
                    return (bytes, source)
                case .failed:
                    running -= 1
                    if next < providers.count { launch() } else if running == 0 { group.cancelAll(); return nil }
                case .hedge:
                    if next < providers.count { launch() }
                }
            }
            return nil
        }
    }

    private func fromPeer(_ cid: CID, provider: Provider) async -> Attempt {
        var answer: PinnedPeerClient.Response
        do {
            answer = try await rawBlock(cid, from: provider)
            // A private peer that has not yet seen this node's record answers 401; seeing our
            // certificate makes it refresh its records, so one more try a moment later.
            if answer.status == .unauthorized {
                try await Task.sleep(for: .milliseconds(300))
                answer = try await rawBlock(cid, from: provider)
            }
        } catch {
            if (error as? ServiceCallError)?.kind != .cancelled, !(error is CancellationError) {
                logger.debug("peer fetch failed", metadata: ["cid": "\(cid)", "peer": "\(provider.peerID)", "error": "\(error)"])
            }
            return .failed
        }
        // 412 (not cached) or 404: the peer announces a root it does not wholly hold.
        if answer.status == .preconditionFailed || answer.status == .notFound {
            refuse(provider, cid, kind: .missing, reason: "answered \(answer.status.code) for a block under a root it announces")
            return .failed
        }
        guard answer.status == .ok else { return .failed }
        let bytes = answer.body
        guard await blockStore.executors.compute.run({ cid.verifies(bytes) }) else {
            refuse(provider, cid, kind: .corrupt, reason: "served \(bytes.count) bytes that do not hash to the CID")
            return .failed
        }
        return .delivered(bytes, .peer(provider.peerID))
    }

    private func rawBlock(_ cid: CID, from provider: Provider) async throws(ServiceCallError) -> PinnedPeerClient.Response {
        try await peerClient.send(.get, "/ipfs/\(cid.string)?format=raw", to: provider.storageURL,
                                  certificateSHA256: provider.certificateSHA256,
                                  // Only what the peer holds: a peer that lacks the block must say
                                  // so (412), not go looking for it in turn.
                                  headers: [.accept: "application/vnd.ipld.raw", .cacheControl: "only-if-cached"],
                                  maximumBodyBytes: Self.maximumBlockSize, timeout: timeout)
    }

    private func fromUpstream(_ cid: CID, gateway: String) async -> [UInt8]? {
        guard let upstreamClient else { return nil }
        let request = ServiceRequest(.GET, "/ipfs/\(cid.string)?format=raw", headers: ["Accept": "application/vnd.ipld.raw"],
                                     idempotent: true, timeout: timeout, responseLimit: Self.maximumBlockSize)
        guard let answer = try? await upstreamClient.send(request, to: gateway) else { return nil }
        let bytes = answer.bytes
        guard await blockStore.executors.compute.run({ cid.verifies(bytes) }) else {
            logger.warning("an upstream gateway served bytes that do not hash to the CID", metadata: ["gateway": "\(gateway)", "cid": "\(cid)"])
            return nil
        }
        return bytes
    }

    /// Largest block accepted from the network (Bitswap's and our PUT limit).
    static let maximumBlockSize = 2 << 20

    // MARK: - wrong bytes

    private func key(_ provider: Provider, _ cid: CID) -> String { "\(provider.peerID) \(cid.v1.string)" }

    private func hasRefused(_ provider: Provider, _ cid: CID) -> Bool {
        refused.withLock { $0.contains(key(provider, cid)) }
    }

    private func refuse(_ provider: Provider, _ cid: CID, kind: ProviderReport.Kind, reason: String) {
        if kind == .corrupt { RemoteMetrics.badBlocks.increment() } else { RemoteMetrics.missingBlocks.increment() }
        refused.withLock { refused in
            if refused.count >= 100_000 { refused.removeAll() }
            refused.insert(key(provider, cid))
        }
        logger.warning(kind == .corrupt ? "a peer served a block that fails verification; reporting it to the mesh"
                                        : "a peer does not hold a block under a root it announces; reporting it to the mesh",
                       metadata: ["peer": "\(provider.peerID)", "cid": "\(cid)", "reason": "\(reason)"])
        // The report goes on its own: the fetch moves to the next provider without waiting.
        Task { await self.report(provider, cid, kind: kind, reason: reason) }
    }

    private func report(_ provider: Provider, _ cid: CID, kind: ProviderReport.Kind, reason: String) async {
        do {
            let body = try JSONEncoder().encode(ProviderReport(peerID: provider.peerID, cid: cid.string, kind: kind, reason: reason))
            let request = ServiceRequest(.POST, "/internal/v1/providers/report", headers: ["Content-Type": "application/json"],
                                         body: .bytes(ByteBuffer(bytes: body)), idempotent: true, timeout: .seconds(10))
            _ = try await gatewayClient.call(request, to: gatewayURL, as: ProviderReportResponse.self)
        } catch {
            logger.warning("the mesh gateway did not take the report", metadata: ["peer": "\(provider.peerID)", "error": "\(error)"])
        }
    }

    // MARK: - providers

    /// Live providers of `cid` other than this node, from the mesh gateway (cached 5 s unless
    /// `fresh`).
    func providers(of cid: CID, fresh: Bool = false) async throws -> [Provider] {
        let now = ContinuousClock.now
        if !fresh, let cached = providerCache.withLock({ $0[cid.v1] }), now - cached.at < .seconds(5) { return cached.providers }
        let answer: ProvidersResponse
        do {
            answer = try await gatewayClient.call(ServiceRequest(.GET, "/v1/providers/\(cid.string)", idempotent: true, timeout: .seconds(10)),
                                                 to: gatewayURL, as: ProvidersResponse.self)
        } catch {
            throw StorageError.unavailable("the mesh gateway did not name providers of \(cid): \(error.message)")
        }
        let providers = answer.providers.compactMap { peer -> Provider? in
            guard peer.status == .alive || peer.status == .suspect,
                  let fingerprint = Hex.decode(peer.storageCertificateSHA256), fingerprint.count == 32,
                  fingerprint != ownCertificateSHA256 else { return nil }
            return Provider(peerID: peer.peerID, storageURL: peer.storageURL, certificateSHA256: fingerprint)
        }
        providerCache.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll() }
            cache[cid.v1] = (providers, now)
        }
        return providers
    }
}
