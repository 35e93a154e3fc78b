import Foundation
import NIOHTTP1
import PakitChain
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

/// `pakit-chain-relay` against the dev chain (tools/devchain, a labelled development stand-in
/// for a BelizeChain node): submissions through the real HTTPS API, signed by the relay's key,
/// checked on the chain through an independent client (rpc.py, scalecodec).
@Suite("Chain relay: durable, exactly-once submissions", .serialized)
struct RelayEndToEndTests {
    static let dalla: UInt64 = 1_000_000_000_000

    static func proof(_ label: String) -> (contentID: [UInt8], leaf: [UInt8], siblings: [MerkleStep]) {
        let leaves = (0..<4).map { Blake2b.hash256(Array("\(label)-\($0)".utf8)) }
        let tree = BinaryMerkleTree(leafHashes: leaves)
        return (tree.root, leaves[2], tree.proof(forLeaf: 2) ?? [])
    }

    static func proofCall(_ label: String) -> ChainCall {
        let proof = proof(label)
        return .submitStorageProof(contentID: Base16.encode(proof.contentID), leaf: Base16.encode(proof.leaf),
                                   siblings: proof.siblings.map { ChainMerkleStep(node: Base16.encode($0.node), nodeIsLeft: $0.nodeIsLeft) })
    }

    static func account(_ id: [UInt8], on chain: DevChain) async throws -> StorageValue.AccountInfo? {
        try await chain.storage(try StorageValue.AccountInfo.key(id)).map { try StorageValue.AccountInfo.decode($0) }
    }

