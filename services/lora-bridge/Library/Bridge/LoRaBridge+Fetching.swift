import Foundation
import Logging
import PakitContracts
import PakitCore
import PakitMeshtastic

/// Fetching blocks from radio peers: requester-driven selective repeat, waits that follow the
/// channel, the CID checked before storing, durable across restarts (docs/lora-bridge.md, "Transfers").
extension LoRaBridge {
    /// 8 random bytes, hex: a transfer's id in the API.
    static func newTransferID() -> String {
        Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
    }

    /// Starts fetching `cid` from `peer`, or from the nearest peer that announces it.
    func fetch(_ cid: CID, from peer: UInt32?) throws(BridgeError) -> LoRaTransfer {
        guard let snapshot else { throw .radioUnavailable }
        let target: UInt32
        if let peer {
            guard peer != snapshot.myNodeNumber else { throw .invalid("peer is this node") }
            guard snapshot.nodes[peer] != nil else { throw .unknownPeer(peer) }
            guard snapshot.publicKey(of: peer) != nil else { throw .peerKeyUnknown(peer) }
            target = peer
        } else {
            // The nearest peer whose announced index holds it (and whose key the device knows).
            guard let nearest = providers(of: cid).first else { throw .noPeer }
            target = nearest
        }
        var session: UInt16
        repeat { session = UInt16.random(in: 1...UInt16.max) } while sessions[session] != nil
        let id = Self.newTransferID()
        // Relays to the peer, as the device's node database knows it (-1: unknown).
        let relays = snapshot.nodes[target].map { $0.hasHopsAway ? Int($0.hopsAway) : -1 } ?? -1
        let transfer = Transfer(id: id, cid: cid, peer: target, session: session, startedAt: TransferStore.nowMs(), relays: relays)
        transfers[id] = transfer
        sessions[session] = id
        return transfer.record(timeScale: settings.timeScale)
    }

    /// Makes the transfer durable, then drives it: acknowledged means it survives a crash.
    public func startFetch(_ cid: CID, from peer: UInt32?) async throws(BridgeError) -> LoRaTransfer {
        // A block this node already holds is not fetched again: no airtime for nothing.
        if let snapshot, let local = try? await blocks.localBlock(cid) {
            var held = Transfer(id: Self.newTransferID(), cid: cid, peer: snapshot.myNodeNumber, session: 0, startedAt: TransferStore.nowMs(), relays: 0)
            held.state = .stored
            held.blockSize = local.count
            held.finishedAt = held.startedAt
            do {
                try await store.insert(held)
                try await store.finish(held)
            } catch { throw .unavailable("the bridge's database: \(error)") }
            transfers[held.id] = held
            return held.record(timeScale: settings.timeScale)
        }
        let record = try fetch(cid, from: peer)
        guard let transfer = transfers[record.id] else { throw .invalid("the transfer vanished") }
        do { try await store.insert(transfer) } catch {
            transfers[record.id] = nil
            sessions[transfer.session] = nil
            throw .unavailable("the bridge's database: \(error)")
        }
        driving.insert(record.id)
        Task { await self.drive(record.id) }
        return record
    }


    func resumeTransfers() {
        for (id, transfer) in transfers where transfer.state == .requesting && !driving.contains(id) {
            driving.insert(id)
            Task { await self.drive(id) }
        }
    }

    public func transfer(_ id: String) -> LoRaTransfer? { transfers[id]?.record(timeScale: settings.timeScale) }

    public func allTransfers() -> [LoRaTransfer] {
        transfers.values.sorted { $0.startedAt > $1.startedAt }.prefix(200).map { $0.record(timeScale: settings.timeScale) }
    }

