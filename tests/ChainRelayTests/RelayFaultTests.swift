import Foundation
import Synchronization
import NIOHTTP1
import NIOPosix
import PakitChain
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

/// The relay against the faults a chain and its own process throw at it: kill -9 at random
/// points, a node that loses a submission, re-orgs, dropped sockets and a runtime upgrade.
/// Each ends the same way: every acknowledged intent on the finalized chain exactly once.
@Suite("Chain relay: faults", .serialized)
struct RelayFaultTests {
    /// What the chain holds for a stream of remark intents: each acknowledged one exactly once,
    /// nothing else but the relay's own nonce fillers.
    static func checkExactlyOnce(_ labels: [String], relay: RelayProcess, chain: DevChain) async throws {
        let calls = try await relayCalls(on: chain, account: relay.signer.accountID)
        var seen: [[UInt8]: Int] = [:]
        for call in calls { seen[call, default: 0] += 1 }
        let expected = try labels.map { try SystemCall.remark(Array("pakit test \($0)".utf8)) }
        let lost = expected.filter { seen[$0] == nil }
        let duplicated = seen.filter { $0.value > 1 }
        let filler = Array("pakit relay: nonce".utf8)
        let foreign = seen.keys.filter { call in !expected.contains(call) && !call.dropFirst(3).starts(with: filler) }
        #expect(lost.isEmpty, "\(lost.count) intents never reached the chain")
        #expect(duplicated.isEmpty, "\(duplicated.count) calls are on chain more than once")
        #expect(foreign.isEmpty, "\(foreign.count) calls on chain that nobody asked for")
    }