    @Test("a proof, a payment and a remark are each finalized once; retries, conflicts and bad input change nothing")
    func endToEnd() async throws {
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let chain = try await DevChain.start(endow: [relay.signer.accountID])
        defer { chain.stop() }
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url])

        let bob = try ChainSigner(seed: Array(repeating: 0x42, count: 32))
        let requests = [
            SubmissionRequest(idempotencyKey: "anchor:one", call: Self.proofCall("one")),
            SubmissionRequest(idempotencyKey: "pay:bob", call: .transfer(to: SS58.encode(bob.accountID), planck: "\(3 * Self.dalla)", keepAlive: true)),
            remarkRequest("hello"),
        ]
        var ids: [String] = []
        for request in requests {
            let answer = try await relay.submit(request)
            #expect(answer.status == 202)
            let record = try #require(answer.record)
            #expect(record.caller == "operator")
            #expect(record.call == request.call)
            ids.append(record.id)
        }
        try await Self.refusals(relay, firstID: ids[0], first: requests[0])

        let final = try await relay.waitUntilFinal(ids)
        for record in final {
            #expect(record.state == .finalized, "\(record.call.name): \(record.error ?? "")")
            #expect(record.blockNumber != nil && record.txHash != nil && record.nonce != nil)
        }
        #expect(Set(final.compactMap(\.nonce)) == [0, 1, 2])

        // The chain agrees: the proof names the relay, Bob holds the payment, each call is there once.
        let proof = Self.proof("one")
        let stored = try #require(try await chain.storage(StorageValue.ProofRecord.key(contentID: proof.contentID)))
        #expect(try StorageValue.ProofRecord.decode(stored).submitter == relay.signer.accountID)
        #expect(try await Self.account(bob.accountID, on: chain)?.free == UInt128(3 * Self.dalla))
        let calls = try await relayCalls(on: chain, account: relay.signer.accountID)
        let expected = try requests.map { try Self.callBytes($0.call) }
        #expect(calls == expected)
        let status = try await relay.status()
        #expect(status.connected && status.refusal == nil && status.chainNonce == 3 && status.nextNonce == 3)
        #expect(status.counts["finalized"] == 3)
        let metrics = String(decoding: try await relay.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"pakit_chain_relay_submissions_total{outcome="finalized"} 3"#), "\(metrics.prefix(3000))")
        #expect(metrics.contains(#"pakit_chain_relay_signings_total{reason="new"} 3"#))
        await relay.stop()
    }

    static func callBytes(_ call: ChainCall) throws -> [UInt8] {
        switch call {
        case .remark(let hex): try SystemCall.remark(try #require(Hex.decode(hex)))
        case .transfer(let to, let planck, _): try BalancesCall.transferKeepAlive(to: try SS58.decode(to), planck: try #require(UInt128(planck)))
        case .submitStorageProof:
            try StorageProofCall.submit(contentID: proof("one").contentID, leaf: proof("one").leaf, siblings: proof("one").siblings)
        default: throw TestFailure("no expected bytes for \(call.name)")
        }
    }

    /// A retry gets the first submission; another call under its key is a conflict; malformed
    /// requests are 400s; none of them adds a row.
    static func refusals(_ relay: RelayProcess, firstID: String, first: SubmissionRequest) async throws {
        let retry = try await relay.submit(first)
        #expect(retry.status == 200)
        #expect(retry.record?.id == firstID)
        let conflict = try await relay.submit(SubmissionRequest(idempotencyKey: first.idempotencyKey, call: .remark(hex: "00")))
        #expect(conflict.status == 409)
        let proof = proof("bad")
        let wrongPath = SubmissionRequest(idempotencyKey: "bad:path", call: .submitStorageProof(
            contentID: Base16.encode(proof.contentID), leaf: Base16.encode(Blake2b.hash256([1])),
            siblings: proof.siblings.map { ChainMerkleStep(node: Base16.encode($0.node), nodeIsLeft: $0.nodeIsLeft) }))
        let bodies: [String] = [
            String(decoding: try JSONEncoder().encode(wrongPath), as: UTF8.self),
            #"{"idempotencyKey": "x", "call": {"call": "Sudo.sudo", "args": {}}}"#,
            #"{"idempotencyKey": "bad key!", "call": {"call": "System.remark", "args": {"remark": "00"}}}"#,
            #"{"idempotencyKey": "y", "call": {"call": "Balances.transfer_keep_alive", "args": {"to": "nobody", "planck": "1"}}}"#,
            #"{"idempotencyKey": "z", "call": {"call": "Balances.transfer_keep_alive", "args": {"to": "0x\#(String(repeating: "11", count: 32))", "planck": "-5"}}}"#,
            #"{"idempotencyKey": "w", "call": {"call": "Bns.register_domain", "args": {"domain": "UPPER.bz"}}}"#,
            "not json",
        ]
        for body in bodies {
            let answer = try await relay.request(.POST, "/internal/v1/submissions", body: Data(body.utf8))
            #expect(answer.status == 400, "\(body.prefix(60)): \(answer.status)")
            let envelope = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            #expect(envelope?["error"] != nil, "\(body.prefix(60)) answered no error envelope")
        }
        #expect(try await relay.list().count == 3)
        let unknown = try await relay.request(.GET, "/v1/submissions/sub_nothing")
        #expect(unknown.status == 404)
        let badFilter = try await relay.request(.GET, "/v1/submissions?state=lost")
        #expect(badFilter.status == 400)
    }

    @Test("without a chain the outbox keeps submissions; a refused chain signs nothing; a good one takes them all")
    func waitsForAChain() async throws {
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let queued = try #require(try await relay.submit(remarkRequest("waiting")).record)
        #expect(queued.state == .queued)
        let noChain = try await relay.status()
        #expect(!noChain.connected && noChain.counts["queued"] == 1)

        let chain = try await DevChain.start(endow: [relay.signer.accountID])
        defer { chain.stop() }
        let otherGenesis = "0x" + String(repeating: "11", count: 32)
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url, "--chain-genesis", otherGenesis])
        try await Self.eventually("the relay refuses the chain") { try await relay.status().refusal != nil }
        let refused = try await relay.status()
        #expect(refused.refusal?.contains(otherGenesis) == true, "\(refused.refusal ?? "")")
        let ready = try await relay.request(.GET, "/ready")
        #expect(ready.status == 503)
        #expect(String(decoding: ready.body, as: UTF8.self).contains("chain_refused"))
        // Blocks pass; nothing is signed for a chain the relay refuses.
        let start = try await chain.finalizedHead().number
        try await Self.eventually("five more finalized blocks") { try await chain.finalizedHead().number >= start + 5 }
        #expect(try await relay.submission(queued.id).state == .queued)
        #expect(try await relayCalls(on: chain, account: relay.signer.accountID).isEmpty)

        relay.kill()
        try await relay.restart(arguments: relay.arguments.filter { $0 != otherGenesis && $0 != "--chain-genesis" })
        let final = try await relay.waitUntilFinal([queued.id])
        #expect(final.first?.state == .finalized)
        #expect(try await relayCalls(on: chain, account: relay.signer.accountID).count == 1)
        await relay.stop()
    }

    static func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(what) did not happen within \(timeout)")
    }

    /// A payer's own extrinsic, signed with PakitChain against the chain's finalized head.
    static func paid(_ call: [UInt8], by payer: ChainSigner, nonce: UInt32, on chain: DevChain) async throws {
        let genesis = try #require(try await chain.call("chain_getBlockHash", "[0]")["result"] as? String)
        let head = try await chain.finalizedHead()
        let identity = try ChainIdentity(genesisHash: try Base16.decode(genesis.dropFirst(2)), specVersion: 107, transactionVersion: 1)
        let terms = try TransactionTerms(era: .mortal(period: 64, current: head.number), birthHash: head.hash, nonce: nonce)
        let watched = try await chain.watch(bytes: try SignedExtrinsic.sign(call: call, terms: terms, chain: identity, signer: payer).bytes)
        #expect(watched.finalizedIn != nil, "\(watched.reply) \(watched.statuses)")
    }

    static func payments(_ relay: RelayProcess, _ query: String) async throws -> PaymentListResponse {
        let answer = try await relay.request(.GET, "/v1/payments\(query)")
        guard answer.status == 200 else { throw TestFailure("GET /v1/payments\(query): \(answer.status)") }
        return try JSONDecoder().decode(PaymentListResponse.self, from: answer.body)
    }

    @Test("payments to the relay's account in DALLA and bBZD are recognised from finalized events, once, also after a kill -9")
    func incomingPayments() async throws {
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let payer = try ChainSigner(seed: Array(repeating: 0x5a, count: 32))
        let relayHex = Base16.encode(relay.signer.accountID)
        let payerHex = Base16.encode(payer.accountID)
        let chain = try await DevChain.start(endow: [relay.signer.accountID, payer.accountID],
                                             extra: ["--kyc", relayHex, "--kyc", payerHex, "--endow-bbzd", "\(payerHex)=\(50 * Self.dalla)"])
        defer { chain.stop() }
        relay.kill()
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url])
        _ = try await relay.waitUntilFinal(try await RelayFaultTests.submitAll(["before-payments"], to: relay))

        try await Self.paid(try BalancesCall.transferKeepAlive(to: relay.signer.accountID, planck: UInt128(7 * Self.dalla)), by: payer, nonce: 0, on: chain)
        try await Self.paid(try EconomyCall.transferBBZD(to: relay.signer.accountID, amount: UInt128(2 * Self.dalla)), by: payer, nonce: 1, on: chain)
        let query = "?payer=\(SS58.encode(payer.accountID))"
        try await Self.eventually("both payments are recorded") { try await Self.payments(relay, query).payments.count == 2 }
        let recorded = try await Self.payments(relay, query)
        #expect(recorded.payments.map(\.asset) == ["DALLA", "bBZD"])
        #expect(recorded.payments.map(\.amount) == ["\(7 * Self.dalla)", "\(2 * Self.dalla)"])
        #expect(recorded.payments.allSatisfy { $0.extrinsicIndex != nil && $0.payer == SS58.encode(payer.accountID) })
        #expect(recorded.totals == ["DALLA": "\(7 * Self.dalla)", "bBZD": "\(2 * Self.dalla)"])

        // A restart re-reads nothing twice; the cursor pages past what was seen.
        relay.kill()
        try await relay.restart()
        _ = try await relay.waitUntilFinal(try await RelayFaultTests.submitAll(["after-restart"], to: relay))
        #expect(try await Self.payments(relay, query).payments.count == 2)
        let last = try #require(recorded.payments.last?.id)
        #expect(try await Self.payments(relay, "?after=\(last)").payments.isEmpty)
        let bad = try await relay.request(.GET, "/v1/payments?payer=nobody")
        #expect(bad.status == 400)
        await relay.stop()
    }
}
