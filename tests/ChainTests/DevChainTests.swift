import Foundation
import PakitChain
import PakitCore
import PakitTestSupport
import Testing

/// `PakitChain`'s extrinsics submitted to the dev chain (tools/devchain, a labelled development
/// stand-in for a BelizeChain node, written on scalecodec, PyNaCl and xxhash): accepted,
/// executed and finalized with the runtime's statuses; refused with the node's error codes
/// when they should be; and read back from storage under the runtime's keys.
@Suite("Dev chain: PakitChain extrinsics end to end", .serialized)
struct DevChainTests {

    static func proof(_ label: String) -> (contentID: [UInt8], leaf: [UInt8], siblings: [MerkleStep]) {
        let leaves = (0..<5).map { BinaryMerkleTree.leafHash(Array("\(label)-\($0)".utf8)) }
        let tree = BinaryMerkleTree(leafHashes: leaves)
        return (tree.root, leaves[3], tree.proof(forLeaf: 3) ?? [])
    }

    /// Signs `call` against the finalized head, in a mortal era born there. 4096 blocks (410 s
    /// of 100 ms blocks), so no transaction of the test expires however loaded the machine is.
    static func signed(_ call: [UInt8], by signer: ChainSigner, nonce: UInt32, chain identity: ChainIdentity, on devChain: DevChain) async throws -> SignedExtrinsic {
        let head = try await devChain.finalizedHead()
        let era = Era.mortal(period: 4096, current: head.number)
        #expect(era.birth(current: head.number) == head.number)
        let terms = try TransactionTerms(era: era, birthHash: head.hash, nonce: nonce)
        return try SignedExtrinsic.sign(call: call, terms: terms, chain: identity, signer: signer)
    }

    static func flipping(_ bytes: [UInt8], at index: Int) -> [UInt8] {
        var copy = bytes
        copy[index] ^= 0x01
        return copy
    }

    static func errorCode(_ answer: [String: Any]) -> Int? { (answer["error"] as? [String: Any])?["code"] as? Int }
    static func errorData(_ answer: [String: Any]) -> String { ((answer["error"] as? [String: Any])?["data"] as? String) ?? "" }

    static func account(_ signer: ChainSigner, on chain: DevChain) async throws -> StorageValue.AccountInfo {
        let bytes = try #require(try await chain.storage(try StorageValue.AccountInfo.key(signer.accountID)))
        return try StorageValue.AccountInfo.decode(bytes)
    }

    static func record(_ contentID: [UInt8], on chain: DevChain) async throws -> StorageValue.ProofRecord {
        let bytes = try #require(try await chain.storage(StorageValue.ProofRecord.key(contentID: contentID)))
        return try StorageValue.ProofRecord.decode(bytes)
    }

    /// Whether the block `hash` holds `extrinsic`'s bytes.
    static func block(_ hash: String, holds extrinsic: SignedExtrinsic, on chain: DevChain) async throws -> Bool {
        let block = try #require(try await chain.call("chain_getBlock", "[\"\(hash)\"]")["result"] as? [String: Any])
        let body = block["block"] as? [String: Any]
        return (body?["extrinsics"] as? [String])?.contains("0x" + Base16.encode(extrinsic.bytes)) == true
    }

    @Test("the dev chain's blocks, inherents and events decode with scalecodec through its own metadata; upgrades, another genesis and a full pool behave as a node's")
    func selfConsistent() async throws {
        let result = try await runProcess("/usr/bin/env", ["python3", "\(DevChain.repositoryRoot)/tests/compat/devchain_check.py"])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
    }

    @Test("a storage proof is ready, in a block and finalized; its record names the signer; replays, forgeries, a foreign genesis and a stale nonce get the node's error codes; a higher nonce waits as future; the first submitter wins; a payment moves DALLA")
    func endToEnd() async throws {
        let alice = try ChainSigner(seed: [UInt8](repeating: 0x21, count: 32))
        let bob = try ChainSigner(seed: [UInt8](repeating: 0x22, count: 32))
        let chain = try await DevChain.start(endow: [alice.accountID, bob.accountID])
        defer { ServiceProcess.kill(chain.process) }
        let genesisHex = try #require(try await chain.call("chain_getBlockHash", "[0]")["result"] as? String)
        let identity = try ChainIdentity(genesisHash: try Base16.decode(genesisHex.dropFirst(2)), specVersion: 107, transactionVersion: 1)
        let version = try #require(try await chain.call("state_getRuntimeVersion")["result"] as? [String: Any])
        #expect(version["specVersion"] as? Int == 107 && version["transactionVersion"] as? Int == 1)

        let first = try await Self.proveAndRead(alice, chain: chain, identity: identity)
        try await Self.refusals(alice, chain: chain, identity: identity)
        try await Self.futureNonce(alice, chain: chain, identity: identity)
        try await Self.firstSubmitterWins(bob, over: alice, content: first, chain: chain, identity: identity)
        try await Self.payment(from: bob, to: alice, chain: chain, identity: identity)
        await chain.process.terminated()
    }

