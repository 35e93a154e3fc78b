import Foundation
import PakitChain
import PakitContracts
import PakitCore
import PakitIdentity
import PakitTestSupport
import Testing

/// `pakit up --devchain`, `pakit add` and `pakit anchor`, each a real process: a file added on a
/// node is anchored on the dev chain (a labelled development stand-in) with one command.
@Suite("pakit anchor: files anchored on the chain")
struct AnchorTests {
    /// `pakit up --devchain` in `data` (no prover), once every service listens: the process, the
    /// dev chain it started, and the relay's account.
    static func startNode(data: String, extra: [String] = [], environment: [String: String] = [:]) async throws
        -> (up: Process, chain: DevChain, relayAccount: [UInt8]) {
        let up = Process()
        up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
        up.arguments = ["up", "--data", data, "--port", "0", "--no-prover", "--devchain"] + extra
        up.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        up.standardOutput = FileHandle.nullDevice
        up.standardError = FileHandle.nullDevice
        try up.run()
        do {
            _ = try await ServiceProcess.waitForFile("\(data)/mesh-gateway.url", while: up, timeout: .seconds(120))
            let url = try String(contentsOfFile: "\(data)/devchain.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let account = Array(try NodeIdentity.loadOrCreate(file: NodeIdentity.chainRelayKeyPath(dataDirectory: data)).publicKey.rawRepresentation)
            return (up, DevChain(process: up, url: url), account)
        } catch {
            ServiceProcess.killTree(up)
            throw error
        }
    }

    static func pakit(_ arguments: [String], data: String) async throws -> String {
        let result = try await runProcess(try BuiltProduct.path("pakit"), arguments + ["--data", data])
        guard result.status == 0 else { throw TestFailure("pakit \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.output
    }

    @Test("pakit up --devchain; pakit add; pakit anchor waits for the finalized block; the chain's record names the relay; anchoring again is the same submission")
    func anchorOnChain() async throws {
        let data = NSTemporaryDirectory() + "pakit-anchor-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (up, chain, relayAccount) = try await Self.startNode(data: data)
        defer { ServiceProcess.killTree(up) }

        // A one-leaf file and a file of several leaves (1 MiB chunks by default: 2.5 MiB is three).
        for (name, size) in [("note.txt", 2_000), ("report.bin", 2_500_000)] {
            let file = "\(data)/\(name)"
            try Data(randomBytes(size, seed: UInt64(size))).write(to: URL(fileURLWithPath: file))
            let cid = try await Self.pakit(["add", "-q", file], data: data).trimmingCharacters(in: .whitespacesAndNewlines)
            let output = try await Self.pakit(["anchor", cid], data: data)
            #expect(output.contains("anchored \(cid) in finalized block"), "\(output)")
            let contentID = try #require(output.split(separator: "\n").first.flatMap { line in
                line.range(of: "content id 0x").map { String(line[$0.upperBound...].prefix(64)) }
            })
            let record = try #require(try await chain.storage(StorageValue.ProofRecord.key(contentID: try Base16.decode(contentID))))
            #expect(try StorageValue.ProofRecord.decode(record).submitter == relayAccount)
            let again = try await Self.pakit(["anchor", cid], data: data)
            #expect(again.split(separator: " ").dropFirst().first == output.split(separator: " ").dropFirst().first, "\(again)")
        }
        // Bad input is refused and nothing is submitted.
        let unknown = try await runProcess(try BuiltProduct.path("pakit"), ["anchor", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "--data", data])
        #expect(unknown.status != 0 && unknown.stderr.contains("not stored on this node"), "\(unknown.stderr)")
        let calls = try await relayCalls(on: chain, account: relayAccount)
        #expect(calls.count == 2)
        await up.terminated()
        #expect(up.terminationStatus == 0)
    }

    /// `curl` with a Host header (HTTP/2 sends it as :authority), trusting the node's CA.
    static func get(_ path: String, host: String, data: String, extra: [String] = []) async throws -> (status: Int, body: String) {
        let url = try String(contentsOfFile: "\(data)/storage.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await runProcess("/usr/bin/curl", ["-sS", "--http2", "--cacert", "\(data)/tls/ca.pem", "-H", "Host: \(host)",
                                                            "-w", "\n%{http_code}", url + path] + extra)
        guard result.status == 0 else { throw TestFailure("curl \(path): \(result.stderr)") }
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.removeLast()) ?? 0
        return (status, lines.joined(separator: "\n"))
    }

    static func site(_ version: String, in data: String) throws -> String {
        let directory = "\(data)/site-\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("<h1>clinic \(version)</h1>".utf8).write(to: URL(fileURLWithPath: "\(directory)/index.html"))
        try Data("<h1>not here</h1>".utf8).write(to: URL(fileURLWithPath: "\(directory)/404.html"))
        try Data("body { color: teal }".utf8).write(to: URL(fileURLWithPath: "\(directory)/style.css"))
        return directory
    }

    @Test("pakit site publish registers a .bz name; storage serves it by Host header with index.html, ranges and the site's 404 page; an update is served once finalized")
    func bzSite() async throws {
        let data = NSTemporaryDirectory() + "pakit-site-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (up, _, _) = try await Self.startNode(data: data)
        defer { ServiceProcess.killTree(up) }

        let first = try await Self.pakit(["add", "-r", "-q", try Self.site("v1", in: data)], data: data)
            .split(separator: "\n").last.map(String.init) ?? ""
        let published = try await Self.pakit(["site", "publish", first, "clinic.bz"], data: data)
        #expect(published.contains("Bns.register_domain: finalized") && published.contains("Bns.activate_hosting: finalized"), "\(published)")
        #expect(published.contains("clinic.bz → \(first)"), "\(published)")

        let index = try await Self.get("/", host: "clinic.bz", data: data)
        #expect(index.status == 200 && index.body == "<h1>clinic v1</h1>", "\(index)")
        let css = try await Self.get("/style.css", host: "clinic.bz", data: data, extra: ["-H", "Range: bytes=0-3"])
        #expect(css.status == 206 && css.body == "body", "\(css)")
        let missing = try await Self.get("/nothing/here", host: "clinic.bz", data: data)
        #expect(missing.status == 404 && missing.body == "<h1>not here</h1>", "\(missing)")
        let unknown = try await Self.get("/", host: "nobody.bz", data: data)
        #expect(unknown.status == 404 && unknown.body.contains("no hosting record"), "\(unknown)")
        let api = try await Self.get("/v1/pins", host: "127.0.0.1", data: data)
        #expect(api.status == 200, "any other host is the API: \(api)")

        // A new root: update_hosting_content, served once its block is finalized (the cache's TTL after).
        let second = try await Self.pakit(["add", "-r", "-q", try Self.site("v2", in: data)], data: data)
            .split(separator: "\n").last.map(String.init) ?? ""
        let updated = try await Self.pakit(["site", "publish", second, "clinic.bz"], data: data)
        #expect(updated.contains("Bns.update_hosting_content: finalized"), "\(updated)")
        let deadline = ContinuousClock.now + .seconds(30)
        var served = ""
        while ContinuousClock.now < deadline {
            served = try await Self.get("/", host: "clinic.bz", data: data).body
            if served == "<h1>clinic v2</h1>" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(served == "<h1>clinic v2</h1>")
        let show = try await Self.pakit(["site", "show", "clinic.bz"], data: data)
        #expect(show.contains("clinic.bz → \(second)"), "\(show)")
        await up.terminated()
    }

    @Test("DALLA paid to the relay's account becomes storage quota at the node's price, each payment once, also across a kill -9 of storage")
    func paymentsBecomeQuota() async throws {
        let data = NSTemporaryDirectory() + "pakit-quota-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let payer = try ChainSigner(seed: Array(repeating: 0x77, count: 32))
        let dalla: UInt64 = 1_000_000_000_000
        let (up, chain, relayAccount) = try await Self.startNode(
            data: data, extra: ["--devchain-endow", "\(Base16.encode(payer.accountID))=\(10 * dalla)"],
            environment: ["PAKIT_STORAGE_QUOTA_PLANCK_PER_MIB": "\(dalla)"])
        defer { ServiceProcess.killTree(up) }
        let payerSS58 = SS58.encode(payer.accountID)

        func quota() async throws -> QuotaRecord {
            let answer = try await Self.get("/v1/quotas/\(payerSS58)", host: "127.0.0.1", data: data)
            guard answer.status == 200 else { throw TestFailure("GET /v1/quotas: \(answer)") }
            return try JSONDecoder().decode(QuotaRecord.self, from: Data(answer.body.utf8))
        }
        #expect(try await quota().quotaBytes == 0)
        try await RelayEndToEndTests.paid(try BalancesCall.transferKeepAlive(to: relayAccount, planck: UInt128(3 * dalla)), by: payer, nonce: 0, on: chain)
        try await RelayEndToEndTests.eventually("3 DALLA become 3 MiB") { try await quota().quotaBytes == 3 << 20 }
        #expect(try await quota().creditedPlanck == "\(3 * dalla)")

        // Storage killed and restarted by pakit up: the next payment is credited, the first not again.
        let storage = try #require(ServiceProcess.children(of: up.processIdentifier).first { ServiceProcess.commandLine(of: $0).contains("pakit-storage") })
        try? FileManager.default.removeItem(atPath: "\(data)/storage.url")
        kill(storage, SIGKILL)
        _ = try await ServiceProcess.waitForFile("\(data)/storage.url", while: up, timeout: .seconds(60))
        try await RelayEndToEndTests.paid(try BalancesCall.transferKeepAlive(to: relayAccount, planck: UInt128(dalla)), by: payer, nonce: 1, on: chain)
        try await RelayEndToEndTests.eventually("the second payment is credited") { try await quota().payments == 2 }
        let final = try await quota()
        #expect(final.quotaBytes == 4 << 20 && final.creditedPlanck == "\(4 * dalla)", "\(final)")
        let bad = try await Self.get("/v1/quotas/nobody", host: "127.0.0.1", data: data)
        #expect(bad.status == 400)
        await up.terminated()
    }
}