    /// Submits `labels` as remarks; the records the relay acknowledged.
    static func submitAll(_ labels: [String], to relay: RelayProcess) async throws -> [String] {
        var ids: [String] = []
        for label in labels {
            let answer = try await relay.submit(remarkRequest(label))
            guard answer.status == 202 || answer.status == 200, let record = answer.record else { throw TestFailure("\(label): \(answer.status)") }
            ids.append(record.id)
        }
        return ids
    }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 0
        try channel.close().wait()
        return port
    }

    static func startRelayAndChain(chainOptions: [String] = []) async throws -> (RelayProcess, DevChain) {
        let relay = try await RelayProcess.make(chainURL: nil)
        let chain = try await DevChain.start(endow: [relay.signer.accountID], extra: chainOptions)
        relay.kill()
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url])
        return (relay, chain)
    }

    @Test("kill -9 of the relay at random points during a stream of submissions: nothing lost, nothing twice")
    func killNine() async throws {
        let kills = Int(ProcessInfo.processInfo.environment["PAKIT_RELAY_KILLS"] ?? "") ?? 200
        let port = try Self.freePort()
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let chain = try await DevChain.start(endow: [relay.signer.accountID])
        defer { chain.stop() }
        relay.kill()
        let arguments = relay.arguments.map { $0 == "0" ? "\(port)" : $0 } + ["--chain-url", chain.url]
        try await relay.restart(arguments: arguments)

        // The stream: one intent after another, each retried with its key until acknowledged
        // (a killed relay answers nothing; the retry gets the first submission back). Asked to
        // stop, it finishes the intent in flight first: one abandoned mid-request may already be
        // durable in the outbox, and would land on chain without being counted.
        let stop = StopFlag()
        let acknowledged = Task<[(label: String, id: String)], any Error> {
            var done: [(label: String, id: String)] = []
            var index = 0
            while !stop.isSet {
                let label = "stream-\(index)"
                while true {
                    if let answer = try? await relay.submit(remarkRequest(label)), let record = answer.record {
                        done.append((label, record.id))
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                index += 1
                try? await Task.sleep(for: .milliseconds(10))
            }
            return done
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<kills {
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...250, using: &generator)))
            relay.kill()
            try await relay.restart()
        }
        stop.set()
        let intents = try await acknowledged.value
        #expect(intents.count > kills / 2)
        let final = try await relay.waitUntilFinal(intents.map(\.id), timeout: .seconds(300))
        #expect(final.allSatisfy { $0.state == .finalized }, "\(final.filter { $0.state != .finalized }.prefix(3).map { "\($0.id): \($0.error ?? "")" })")
        try await Self.checkExactlyOnce(intents.map(\.label), relay: relay, chain: chain)
        let fillers = try await relay.list("?caller=relay&limit=1000").count
        print("relay kill -9 stream: \(kills) kills, \(intents.count) intents acknowledged, all finalized once, \(fillers) nonce fillers")
        await relay.stop()
    }

    @Test("a submission the node loses is sent again, and the nonces after it are not stranded")
    func lostSubmission() async throws {
        let (relay, chain) = try await Self.startRelayAndChain()
        defer { relay.kill(); chain.stop() }
        _ = try await chain.call("dev_dropNextSubmissions", "[1]")
        let labels = (0..<3).map { "lost-\($0)" }
        let ids = try await Self.submitAll(labels, to: relay)
        let final = try await relay.waitUntilFinal(ids)
        #expect(final.allSatisfy { $0.state == .finalized })
        try await Self.checkExactlyOnce(labels, relay: relay, chain: chain)
        let metrics = String(decoding: try await relay.request(.GET, "/metrics").body, as: UTF8.self)
        let resends = metrics.split(separator: "\n").first { $0.hasPrefix("pakit_chain_relay_resends_total ") }
        #expect((resends?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 1, "the lost submission was sent again: \(resends ?? "no series") \(metrics.split(separator: "\n").filter { $0.hasPrefix("pakit_chain_relay") })")
        await relay.stop()
    }

    @Test("a re-org retracts a submission from its block; it lands again, once")
    func reorg() async throws {
        let (relay, chain) = try await Self.startRelayAndChain()
        defer { relay.kill(); chain.stop() }
        _ = try await chain.call("dev_stallFinality", "[true]")
        let ids = try await Self.submitAll(["reorg"], to: relay)
        try await RelayEndToEndTests.eventually("the submission is in a best block") { try await relay.submission(ids[0]).state == .inBlock }
        _ = try await chain.call("dev_reorg")
        _ = try await chain.call("dev_stallFinality", "[false]")
        let final = try await relay.waitUntilFinal(ids)
        #expect(final.first?.state == .finalized)
        try await Self.checkExactlyOnce(["reorg"], relay: relay, chain: chain)
        await relay.stop()
    }

    @Test("the node drops every socket mid-stream: the relay reconnects, reconciles, and sends nothing twice")
    func socketsKilled() async throws {
        let (relay, chain) = try await Self.startRelayAndChain()
        defer { relay.kill(); chain.stop() }
        let labels = (0..<40).map { "sockets-\($0)" }
        var ids: [String] = []
        for (index, label) in labels.enumerated() {
            ids += try await Self.submitAll([label], to: relay)
            if index % 10 == 5 { _ = try await chain.call("dev_killSockets") }
        }
        let final = try await relay.waitUntilFinal(ids)
        #expect(final.allSatisfy { $0.state == .finalized })
        try await Self.checkExactlyOnce(labels, relay: relay, chain: chain)
        await relay.stop()
    }

    @Test("a runtime upgrade invalidates pending signings: they are signed again for the new runtime, with their nonces, and land once")
    func runtimeUpgrade() async throws {
        let (relay, chain) = try await Self.startRelayAndChain()
        defer { relay.kill(); chain.stop() }
        let before = (0..<5).map { "before-upgrade-\($0)" }
        let beforeIDs = try await Self.submitAll(before, to: relay)
        // The next submissions are lost by the node, so their 107 signings are still pending
        // when the runtime changes under them.
        _ = try await chain.call("dev_dropNextSubmissions", "[5]")
        let pending = (0..<5).map { "across-upgrade-\($0)" }
        let pendingIDs = try await Self.submitAll(pending, to: relay)
        let upgrade = try await chain.call("dev_upgradeRuntime", "[108]")
        #expect(upgrade["error"] == nil, "\(upgrade)")
        let after = (0..<5).map { "after-upgrade-\($0)" }
        let afterIDs = try await Self.submitAll(after, to: relay)
        let final = try await relay.waitUntilFinal(beforeIDs + pendingIDs + afterIDs)
        #expect(final.allSatisfy { $0.state == .finalized }, "\(final.filter { $0.state != .finalized }.map { $0.error ?? "" }.prefix(3))")
        try await Self.checkExactlyOnce(before + pending + after, relay: relay, chain: chain)
        let status = try await relay.status()
        #expect(status.specVersion == 108)
        print("runtime upgrade: signings of the pending submissions \(final[5..<10].map(\.signings))")
        await relay.stop()
    }

    @Test("an upgrade that moves a call the relay encodes is refused with the call named; nothing more is signed")
    func incompatibleUpgrade() async throws {
        let (relay, chain) = try await Self.startRelayAndChain()
        defer { relay.kill(); chain.stop() }
        let first = try await Self.submitAll(["compatible"], to: relay)
        _ = try await relay.waitUntilFinal(first)
        let upgrade = try await chain.call("dev_upgradeRuntime", #"[108, null, {"call_index": {"Bns.update_hosting_content": 20}}]"#)
        #expect(upgrade["error"] == nil, "\(upgrade)")
        try await RelayEndToEndTests.eventually("the relay refuses the upgraded runtime") { try await relay.status().refusal != nil }
        let refusal = try await relay.status().refusal ?? ""
        #expect(refusal.contains("update_hosting_content"), "\(refusal)")
        let ready = try await relay.request(.GET, "/ready")
        #expect(ready.status == 503)
        let queued = try await Self.submitAll(["after-incompatible"], to: relay)
        let start = try await chain.finalizedHead().number
        try await RelayEndToEndTests.eventually("five more finalized blocks") { try await chain.finalizedHead().number >= start + 5 }
        #expect(try await relay.submission(queued[0]).state == .queued)
        try await Self.checkExactlyOnce(["compatible"], relay: relay, chain: chain)
        await relay.stop()
    }

    @Test("a signing whose era ends before it can land is signed again with the same nonce, and lands once")
    func expiredEra() async throws {
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let chain = try await DevChain.start(endow: [relay.signer.accountID])
        defer { chain.stop() }
        relay.kill()
        // Eras of 4 blocks, and the node loses the next five sends: more than a 4-block era can
        // hold at one resend every 2 blocks, so what lands is a later signing.
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url, "--era-period", "4"])
        _ = try await chain.call("dev_dropNextSubmissions", "[5]")
        let ids = try await Self.submitAll(["expiring"], to: relay)
        let final = try await relay.waitUntilFinal(ids)
        #expect(final.first?.state == .finalized)
        #expect((final.first?.signings ?? 0) >= 2, "signings: \(final.first?.signings ?? 0)")
        #expect(final.first?.nonce == 0)
        try await Self.checkExactlyOnce(["expiring"], relay: relay, chain: chain)
        await relay.stop()
    }

    @Test("ContentAlreadyProven is success when the stored proof names the relay, and a failure naming the error when another account proved first")
    func contentAlreadyProven() async throws {
        let relay = try await RelayProcess.make(chainURL: nil)
        defer { relay.kill() }
        let other = try ChainSigner(seed: Array(repeating: 0x31, count: 32))
        let chain = try await DevChain.start(endow: [relay.signer.accountID, other.accountID])
        defer { chain.stop() }
        relay.kill()
        try await relay.restart(arguments: relay.arguments + ["--chain-url", chain.url])

        // The same proof under two keys: the second lands as ContentAlreadyProven, and the
        // stored record names the relay, so both count as anchored.
        let mine = RelayEndToEndTests.proofCall("mine")
        let first = try #require(try await relay.submit(SubmissionRequest(idempotencyKey: "proof:first", call: mine)).record)
        _ = try await relay.waitUntilFinal([first.id])
        let second = try #require(try await relay.submit(SubmissionRequest(idempotencyKey: "proof:second", call: mine)).record)
        let again = try #require(try await relay.waitUntilFinal([second.id]).first)
        #expect(again.state == .finalized && again.note?.contains("ContentAlreadyProven") == true, "\(again)")

        // Another account proves content first: the relay's submission fails with the error named.
        let theirs = RelayEndToEndTests.proof("theirs")
        try await RelayEndToEndTests.paid(try StorageProofCall.submit(contentID: theirs.contentID, leaf: theirs.leaf, siblings: theirs.siblings),
                                          by: other, nonce: 0, on: chain)
        let late = try #require(try await relay.submit(SubmissionRequest(idempotencyKey: "proof:late", call: RelayEndToEndTests.proofCall("theirs"))).record)
        let lost = try #require(try await relay.waitUntilFinal([late.id]).first)
        #expect(lost.state == .failed && lost.error == "StorageProof.ContentAlreadyProven" && lost.blockNumber != nil, "\(lost)")
        await relay.stop()
    }
}

/// A one-way switch another task reads.
final class StopFlag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
