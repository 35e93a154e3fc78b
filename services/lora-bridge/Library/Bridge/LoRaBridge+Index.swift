import PakitContracts
import PakitCore
import PakitMeshtastic

/// Index announcements: what this node pins, broadcast as small deltas (≤ 48 bytes) with a digest
/// of the whole index; peers that find their copy out of step ask for a snapshot
/// (docs/lora-bridge.md, "Index").
extension LoRaBridge {
    /// A snapshot goes out at most once a minute (device time), whoever asks: one broadcast
    /// answers every peer that is out of step.
    static let snapshotIntervalMs = 60_000.0
    /// A peer is asked for its snapshot at most every two minutes.
    static let resyncIntervalMs = 120_000.0

    func restoreIndexes() async throws {
        for saved in try await indexStore.load() {
            if saved.owner == IndexStore.ownOwner {
                ownIndex = saved.index
                ownSequence = saved.sequence
            } else if saved.owner >= 0, saved.owner <= Int64(UInt32.max) {
                peerIndexes[UInt32(saved.owner)] = PeerIndex(restoring: saved.sequence, index: saved.index, synced: saved.synced)
            }
        }
    }

    /// Reads the pinned roots every `indexIntervalMs` and announces what changed. The unchanged
    /// index is announced again after a change, at `indexIntervalMs`, then at doubling intervals
    /// up to `indexHeartbeatMs` (Trickle, RFC 6206): a peer that missed an update notices within
    /// minutes and resyncs, and a quiet index costs one small frame per `indexHeartbeatMs`.
    /// Runs until cancelled.
    public func announceIndex() async {
        while !Task.isCancelled {
            if snapshot != nil { await refreshOwnIndex() }
            guard await sleep(deviceMs: settings.indexIntervalMs) else { return }
        }
    }

    func refreshOwnIndex() async {
        let roots: [CID]
        do { roots = try await blocks.pinnedRoots(limit: LoRaIndex.maximumEntries) } catch {
            logger.debug("pinned roots unavailable for the LoRa index", metadata: ["error": "\(error)"])
            return
        }
        let current = LoRaIndex(Set(roots.compactMap(LoRaIndex.fingerprint(of:))))
        let now = nowMs()
        let update: LoRaMessage.IndexUpdate
        if current != ownIndex || ownSequence == 0 {
            let sequence = LoRaIndex.sequence(after: ownSequence)
            update = current.update(from: ownIndex, sequence: sequence)
            do { try await indexStore.save(owner: IndexStore.ownOwner, sequence: sequence, synced: true, index: current) } catch {
                logger.warning("the LoRa index could not be saved", metadata: ["error": "\(error)"])
                return
            }
            ownIndex = current
            ownSequence = sequence
            // A change restarts the repeats at their shortest interval (Trickle, RFC 6206).
            heartbeatDelayMs = settings.indexIntervalMs
        } else if now - lastHeartbeatMs >= heartbeatDelayMs {
            update = .init(sequence: ownSequence, entries: UInt16(clamping: ownIndex.count), digest: ownIndex.digest)
            heartbeatDelayMs = min(heartbeatDelayMs * 2, settings.indexHeartbeatMs)
        } else {
            return
        }
        lastHeartbeatMs = now
        BridgeMetrics.indexUpdatesSent.increment()
        // Announcements are not urgent: they take the bulk share, as fragments do. With want_ack
        // the device repeats one (three attempts) until it hears a neighbour relay it.
        _ = try? await send(.indexUpdate(update), to: MeshtasticAddress.broadcast, hopLimit: snapshot?.hopLimit ?? 3, bulk: true, wantAck: true)
    }

    func receive(_ update: LoRaMessage.IndexUpdate, from peer: UInt32, relays: Int) async {
        // Only nodes the device knows are followed: its node database is bounded, a sender's
        // made-up node numbers are not.
        guard snapshot?.nodes[peer] != nil else { return }
        var index = peerIndexes[peer] ?? PeerIndex()
        let outcome = index.apply(update)
        peerIndexes[peer] = index
        switch outcome {
        case .current: return
        case .applied:
            try? await indexStore.save(owner: Int64(peer), sequence: index.sequence, synced: true, index: index.index)
        case .needsResync:
            await askForSnapshot(peer, relays: relays, having: index.sequence)
        }
    }

    private func askForSnapshot(_ peer: UInt32, relays: Int, having sequence: UInt16) async {
        let now = nowMs()
        guard now - (resyncAskedMs[peer] ?? -.infinity) >= Self.resyncIntervalMs, snapshot?.publicKey(of: peer) != nil else { return }
        resyncAskedMs[peer] = now
        _ = try? await send(.indexResync(sequence: sequence), to: peer, hopLimit: UInt32(min(relays, MACTiming.maximumHopLimit)), bulk: false)
    }

    /// A peer asked for the whole index: broadcast it once, soon, for everyone out of step.
    func requestSnapshot() {
        guard !snapshotPending, nowMs() - snapshotSentMs >= Self.snapshotIntervalMs else { return }
        snapshotPending = true
        Task { await self.broadcastSnapshot() }
    }

    private func broadcastSnapshot() async {
        defer { snapshotPending = false }
        snapshotSentMs = nowMs()
        let parts = ownIndex.snapshot(sequence: ownSequence)
        BridgeMetrics.indexSnapshotsSent.increment()
        let hopLimit = snapshot?.hopLimit ?? 3
        for (position, part) in parts.enumerated() {
            guard (try? await send(.indexSnapshot(part), to: MeshtasticAddress.broadcast, hopLimit: hopLimit, bulk: true)) != nil else { return }
            // Let the flood of one part pass before the next.
            if position + 1 < parts.count { guard await sleep(deviceMs: pacingMs(relays: Int(hopLimit))) else { return } }
        }
    }

    func receive(_ part: LoRaMessage.IndexSnapshot, from peer: UInt32) async {
        guard snapshot?.nodes[peer] != nil else { return }
        var index = peerIndexes[peer] ?? PeerIndex()
        // A peer already in step with this state has nothing to learn from it.
        if index.synced, index.sequence == part.sequence, index.index.digest == part.digest { return }
        let complete = index.apply(part)
        peerIndexes[peer] = index
        if complete { try? await indexStore.save(owner: Int64(peer), sequence: index.sequence, synced: true, index: index.index) }
    }

    /// Peers that announce `cid` and can be reached by unicast (their key is known), nearest first.
    func providers(of cid: CID) -> [UInt32] {
        guard let snapshot else { return [] }
        return snapshot.nodes.values
            .filter { $0.num != snapshot.myNodeNumber && $0.user.publicKey.count == 32 && peerIndexes[$0.num]?.index.contains(cid) == true }
            .sorted { ($0.hopsAway, -Double($0.lastHeard), $0.num) < ($1.hopsAway, -Double($1.lastHeard), $1.num) }
            .map(\.num)
    }

    /// `GET /v1/lora/providers/{cid}`.
    public func providerPeers(of cid: CID) -> [LoRaPeer] {
        let numbers = providers(of: cid)
        let all = Dictionary(peers().map { ($0.node.number, $0) }, uniquingKeysWith: { first, _ in first })
        return numbers.compactMap { all[$0] }
    }
}
