import Foundation
import Logging
import PakitChain
import PakitConcurrency
import PakitContracts
import PakitCore

/// The relay's one writer for its account: it signs queued intents with nonces from the
/// durable allocator, submits them, and reads the truth back from finalized blocks.
///
/// Status streams are hints (`in_block`); only a finalized block makes a submission final. The
/// loop, on every wake (a new head, a new intent, a status change, or once a second):
/// 1. reads finalized blocks from the checkpoint: each extrinsic signed by the relay's account
///    settles the submission holding its nonce, from the block's events;
/// 2. gives up a nonce only when the finalized state has used it for something else;
/// 3. re-signs, with the same nonce, what can no longer land (an expired era, a new runtime);
/// 4. resends what the pool has lost (the node's next index stops below it) and fills a nonce
///    nothing holds with the next intent or a `System.remark`, so later ones are not stranded;
/// 5. signs queued intents, oldest first.
actor SubmissionPipeline {
    struct Settings: Sendable {
        /// Blocks a signing stays valid (rounded to a power of two): the reference's 64.
        var eraPeriod: UInt64 = 64
        /// Signed and unfinalized submissions at most (the rest wait queued). A submission is in
        /// flight for at least finality lag + 1 blocks, so filling a block of ≈ 1,100 proofs
        /// needs about 3,300 at a lag of 2 (docs/benchmarks.md).
        var maximumInFlight = ChainRelayConfiguration.defaultMaximumInFlight
        /// Intents signed and sent per pass: between batches the pass reads finalized blocks
        /// again, so a long backlog neither hides finality nor outlives its eras.
        var signedPerPass = 128
        /// Finalized blocks read per pass, so a long catch-up still answers wakes.
        var blocksPerPass = 256
        /// A submission the pool lost is resent after this many new best blocks without it.
        var resendAfterBlocks: UInt32 = 2
    }

    let node: ChainNode
    let store: OutboxStore
    let signer: ChainSigner
    let account: [UInt8]
    let accountSS58: String
    let expectedGenesis: [UInt8]?
    let settings: Settings
    let logger: Logger
    let wake = WakeSignal()

    /// What the relay knows of the chain once it checked it.
    struct ChainState: Sendable {
        var identity: ChainIdentity
        var runtime: RuntimeVersion
        var metadata: RuntimeMetadata
    }

    private(set) var chain: ChainState?
    /// Why nothing is signed (another genesis, an incompatible runtime); nil when all is well.
    private(set) var refusal: String?
    private(set) var finalized: ChainHeader?
    private(set) var bestNumber: UInt32 = 0
    private(set) var chainNonce: UInt32?
    private var needsCheck = true
    private var lastCheck = ContinuousClock.now
    /// The best block number when each submission was last sent (memory only: after a restart
    /// everything in flight is sent once more, which the pool answers harmlessly).
    private var lastSent: [String: UInt32] = [:]
    /// Submissions the node refused for their signature or birth block: re-signed next pass.
    private var needsResign: Set<String> = []
    private var watchers: [String: Task<Void, Never>] = [:]
    /// Bns hosting records by name, with the finalized head they were read at.
    var bnsCache: [String: (head: [UInt8], record: BnsHostingRecord?)] = [:]
    private var headWatchers: [Task<Void, Never>] = []

    init(node: ChainNode, store: OutboxStore, signer: ChainSigner, expectedGenesis: [UInt8]?, settings: Settings, logger: Logger) {
        self.node = node
        self.store = store
        self.signer = signer
        self.account = signer.accountID
        self.accountSS58 = SS58.encode(signer.accountID)
        self.expectedGenesis = expectedGenesis
        self.settings = settings
        self.logger = logger
    }

    // MARK: the loop

    func run() async {
        await node.rpc.start()
        let connections = Task { [weak self] in
            guard let self else { return }
            for await _ in node.rpc.connections {
                await self.connectionOpened()
            }
        }
        defer { connections.cancel() }
        while !Task.isCancelled {
            guard await node.rpc.waitForConnection(timeout: .seconds(1)) else { continue }
            do {
                // A refused chain is looked at again now and then: its operator may fix it.
                if needsCheck || (refusal != nil && ContinuousClock.now - lastCheck > .seconds(10)) {
                    lastCheck = ContinuousClock.now
                    try await checkChain()
                    needsCheck = false
                }
                try await pass()
            } catch {
                logger.warning("chain relay pass failed; trying again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
            }
            await wake.wait(timeout: .seconds(1))
        }
        for task in headWatchers + Array(watchers.values) { task.cancel() }
    }

    private func connectionOpened() {
        // Subscriptions died with the old socket and a reconnect may follow a runtime upgrade:
        // check the chain and reconcile before anything is sent again.
        needsCheck = true
        lastSent.removeAll()
        wake.signal()
    }

    /// Genesis, runtime and metadata: refuse a chain the relay must not sign for.
    func checkChain() async throws {
        let genesis = try await node.genesisHash()
        if let expectedGenesis, genesis != expectedGenesis {
            return refuse("the node at \(node.rpc.url) is on the chain with genesis \(Hex.prefixed(genesis)), not the configured \(Hex.prefixed(expectedGenesis))")
        }
        if let stored = try await store.value("genesis"), stored != Hex.prefixed(genesis) {
            return refuse("this relay's outbox belongs to the chain with genesis \(stored); the node at \(node.rpc.url) is on \(Hex.prefixed(genesis))")
        }
        let runtime = try await node.runtimeVersion()
        let metadataBytes = try await node.metadata()
        let metadata: RuntimeMetadata
        do {
            metadata = try RuntimeMetadata(bytes: metadataBytes)
        } catch {
            return refuse("the node's metadata cannot be read: \(error)")
        }
        let mismatches = metadata.pakitMismatches()
        if !mismatches.isEmpty {
            return refuse("runtime \(runtime.specName) \(runtime.specVersion) does not match the calls this relay encodes: " + mismatches.joined(separator: "; "))
        }
        let identity = try ChainIdentity(genesisHash: genesis, specVersion: runtime.specVersion, transactionVersion: runtime.transactionVersion)
        try await store.setValue("genesis", Hex.prefixed(genesis))
        if chain?.runtime != nil, chain?.runtime != runtime {
            logger.notice("runtime upgraded; pending submissions are signed again", metadata: [
                "from": "\(chain?.runtime.specVersion ?? 0)", "to": "\(runtime.specVersion)",
            ])
        }
        chain = ChainState(identity: identity, runtime: runtime, metadata: metadata)
        refusal = nil
        RelayMetrics.refusing.record(0)
        try await watchHeads()
        let head = try await finalizedHeader()
        if try await store.checkpoint == nil {
            // First start on this chain: nothing of the relay's can be in earlier blocks.
            try await store.applyFinalized([], checkpoint: Checkpoint(number: head.number, hash: Hex.prefixed(head.hash)))
        }
        let nonce = try await node.accountNonce(account, at: head.hash)
        try await store.raiseNextNonce(to: nonce)
        logger.info("chain checked", metadata: [
            "genesis": "\(Hex.prefixed(genesis))", "spec": "\(runtime.specName)/\(runtime.specVersion)", "finalized": "\(head.number)",
            "account": "\(accountSS58)", "nonce": "\(nonce)",
        ])
    }

    private func refuse(_ reason: String) {
        if refusal != reason { logger.error("chain refused: \(reason)") }
        refusal = reason
        RelayMetrics.refusing.record(1)
        chain = nil
    }

    private func watchHeads() async throws {
        for task in headWatchers { task.cancel() }
        headWatchers.removeAll()
        let finalizedHeads = try await node.subscribeFinalizedHeads()
        let newHeads = try await node.subscribeNewHeads()
        let runtimeVersions = try await node.subscribeRuntimeVersion()
        headWatchers = [
            Task { for await _ in finalizedHeads.updates { self.wake.signal() } },
            Task {
                for await header in newHeads.updates {
                    if let number = header["number"]?.string.flatMap(ChainNode.hexNumber) { await self.sawBest(number) }
                }
            },
            Task {
                for await version in runtimeVersions.updates {
                    if let runtime = try? ChainNode.runtimeVersion(version) { await self.sawRuntime(runtime) }
                }
            },
        ]
    }

    private func sawBest(_ number: UInt32) {
        bestNumber = max(bestNumber, number)
        wake.signal()
    }

    private func sawRuntime(_ runtime: RuntimeVersion) {
        guard let chain, chain.runtime != runtime else { return }
        needsCheck = true
        wake.signal()
    }

    /// The finalized head as the pipeline last read it (every pass), or read now.
    func currentFinalized() async throws -> ChainHeader {
        if let finalized, chain != nil { return finalized }
        return try await finalizedHeader()
    }

    private func finalizedHeader() async throws(ChainRPCError) -> ChainHeader {
        let hash = try await node.finalizedHead()
        let header = try await node.header(hash)
        let result = ChainHeader(hash: hash, parentHash: header.parentHash, number: header.number)
        finalized = result
        bestNumber = max(bestNumber, header.number)
        return result
    }

    // MARK: one pass

    func pass() async throws {
        guard let chain, refusal == nil else { return }
        let head = try await finalizedHeader()
        try await readFinalized(upTo: head, chain: chain)
        guard try await store.checkpoint?.number == head.number else {
            wake.signal()  // still catching up: keep reading before anything is sent
            return
        }
        let nonce = try await node.accountNonce(account, at: head.hash)
        chainNonce = nonce
        try await store.raiseNextNonce(to: nonce)
        // The in-flight set as the outbox has it, updated in memory as this pass changes rows
        // (one read per pass: at thousands in flight this read is the pass's largest cost).
        var inFlight: [OutboxEntry] = []
        for entry in try await store.inFlight() {
            guard let held = entry.nonce else { continue }
            if held < nonce {
                // The finalized blocks up to the checkpoint were read and this submission was not
                // in them, yet its nonce is used: something else took it. Its bytes can never land.
                logger.warning("nonce used on chain by another transaction; the submission is signed again", metadata: ["id": "\(entry.id)", "nonce": "\(held)"])
                try await store.requeue(entry.id, reason: "nonce \(held) was used on chain by a transaction that is not this submission")
                RelayMetrics.requeued.increment()
            } else if needsResign.contains(entry.id) || Self.mustResign(entry, chain: chain, finalized: head) {
                inFlight.append(try await resign(entry, chain: chain, head: head))
            } else {
                inFlight.append(entry)
            }
        }
        for entry in inFlight where entry.state == .signed && lastSent[entry.id] == nil {
            if Task.isCancelled { return }
            await send(entry)
        }
        try await healGap(inFlight: inFlight, chain: chain, head: head)
        try await signQueued(inFlight: inFlight.count, chain: chain, head: head)
    }

    /// A signing that can no longer be included: its era ended at or before the finalized head
    /// (so no block that could still be finalized can hold it), or the runtime it was signed
    /// for is gone (its signature no longer verifies).
    static func mustResign(_ entry: OutboxEntry, chain: ChainState, finalized: ChainHeader) -> Bool {
        if let death = entry.eraDeath, death <= finalized.number { return true }
        return entry.specVersion != chain.runtime.specVersion || entry.transactionVersion != chain.runtime.transactionVersion
    }

    private func resign(_ entry: OutboxEntry, chain: ChainState, head: ChainHeader) async throws -> OutboxEntry {
        guard let nonce = entry.nonce else { return entry }
        let signed = try sign(entry.callBytes, nonce: nonce, chain: chain, head: head)
        try await store.resign(entry.id, signed: signed)
        RelayMetrics.resigned.increment()
        needsResign.remove(entry.id)
        lastSent[entry.id] = nil
        logger.info("signed again with the same nonce", metadata: ["id": "\(entry.id)", "nonce": "\(nonce)", "tx": "\(signed.hash)"])
        return entry.signed(signed, nonce: nonce)
    }

    private func sign(_ call: [UInt8], nonce: UInt32, chain: ChainState, head: ChainHeader) throws -> SignedTransaction {
        let era = Era.mortal(period: settings.eraPeriod, current: UInt64(head.number))
        // The era's birth is the finalized head itself (the phase quantum is 1 for periods up
        // to 4096), so the birth hash is the head's hash.
        let terms = try TransactionTerms(era: era, birthHash: head.hash, nonce: nonce)
        let extrinsic = try SignedExtrinsic.sign(call: call, terms: terms, chain: chain.identity, signer: signer)
        let death = era.death(current: UInt64(head.number))
        return SignedTransaction(bytes: extrinsic.bytes, hash: Hex.prefixed(extrinsic.hash), eraDeath: UInt32(clamping: death),
                                 specVersion: chain.runtime.specVersion, transactionVersion: chain.runtime.transactionVersion)
    }

    private func signQueued(inFlight: Int, chain: ChainState, head: ChainHeader) async throws {
        let room = settings.maximumInFlight - inFlight
        guard room > 0 else { return }
        let queued = try await store.queued(limit: min(room, settings.signedPerPass))
        guard !queued.isEmpty else { return }
        // More may be waiting: the next pass comes at once instead of at the next head.
        if queued.count == settings.signedPerPass { wake.signal() }
        var next = try await store.nextNonce ?? chainNonce ?? 0
        for entry in queued {
            if Task.isCancelled { return }
            let signed = try sign(entry.callBytes, nonce: next, chain: chain, head: head)
            try await store.sign(entry.id, nonce: next, signed: signed)
            RelayMetrics.signed.increment()
            await send(entry.signed(signed, nonce: next))
            next += 1
        }
    }

    /// The node's next index for the account stops at the first nonce its pool lacks. The
    /// submissions holding that nonce and the ones after it that were sent a while ago (or not
    /// by this process) are sent again, the same bytes; a nonce nothing holds is filled.
    private func healGap(inFlight: [OutboxEntry], chain: ChainState, head: ChainHeader) async throws {
        guard let next = try await store.nextNonce else { return }
        let poolNext: UInt32
        do {
            poolNext = try await node.accountNextIndex(accountSS58)
        } catch {
            return
        }
        guard poolNext < next, poolNext >= (chainNonce ?? 0) else { return }
        let byNonce = Dictionary(inFlight.compactMap { entry in entry.nonce.map { ($0, entry) } }, uniquingKeysWith: { first, _ in first })
        guard byNonce[poolNext] != nil else { return try await fill(poolNext, chain: chain, head: head) }
        var nonce = poolNext
        var resent = 0
        while let holder = byNonce[nonce], resent < 256 {
            nonce += 1
            if holder.state == .inBlock { continue }
            if let sentAt = lastSent[holder.id], bestNumber < sentAt + settings.resendAfterBlocks { continue }
            if resent == 0 {
                logger.info("the pool lacks sent transactions; sending them again", metadata: ["id": "\(holder.id)", "nonce": "\(poolNext)"])
            }
            await send(holder)
            RelayMetrics.resent.increment()
            resent += 1
        }
    }

    /// A hole: the oldest intent takes it, or a remark that exists only to use it.
    private func fill(_ nonce: UInt32, chain: ChainState, head: ChainHeader) async throws {
        let filler: OutboxEntry
        if let queued = try await store.queued(limit: 1).first {
            filler = queued
        } else {
            let request = SubmissionRequest(idempotencyKey: "relay:nonce-filler:\(nonce):\(OutboxStore.now())",
                                            call: .remark(hex: Hex.encode(Array("pakit relay: nonce \(nonce) filler".utf8))))
            let callBytes = try CallEncoding.encode(request.call)
            let stored = try await store.insert(request, caller: "relay", callBytes: callBytes)
            guard let entry = try await store.entry(id: stored.record.id) else { return }
            filler = entry
        }
        logger.notice("filling a nonce nothing holds", metadata: ["nonce": "\(nonce)", "id": "\(filler.id)", "call": "\(filler.callName)"])
        let signed = try sign(filler.callBytes, nonce: nonce, chain: chain, head: head)
        try await store.sign(filler.id, nonce: nonce, signed: signed)
        RelayMetrics.signed.increment()
        if filler.callName == "System.remark" { RelayMetrics.fillers.increment() }
        await send(filler.signed(signed, nonce: nonce))
    }

    // MARK: sending

    private func send(_ entry: OutboxEntry) async {
        guard let bytes = entry.extrinsic else { return }
        lastSent[entry.id] = bestNumber
        watchers.removeValue(forKey: entry.id)?.cancel()
        do {
            let subscription = try await node.submitAndWatch(bytes)
            try? await store.accepted(entry.id, bestBlock: bestNumber)
            let id = entry.id
            watchers[id] = Task { await self.watch(id, subscription) }
        } catch {
            await refused(entry, error)
        }
    }

    private func refused(_ entry: OutboxEntry, _ error: ChainRPCError) async {
        let reason = error.data ?? error.message
        switch error.code {
        case 1012, 1013, 1014:
            // Already in the pool (these bytes, or an earlier signing with the same nonce):
            // the finalized chain will tell which lands.
            try? await store.hint(entry.id, state: .submitted)
        case 1010 where reason.contains("outdated") || reason.contains("Stale"):
            // The nonce is used in the best state: by this very submission (sent before), or by
            // something else, which the finalized state will show.
            try? await store.hint(entry.id, state: .submitted)
        case 1010 where reason.contains("bad signature") || reason.contains("ancient birth"):
            needsResign.insert(entry.id)
            needsCheck = entry.specVersion != chain?.runtime.specVersion ? true : needsCheck
            wake.signal()
        case 1010 where reason.contains("pay some fees") || reason.contains("exhaust the block"),
             1011, 1015, 1016, 1018, 1019, nil:
            // Not now (no funds yet, a full pool or block, no connection): kept, sent again later.
            try? await store.hint(entry.id, state: .signed, error: "\(error)")
            lastSent[entry.id] = bestNumber + 1
        default:
            // The node refuses the call itself: final, and its nonce is free for the next one.
            logger.warning("the node refused a submission for good", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            try? await store.failUnincluded(entry.id, error: "\(error)")
            RelayMetrics.refused.increment()
            wake.signal()
        }
    }

    private func watch(_ id: String, _ subscription: ChainSubscription) async {
        for await status in subscription.updates {
            if let object = status.object {
                if let block = object["inBlock"]?.string {
                    try? await store.hint(id, state: .inBlock, blockHash: block)
                } else if object["retracted"] != nil {
                    try? await store.hint(id, state: .submitted)
                } else if object["finalized"] != nil {
                    wake.signal()
                    break
                } else if object["usurped"] != nil || object["finalityTimeout"] != nil {
                    wake.signal()
                    break
                }
            } else if let text = status.string, text == "dropped" || text == "invalid" {
                // Hints only: a re-org can report `invalid` for a transaction that still lands.
                lastSent[id] = min(lastSent[id] ?? bestNumber, bestNumber)
                wake.signal()
                break
            }
        }
        watchers[id] = nil
    }

    // MARK: finalized blocks, the truth

    private func readFinalized(upTo head: ChainHeader, chain: ChainState) async throws {
        guard var checkpoint = try await store.checkpoint else { return }
        var read = 0
        while checkpoint.number < head.number, read < settings.blocksPerPass {
            let number = checkpoint.number + 1
            guard let hash = try await node.blockHash(number: number) else { throw ChainRPCError(.malformed, "no finalized block \(number)") }
            let block = try await node.blockExtrinsics(hash)
            guard Hex.prefixed(block.header.parentHash) == checkpoint.hash else {
                throw ChainRPCError(.malformed, "finalized block \(number) does not follow the checkpoint \(checkpoint.hash): the node is on another chain")
            }
            let events = try await blockEvents(hash, chain: chain)
            let outcomes = try await outcomes(of: block.extrinsics, events: events, blockHash: hash, chain: chain)
            let payments = Self.payments(to: account, in: events)
            checkpoint = Checkpoint(number: number, hash: Hex.prefixed(hash))
            try await store.applyFinalized(outcomes, payments: payments, checkpoint: checkpoint)
            RelayMetrics.checkpoint.record(Int64(number))
            RelayMetrics.payments.increment(by: Int64(payments.count))
            for outcome in outcomes { (outcome.succeeded ? RelayMetrics.finalized : RelayMetrics.failedInBlock).increment() }
            for payment in payments {
                logger.info("payment received", metadata: ["payer": "\(payment.payer)", "asset": "\(payment.asset)", "amount": "\(payment.amount)", "block": "\(number)"])
            }
            for outcome in outcomes {
                watchers.removeValue(forKey: outcome.id)?.cancel()
                lastSent[outcome.id] = nil
                needsResign.remove(outcome.id)
                logger.info(outcome.succeeded ? "finalized" : "finalized with an error", metadata: [
                    "id": "\(outcome.id)", "block": "\(number)", "index": "\(outcome.extrinsicIndex)", "error": "\(outcome.error ?? "")",
                ])
            }
            read += 1
        }
    }

    /// The relay's extrinsics in a finalized block and what each did, from the block's events.
    private func outcomes(of extrinsics: [[UInt8]], events: [EventRecord], blockHash: [UInt8], chain: ChainState) async throws -> [FinalizedOutcome] {
        var ours: [(index: UInt32, nonce: UInt32, bytes: [UInt8])] = []
        for (index, bytes) in extrinsics.enumerated() {
            guard case .signed(let signed) = try? DecodedExtrinsic.decode(bytes), signed.accountID == account else { continue }
            ours.append((UInt32(index), signed.nonce, bytes))
        }
        guard !ours.isEmpty else { return [] }
        var outcomes: [FinalizedOutcome] = []
        for extrinsic in ours {
            guard let entry = try await store.entry(nonce: extrinsic.nonce) else {
                logger.warning("a finalized extrinsic signed by the relay's account matches no submission (another writer uses this key?)",
                               metadata: ["block": "\(Hex.prefixed(blockHash))", "nonce": "\(extrinsic.nonce)"])
                continue
            }
            let txHash = Hex.prefixed(Blake2b.hash256(extrinsic.bytes))
            var succeeded = false
            var error: String?
            switch chain.metadata.outcome(ofExtrinsic: extrinsic.index, in: events) {
            case .succeeded?: succeeded = true
            case .failed(let failure)?: error = Self.name(of: failure)
            case nil: error = "the block has no ExtrinsicSuccess or ExtrinsicFailed event for extrinsic \(extrinsic.index)"
            }
            var note: String?
            if !succeeded, error == "StorageProof.ContentAlreadyProven", entry.callBytes.count >= 34,
               try await proofStoredByRelay(contentID: Array(entry.callBytes[2..<34]), at: blockHash) {
                succeeded = true
                error = nil
                note = "ContentAlreadyProven: the stored proof names the relay's account"
            }
            outcomes.append(FinalizedOutcome(id: entry.id, extrinsicIndex: extrinsic.index, txHash: txHash, succeeded: succeeded, error: error, note: note))
        }
        return outcomes
    }

    private func blockEvents(_ blockHash: [UInt8], chain: ChainState) async throws -> [EventRecord] {
        let raw = try await node.storage(StorageKey.prefix(pallet: "System", item: "Events"), at: blockHash) ?? [0]
        return try chain.metadata.decodeEvents(raw)
    }

    /// Transfers to `account` in a block's events: `Balances.Transfer` (DALLA) and
    /// `Economy.BbzdTransferred` (bBZD), each with the extrinsic that made it.
    static func payments(to account: [UInt8], in events: [EventRecord]) -> [IncomingPayment] {
        var payments: [IncomingPayment] = []
        for (index, event) in events.enumerated() {
            let asset: String
            switch (event.palletName, event.eventName) {
            case ("Balances", "Transfer"): asset = "DALLA"
            case ("Economy", "BbzdTransferred"): asset = "bBZD"
            default: continue
            }
            guard event[field: "to"]?.byteValue == account, let from = event[field: "from"]?.byteValue, from.count == 32,
                  let amount = event[field: "amount"]?.unsignedValue else { continue }
            var extrinsic: UInt32?
            if case .applyExtrinsic(let number) = event.phase { extrinsic = number }
            payments.append(IncomingPayment(eventIndex: UInt32(index), asset: asset, payer: SS58.encode(from), amount: amount, extrinsicIndex: extrinsic))
        }
        return payments
    }

    /// `Pallet.Error` for a module error, else the DispatchError's variant.
    static func name(of failure: DispatchFailure) -> String {
        if let module = failure.module {
            return "\(module.palletName ?? "pallet \(module.palletIndex)").\(module.errorName ?? "error \(module.errorIndex)")"
        }
        return failure.description
    }

    private func proofStoredByRelay(contentID: [UInt8], at block: [UInt8]) async throws -> Bool {
        guard let bytes = try await node.storage(StorageValue.ProofRecord.key(contentID: contentID), at: block) else { return false }
        return try StorageValue.ProofRecord.decode(bytes).submitter == account
    }
}

extension SubmissionPipeline {
    struct Snapshot: Sendable {
        let refusal: String?
        let runtime: RuntimeVersion?
        let finalized: UInt32?
        let chainNonce: UInt32?
    }

    func snapshot() -> Snapshot {
        Snapshot(refusal: refusal, runtime: chain?.runtime, finalized: finalized?.number, chainNonce: chainNonce)
    }
}