    func drive(_ id: String) async {
        defer { driving.remove(id) }
        // Resumed after a restart with every fragment already stored: finish, ask nothing.
        if let transfer = transfers[id], let size = transfer.blockSize,
           let block = FragmentCoding.reassemble(blockSize: size, parity: transfer.parity, fragments: transfer.fragments) {
            transfers[id]?.assembled = true
            await complete(id, block: block)
            return
        }
        while let transfer = transfers[id], transfer.state == .requesting {
            guard snapshot != nil else { return }
            if let busyUntil = transfer.busyUntilMs {
                // The peer's airtime is spent for now: wait for it rather than ask again (a
                // wait for a peer's duty cycle does not count against the requests).
                transfers[id]?.busyUntilMs = nil
                transfers[id]?.waits += 1
                guard transfer.waits < 60, await sleep(deviceMs: busyUntil - nowMs()) else {
                    finish(id, error: "the peer's duty cycle stayed spent")
                    return
                }
                continue
            }
            guard transfer.stalledRounds < settings.maximumRequests else {
                finish(id, error: "no answer after \(transfer.stalledRounds) requests in a row (\(transfer.requests) in all)")
                return
            }
            transfers[id]?.requests += 1
            try? await store.countRequest(id, requests: transfer.requests + 1)
            let request = LoRaMessage.FetchRequest(
                session: transfer.session, lossPercent: UInt8(min(max(lossEstimate * 100, 0), 100).rounded()), have: transfer.have, cid: transfer.cid
            )
            let hopLimit = transfer.relays >= 0 ? UInt32(min(transfer.relays, MACTiming.maximumHopLimit)) : (snapshot?.hopLimit ?? 3)
            logger.debug("requesting", metadata: ["session": "\(transfer.session)", "have": "\(String(transfer.have.bits, radix: 2))", "round": "\(transfer.requests + 1)"])
            do { try await send(.fetchRequest(request), to: transfer.peer, hopLimit: hopLimit, bulk: false) } catch {
                if case .refused = error {
                    finish(id, error: "\(error)")
                    return
                }
                // Radio gone or no answer from the device: wait and ask again.
                guard await sleep(deviceMs: 5000) else { return }
                continue
            }
            let before = transfer.have
            let expectedBefore = transfer.total.map { $0 - before.count }
            transfers[id]?.requestedWith = before
            transfers[id]?.roundEnded = false
            let roundEnd = transfers[id].flatMap { Self.roundEnd(of: $0, requestedWith: before) }
            transfers[id]?.roundEnd = roundEnd
            // Wait for fragments; each arrival extends the wait by one fragment's time.
            var deadline = nowMs() + firstFragmentWaitMs(relays: transfer.relays >= 0 ? transfer.relays : Int(hopLimit))
            while let current = transfers[id], current.state == .requesting {
                let remaining = deadline - nowMs()
                guard remaining > 0 else { break }
                let countBefore = current.have.count
                await waitForProgress(id, deviceMs: remaining)
                guard let after = transfers[id], after.state == .requesting else { break }
                if after.busyUntilMs != nil { break }
                if after.assembled {
                    // Verification and storage are under way; they end the transfer.
                    deadline = max(deadline, nowMs() + 60_000 * settings.timeScale)
                    continue
                }
                if after.roundEnded {
                    // The round's last fragment came: ask again for what is missing, at once
                    // from a neighbour (its fragments arrive in order), after the relays' worst
                    // delay otherwise (they can reorder).
                    guard after.relays > 0 else { break }
                    deadline = min(deadline, nowMs() + Double(after.relays) * worstRebroadcastDelayMs)
                    transfers[id]?.roundEnded = false
                    continue
                }
                if after.have.count > countBefore { deadline = nowMs() + nextFragmentWaitMs(relays: max(after.relays, 0)) }
            }
            if let after = transfers[id] {
                transfers[id]?.stalledRounds = after.have.count > before.count || after.busyUntilMs != nil ? 0 : after.stalledRounds + 1
            }
            if let after = transfers[id], let total = after.total {
                // What this round should have brought against what came.
                let expected = expectedBefore ?? total
                let arrived = after.have.count - before.count
                if expected > 0 {
                    let sample = Double(max(expected - arrived, 0)) / Double(expected)
                    lossEstimate = 0.7 * lossEstimate + 0.3 * sample
                }
            }
        }
    }

    func waitForProgress(_ id: String, deviceMs: Double) async {
        let timer = Task { [weak self] in
            guard let self, await self.sleep(deviceMs: deviceMs) else { return }
            await self.signal(id)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            if let previous = progress.updateValue(continuation, forKey: id) { previous.resume() }
        }
    }

    func signal(_ id: String) {
        progress.removeValue(forKey: id)?.resume()
    }

    /// The request out and the first fragment back, across every hop, with each relay's worst
    /// delay, plus the server's storage read.
    func firstFragmentWaitMs(relays: Int) -> Double {
        2 * (fullFrameMs + channelOwnDelayMs) + 2 * Double(relays) * (fullFrameMs + worstRebroadcastDelayMs) + 1500
    }