    /// Alice proves content: ready → inBlock → finalized; the record is hers; the block holds
    /// the bytes she signed; the same bytes again are outdated (1010).
    static func proveAndRead(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws -> [UInt8] {
        let proof = Self.proof("alpha")
        let call = try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings)
        let extrinsic = try await Self.signed(call, by: alice, nonce: 0, chain: identity, on: chain)
        let watched = try await chain.watch(extrinsic)
        #expect(watched.reply["result"] != nil, "\(watched.reply)")
        #expect(watched.statuses == ["ready", "inBlock", "finalized"], "\(watched.statuses)")
        let record = try await Self.record(proof.contentID, on: chain)
        #expect(record.submitter == alice.accountID && record.proofType == .merkle)
        let account = try await Self.account(alice, on: chain)
        #expect(account.nonce == 1 && account.reserved == 1_000_000_000_000, "one nonce used and the 1 DALLA deposit reserved: \(account)")
        let finalizedIn = try #require(watched.finalizedIn)
        #expect(try await Self.block(finalizedIn, holds: extrinsic, on: chain), "the signed bytes are in the finalized block")
        let replay = try await chain.watch(extrinsic)
        #expect(Self.errorCode(replay.reply) == 1010 && Self.errorData(replay.reply).contains("outdated"), "\(replay.reply)")
        return proof.contentID
    }

