import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PakitChain
import PakitContracts
import PakitCore
import PakitTestSupport

/// One `pakit-chain-relay` process with its own data directory (certificates from `pakit
/// init`), an account key the test chose, and a client presenting the operator's certificate.
final class RelayProcess: @unchecked Sendable {
    let directory: String
    let signer: ChainSigner
    let keyFile: String
    private(set) var process: Process
    private(set) var url: String
    let client: HTTPClient
    var arguments: [String]

    static func make(chainURL: String?, extra: [String] = []) async throws -> RelayProcess {
        let directory = NSTemporaryDirectory() + "pakit-relay-\(UUID().uuidString.prefix(8))"
        _ = try await runProcess(try BuiltProduct.path("pakit"), ["init", "--data", directory])
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let keyFile = "\(directory)/relay-seed.key"
        FileManager.default.createFile(atPath: keyFile, contents: Data(("0x" + Base16.encode(seed) + "\n").utf8), attributes: [.posixPermissions: 0o600])
        var arguments = ["--data-dir", directory, "--port", "0", "--log-level", "warning", "--key-file", keyFile] + extra
        if let chainURL { arguments += ["--chain-url", chainURL] }
        let (process, url) = try await launch(directory: directory, arguments: arguments)
        let client = try TestTLS.client(presenting: "operator", dataDirectory: directory)
        return RelayProcess(directory: directory, signer: try ChainSigner(seed: seed), keyFile: keyFile, process: process, url: url,
                            client: client, arguments: arguments)
    }

    private init(directory: String, signer: ChainSigner, keyFile: String, process: Process, url: String, client: HTTPClient, arguments: [String]) {
        self.directory = directory
        self.signer = signer
        self.keyFile = keyFile
        self.process = process
        self.url = url
        self.client = client
        self.arguments = arguments
    }

    static func launch(directory: String, arguments: [String]) async throws -> (Process, String) {
        try? FileManager.default.removeItem(atPath: "\(directory)/chain-relay.url")
        let process = try ServiceProcess.launch(try BuiltProduct.path("pakit-chain-relay"), arguments)
        let url = try await ServiceProcess.waitForFile("\(directory)/chain-relay.url", while: process, timeout: .seconds(60))
        return (process, url)
    }

    func kill() { ServiceProcess.kill(process) }

    /// Starts the relay again (killing the running one first: one writer per account).
    func restart(arguments: [String]? = nil) async throws {
        ServiceProcess.kill(process)
        if let arguments { self.arguments = arguments }
        (process, url) = try await Self.launch(directory: directory, arguments: self.arguments)
    }

    func stop() async {
        ServiceProcess.kill(process)
        try? await client.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A request; the status and the body.
    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(bytes.readableBytesView))
    }

    func submit(_ submission: SubmissionRequest) async throws -> (status: Int, record: SubmissionRecord?) {
        let answer = try await request(.POST, "/internal/v1/submissions", body: try JSONEncoder().encode(submission))
        return (answer.status, try? JSONDecoder().decode(SubmissionRecord.self, from: answer.body))
    }

    func submission(_ id: String) async throws -> SubmissionRecord {
        let answer = try await request(.GET, "/v1/submissions/\(id)")
        guard answer.status == 200 else { throw TestFailure("GET /v1/submissions/\(id): \(answer.status)") }
        return try JSONDecoder().decode(SubmissionRecord.self, from: answer.body)
    }

    func list(_ query: String = "") async throws -> [SubmissionRecord] {
        let answer = try await request(.GET, "/v1/submissions\(query)")
        guard answer.status == 200 else { throw TestFailure("GET /v1/submissions\(query): \(answer.status)") }
        return try JSONDecoder().decode(SubmissionListResponse.self, from: answer.body).submissions
    }

    func status() async throws -> RelayChainStatus {
        let answer = try await request(.GET, "/v1/chain")
        guard answer.status == 200 else { throw TestFailure("GET /v1/chain: \(answer.status)") }
        return try JSONDecoder().decode(RelayChainStatus.self, from: answer.body)
    }

    /// Waits until every id is final (the relay only finalizes from finalized blocks).
    func waitUntilFinal(_ ids: [String], timeout: Duration = .seconds(120)) async throws -> [SubmissionRecord] {
        let deadline = ContinuousClock.now + timeout
        var last: [SubmissionRecord] = []
        while ContinuousClock.now < deadline {
            last = []
            for id in ids { last.append(try await submission(id)) }
            if last.allSatisfy(\.state.isFinal) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        let pending = last.filter { !$0.state.isFinal }.map { "\($0.id) \($0.state.rawValue) nonce \($0.nonce.map(String.init) ?? "-") \($0.error ?? "")" }
        throw TestFailure("\(pending.count) submissions not final within \(timeout): \(pending.prefix(5))")
    }
}

/// A unique remark: every intent of a stream test is its own bytes on chain, so duplicates and
/// losses are counted from the blocks.
func remarkRequest(_ label: String) -> SubmissionRequest {
    SubmissionRequest(idempotencyKey: "test:\(label)", call: .remark(hex: Base16.encode(Array("pakit test \(label)".utf8))))
}

/// The calls the relay's account has in the finalized chain, in order.
func relayCalls(on chain: DevChain, account: [UInt8]) async throws -> [[UInt8]] {
    var calls: [[UInt8]] = []
    for block in try await chain.finalizedExtrinsics() {
        for bytes in block.extrinsics {
            if case .signed(let signed) = try DecodedExtrinsic.decode(bytes), signed.accountID == account { calls.append(signed.call) }
        }
    }
    return calls
}
