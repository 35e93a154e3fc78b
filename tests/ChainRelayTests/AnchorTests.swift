import Foundation
import PakitChain
import PakitCore
import PakitIdentity
import PakitTestSupport
import Testing

/// `pakit up --devchain`, `pakit add` and `pakit anchor`, each a real process: a file added on a
/// node is anchored on the dev chain (a labelled development stand-in) with one command.
@Suite("pakit anchor: files anchored on the chain")
struct AnchorTests {
    static func pakit(_ arguments: [String], data: String) async throws -> String {
        let result = try await runProcess(try BuiltProduct.path("pakit"), arguments + ["--data", data])
        guard result.status == 0 else { throw TestFailure("pakit \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.output
    }

    @Test("pakit up --devchain; pakit add; pakit anchor waits for the finalized block; the chain's record names the relay; anchoring again is the same submission")
    func anchorOnChain() async throws {
        let data = NSTemporaryDirectory() + "pakit-anchor-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let up = Process()
        up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
        up.arguments = ["up", "--data", data, "--port", "0", "--no-prover", "--devchain"]
        up.standardOutput = FileHandle.nullDevice
        up.standardError = FileHandle.nullDevice
        try up.run()
        defer { ServiceProcess.killTree(up) }
        _ = try await ServiceProcess.waitForFile("\(data)/mesh-gateway.url", while: up, timeout: .seconds(120))
        let chainURL = try String(contentsOfFile: "\(data)/devchain.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let chain = DevChain(process: up, url: chainURL)
        let relayAccount = Array(try NodeIdentity.loadOrCreate(file: NodeIdentity.chainRelayKeyPath(dataDirectory: data)).publicKey.rawRepresentation)

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
        #expect(unknown.status != 0 && unknown.stderr.contains("not a file added on this node"), "\(unknown.stderr)")
        let calls = try await relayCalls(on: chain, account: relayAccount)
        #expect(calls.count == 2)
        await up.terminated()
        #expect(up.terminationStatus == 0)
    }
}