    /// A forged signature and a foreign genesis: 1010 bad signature; a truncated extrinsic: 1001.
    static func refusals(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        let proof = Self.proof("beta")
        let call = try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings)
        let genuine = try await Self.signed(call, by: alice, nonce: 1, chain: identity, on: chain)
        let forged = Self.flipping(genuine.bytes, at: 40)  // inside the signature
        let forgedAnswer = try await chain.call("author_submitExtrinsic", "[\"0x\(Base16.encode(forged))\"]")
        #expect(Self.errorCode(forgedAnswer) == 1010 && Self.errorData(forgedAnswer).contains("bad signature"), "\(forgedAnswer)")
        let foreign = try ChainIdentity(genesisHash: [UInt8](repeating: 0xAA, count: 32), specVersion: 107, transactionVersion: 1)
        let foreignBytes = try await Self.signed(call, by: alice, nonce: 1, chain: foreign, on: chain).bytes
        let foreignAnswer = try await chain.call("author_submitExtrinsic", "[\"0x\(Base16.encode(foreignBytes))\"]")
        #expect(Self.errorCode(foreignAnswer) == 1010 && Self.errorData(foreignAnswer).contains("bad signature"), "\(foreignAnswer)")
        let truncated = Array(genuine.bytes.dropLast())
        let truncatedAnswer = try await chain.call("author_submitExtrinsic", "[\"0x\(Base16.encode(truncated))\"]")
        #expect(Self.errorCode(truncatedAnswer) == 1001, "\(truncatedAnswer)")
    }

    /// Nonce 2 before nonce 1: it waits as future, then both land in order.
    static func futureNonce(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        let second = Self.proof("beta")
        let third = Self.proof("gamma")
        let now = try await Self.signed(try StorageProofCall.submit(contentID: second.contentID, leaf: second.leaf, siblings: second.siblings),
                                        by: alice, nonce: 1, chain: identity, on: chain)
        let later = try await Self.signed(try StorageProofCall.submit(contentID: third.contentID, leaf: third.leaf, siblings: third.siblings),
                                          by: alice, nonce: 2, chain: identity, on: chain)
        let laterWatched = Task { try await chain.watch(later).statuses }
        // Nonce 1 goes in only once nonce 2 is in the pool (as future): asked of the pool itself.
        let laterHex = "0x" + Base16.encode(later.bytes)
        var pending = false
        for _ in 0..<600 where !pending {
            pending = (try await chain.call("author_pendingExtrinsics")["result"] as? [String])?.contains(laterHex) == true
            if !pending { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(pending, "nonce 2 never reached the pool")
        let earlier = try await chain.watch(now)
        let laterStatuses = try await laterWatched.value
        #expect(laterStatuses.first == "future" && laterStatuses.last == "finalized", "\(laterStatuses)")
        #expect(earlier.statuses.last == "finalized", "\(earlier.statuses)")
        #expect(try await Self.account(alice, on: chain).nonce == 3)
    }

    /// Bob proves Alice's content: his transaction lands (fee and nonce), the record stays hers.
    static func firstSubmitterWins(_ bob: ChainSigner, over alice: ChainSigner, content: [UInt8], chain: DevChain, identity: ChainIdentity) async throws {
        let proof = Self.proof("alpha")
        #expect(proof.contentID == content)
        let call = try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings)
        let bobs = try await chain.watch(try await Self.signed(call, by: bob, nonce: 0, chain: identity, on: chain))
        #expect(bobs.statuses.last == "finalized", "\(bobs.statuses)")
        #expect(try await Self.record(content, on: chain).submitter == alice.accountID, "the first submitter wins")
        let bobAccount = try await Self.account(bob, on: chain)
        #expect(bobAccount.nonce == 1 && bobAccount.reserved == 0, "\(bobAccount)")
    }

    /// A DALLA payment from Bob to Alice lands in storage; Bob's next index (asked by SS58) is 2.
    static func payment(from bob: ChainSigner, to alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        let before = try await Self.account(alice, on: chain)
        let call = try BalancesCall.transferKeepAlive(to: alice.accountID, planck: 5_000_000_000_000)
        let payment = try await chain.watch(try await Self.signed(call, by: bob, nonce: 1, chain: identity, on: chain))
        #expect(payment.statuses.last == "finalized", "\(payment.statuses)")
        let after = try await Self.account(alice, on: chain)
        #expect(after.free == before.free + 5_000_000_000_000)
        let next = try await chain.call("system_accountNextIndex", "[\"\(SS58.encode(bob.accountID))\"]")
        #expect(next["result"] as? Int == 2, "\(next)")
    }

    /// Polls `condition` (a chain state) every 100 ms for up to 60 s.
    static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(what) did not happen within 60 s")
    }

    static func number(ofHeader hash: String?, on chain: DevChain) async throws -> UInt64 {
        let params = hash.map { "[\"\($0)\"]" } ?? "[]"
        let header = try #require(try await chain.call("chain_getHeader", params)["result"] as? [String: Any])
        return try #require((header["number"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) })
    }

    @Test("faults a relay must survive: a re-org retracts a transaction and it lands again exactly once; a submission the node drops is lost until the same bytes are sent again; killed sockets end a watch while the transaction still lands")
    func faults() async throws {
        let alice = try ChainSigner(seed: [UInt8](repeating: 0x31, count: 32))
        let chain = try await DevChain.start(endow: [alice.accountID])
        defer { ServiceProcess.kill(chain.process) }
        let genesisHex = try #require(try await chain.call("chain_getBlockHash", "[0]")["result"] as? String)
        let identity = try ChainIdentity(genesisHash: try Base16.decode(genesisHex.dropFirst(2)), specVersion: 107, transactionVersion: 1)
        try await Self.reorgRetracts(alice, chain: chain, identity: identity)
        try await Self.droppedSubmission(alice, chain: chain, identity: identity)
        try await Self.killedSockets(alice, chain: chain, identity: identity)
        await chain.process.terminated()
    }

    /// With finality stalled, the block holding the transaction is re-orged away: the watch
    /// sees `retracted`, then the transaction in a block of the new branch, then `finalized`;
    /// the nonce moved once.
    @_optimize(none)  // Swift 6.3.1's optimizer crashes splitting this coroutine (signal 11)
    static func reorgRetracts(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        #expect(try await chain.call("dev_stallFinality", "[true]")["result"] as? Bool == true)
        let proof = Self.proof("reorg")
        let extrinsic = try await Self.signed(try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings),
                                              by: alice, nonce: 0, chain: identity, on: chain)
        let watching = Task { () async throws -> (statuses: [String], finalizedIn: String?) in
            let watched = try await chain.watch(extrinsic)
            return (watched.statuses, watched.finalizedIn)
        }
        try await Self.until("the transaction in a block") { try await Self.account(alice, on: chain).nonce == 1 }
        let finalized = try await Self.number(ofHeader: try await chain.call("chain_getFinalizedHead")["result"] as? String, on: chain)
        let reorg = try await chain.call("dev_reorg", "[\(finalized)]")
        #expect(reorg["result"] as? Int == Int(finalized), "every block above the finalized head dropped: \(reorg)")
        let belowFinality = try await chain.call("dev_reorg", "[\(Int(finalized) - 1)]")
        #expect(belowFinality["error"] != nil, "nothing finalized may be re-orged: \(belowFinality)")
        #expect(try await chain.call("dev_stallFinality", "[false]")["result"] as? Bool == false)
        let watched = try await watching.value
        #expect(watched.statuses.contains("retracted"), "\(watched.statuses)")
        #expect(watched.statuses.filter { $0 == "inBlock" }.count == 2 && watched.statuses.last == "finalized", "\(watched.statuses)")
        #expect(try await Self.block(try #require(watched.finalizedIn), holds: extrinsic, on: chain))
        #expect(try await Self.account(alice, on: chain).nonce == 1, "included exactly once")
        #expect(try await Self.record(proof.contentID, on: chain).submitter == alice.accountID)
    }

    /// The node answers a submission with its hash and then loses it: nothing lands, however
    /// many blocks pass, until the same signed bytes are sent again.
    @_optimize(none)  // Swift 6.3.1's optimizer crashes splitting this coroutine (signal 11)
    static func droppedSubmission(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        #expect(try await chain.call("dev_dropNextSubmissions", "[1]")["result"] as? Int == 1)
        let proof = Self.proof("dropped")
        let extrinsic = try await Self.signed(try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings),
                                              by: alice, nonce: 1, chain: identity, on: chain)
        let answer = try await chain.call("author_submitExtrinsic", "[\"0x\(Base16.encode(extrinsic.bytes))\"]")
        #expect(answer["result"] as? String == "0x" + Base16.encode(extrinsic.hash), "the node reports the transaction hash: \(answer)")
        let then = try await Self.number(ofHeader: nil, on: chain)
        try await Self.until("five more blocks") { try await Self.number(ofHeader: nil, on: chain) >= then + 5 }
        #expect(try await Self.account(alice, on: chain).nonce == 1, "a dropped submission never lands")
        let again = try await chain.watch(extrinsic)
        #expect(again.statuses.last == "finalized", "\(again.statuses)")
        #expect(try await Self.account(alice, on: chain).nonce == 2)
    }

    /// Sockets killed while a transaction is watched: the watch ends with an error, and the
    /// transaction, already in the pool, lands all the same (status streams are hints).
    @_optimize(none)  // Swift 6.3.1's optimizer crashes splitting this coroutine (signal 11)
    static func killedSockets(_ alice: ChainSigner, chain: DevChain, identity: ChainIdentity) async throws {
        let stalled = try await chain.call("dev_stallFinality", "[true]")
        #expect(stalled["result"] as? Bool == true)
        let proof = Self.proof("killed")
        let call = try StorageProofCall.submit(contentID: proof.contentID, leaf: proof.leaf, siblings: proof.siblings)
        let extrinsic = try await Self.signed(call, by: alice, nonce: 2, chain: identity, on: chain)
        let watching = Task { () async throws -> [String] in try await chain.watch(extrinsic).statuses }
        try await Self.until("the transaction in a block") { try await Self.account(alice, on: chain).nonce == 3 }
        let includedBy = try await Self.number(ofHeader: nil, on: chain)  // the block holding it, or a later one
        _ = try await chain.call("dev_killSockets")
        let endedStatuses = await Self.statuses(of: watching)
        #expect(endedStatuses.last != "finalized", "the watch could not see finality through a killed socket: \(endedStatuses)")
        let resumed = try await chain.call("dev_stallFinality", "[false]")
        #expect(resumed["result"] as? Bool == false)
        try await Self.until("finality past the transaction's block") { try await Self.finalizedNumber(chain) >= includedBy }
        let record = try await Self.record(proof.contentID, on: chain)
        #expect(record.submitter == alice.accountID)
        let account = try await Self.account(alice, on: chain)
        #expect(account.nonce == 3)
    }

    /// What a watch saw before it ended, or nothing if it failed.
    static func statuses(of watch: Task<[String], any Error>) async -> [String] {
        switch await watch.result {
        case .success(let statuses): statuses
        case .failure: []
        }
    }

    /// The finalized head's number.
    static func finalizedNumber(_ chain: DevChain) async throws -> UInt64 {
        let finalizedHash = try await chain.call("chain_getFinalizedHead")["result"] as? String
        return try await Self.number(ofHeader: finalizedHash, on: chain)
    }
}

extension DevChain {
    func watch(_ extrinsic: SignedExtrinsic) async throws -> (reply: [String: Any], statuses: [String], finalizedIn: String?) {
        try await watch(bytes: extrinsic.bytes)
    }
}