    /// After a fragment, the next one: the server's pacing, its airtime at the channel's access
    /// delay and every relay's worst delay. Not shorter: while the server is answering, a request
    /// from here would be ignored and, sent while a fragment arrives, would lose it (a radio cannot
    /// hear while it transmits). A lost last fragment is what this wait costs.
    func nextFragmentWaitMs(relays: Int) -> Double {
        pacingMs(relays: relays) + fullFrameMs + channelOwnDelayMs + Double(relays) * (fullFrameMs + worstRebroadcastDelayMs) + 1000
    }

    /// The server answers a request with the data fragments it lacks in order, then (on a first
    /// request) the parity fragments: the last of those ends the round.
    static func roundEnd(of transfer: Transfer, requestedWith have: FragmentSet) -> Int? {
        guard let dataCount = transfer.dataCount else { return nil }
        if have.bits == 0 { return dataCount + transfer.parity - 1 }
        return (0..<dataCount).last { !have.contains($0) }
    }

    func receive(_ fragment: LoRaMessage.Fragment, from peer: UInt32, relays: Int) {
        guard let id = sessions[fragment.session], var transfer = transfers[id], transfer.peer == peer, transfer.state == .requesting else { return }
        if let size = transfer.blockSize {
            // Every fragment of a transfer must agree on its shape.
            guard size == Int(fragment.blockSize), transfer.parity == Int(fragment.parity) else { return }
        } else {
            transfer.blockSize = Int(fragment.blockSize)
            transfer.parity = Int(fragment.parity)
        }
        // What the fragment travelled is what the request needs too.
        if transfer.relays < 0 || relays > transfer.relays { transfer.relays = relays }
        let index = Int(fragment.index)
        logger.debug("fragment", metadata: ["session": "\(fragment.session)", "index": "\(index)"])
        if transfer.fragments[index] == nil {
            transfer.fragments[index] = fragment.bytes
            transfer.have.insert(index)
            let saved = transfer
            Task { try? await self.store.saveFragment(saved, index: index, bytes: fragment.bytes) }
        }
        if transfer.roundEnd == nil { transfer.roundEnd = Self.roundEnd(of: transfer, requestedWith: transfer.requestedWith) }
        if let end = transfer.roundEnd, index >= end { transfer.roundEnded = true }
        transfers[id] = transfer
        if let size = transfer.blockSize, let dataCount = transfer.dataCount,
           let block = FragmentCoding.reassemble(blockSize: size, parity: transfer.parity, fragments: transfer.fragments) {
            let present = (0..<dataCount).filter { transfer.fragments[$0] != nil }.count
            transfers[id]?.recovered = dataCount - present
            transfers[id]?.assembled = true
            transfers[id]?.state = .requesting
            Task { await self.complete(id, block: block) }
        }
        signal(id)
    }


    func complete(_ id: String, block: [UInt8]) async {
        guard let transfer = transfers[id], transfer.state == .requesting, completing.insert(id).inserted else { return }
        defer { completing.remove(id) }
        guard transfer.cid.verifies(block) else {
            finish(id, error: "the fragments do not hash to \(transfer.cid.string); nothing was stored")
            return
        }
        do {
            try await blocks.store(transfer.cid, bytes: block)
        } catch {
            finish(id, error: "verified, but storage did not store it: \(error)")
            return
        }
        transfers[id]?.state = .stored
        transfers[id]?.finishedAt = TransferStore.nowMs()
        sessions[transfer.session] = nil
        if let done = transfers[id] { try? await store.finish(done) }
        signal(id)
        logger.info("fetched over LoRa", metadata: [
            "cid": "\(transfer.cid.string)", "peer": "\(LoRaNodeText.id(transfer.peer))", "requests": "\(transfer.requests)",
        ])
    }

    func finish(_ id: String, error: String) {
        guard var transfer = transfers[id], transfer.state == .requesting else { return }
        transfer.state = .failed
        transfer.error = error
        transfer.finishedAt = TransferStore.nowMs()
        transfers[id] = transfer
        sessions[transfer.session] = nil
        let done = transfer
        Task { try? await self.store.finish(done) }
        signal(id)
        logger.info("LoRa fetch failed", metadata: ["cid": "\(transfer.cid.string)", "error": "\(error)"])
    }
}
