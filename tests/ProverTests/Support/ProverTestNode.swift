import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PakitContracts
import PakitHTTPClient
import PakitObservability
import PakitTLS
import PakitService
import PakitTestSupport
import Testing
@testable import ProverService

/// A prover running in-process on a free port over real HTTPS (HTTP/2, mutual TLS through the
/// runtime's client), with one client that presents storage's certificate from the node CA (the
/// caller the prover's API admits) and one that presents none.
final class ProverTestNode: @unchecked Sendable {
    let dataDirectory: String
    let host: ServiceHost<ProverNode>
    var node: ProverNode { host.node }
    let baseURL: String
    let client: HTTPClient
    let mtlsClient: HTTPClient
    private let ownsDirectory: Bool

    /// The circuits most tests use: the single proof and a 3-chunk batch (≈ 11k constraints),
    /// small enough that proofs take about a second in a debug build.
    static let testCircuits = "storage-single,storage-batch-3"

    /// Starts a node and waits until every key is ready. Keys come from `keysDirectory`
    /// (default: the test run's shared cache, so the development setups run once per run).
    static func start(
        circuits: String = testCircuits, keysDirectory: String? = nil, extraArguments: [String] = [],
        dataDirectory: String? = nil
    ) async throws -> ProverTestNode {
        ServiceBootstrap.bootstrap(logLevel: .warning)
        let directory = dataDirectory ?? NSTemporaryDirectory() + "pakit-prover-test-\(UUID().uuidString)"
        let keys: String
        if let keysDirectory { keys = keysDirectory } else { keys = try await SharedKeys.directory }
        // The bootstrap step (`pakit init`): the prover's certificate and its caller's.
        let issued = try NodeCertificates.issue(in: "\(directory)/tls", identities: ["prover", "storage", NodeCertificates.operatorName])
        var logger = Logger(label: "test.prover")
        logger.logLevel = .warning
        let host = try await ServiceHost<ProverNode>.start(
            arguments: ["--data-dir", directory, "--port", "0", "--circuits", circuits, "--keys-dir", keys,
                        "--instance", "test-\(UUID().uuidString.prefix(8))"] + extraArguments,
            environment: [:], logger: logger)
        do {
            try await host.node.prepareKeys()
        } catch {
            await host.stop()
            throw error
        }
        let ca = try NIOSSLCertificate.fromPEMFile("\(directory)/tls/ca.pem")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(ca)
        guard let caller = issued["storage"] else { throw TestFailure("no storage certificate") }
        return ProverTestNode(dataDirectory: directory, host: host, baseURL: "https://127.0.0.1:\(host.port)",
                              client: ServiceClient.make(tls: tls), mtlsClient: ServiceClient.make(tls: try caller.clientConfiguration()),
                              ownsDirectory: dataDirectory == nil)
    }

    private init(dataDirectory: String, host: ServiceHost<ProverNode>, baseURL: String, client: HTTPClient, mtlsClient: HTTPClient,
                 ownsDirectory: Bool) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.baseURL = baseURL
        self.client = client
        self.mtlsClient = mtlsClient
        self.ownsDirectory = ownsDirectory
    }

    /// A client presenting `identity`'s certificate from this node's CA (shut it down after use).
    func client(presenting identity: String) throws -> HTTPClient {
        let paths = try NodeCertificates.issue(in: "\(dataDirectory)/tls", identities: [identity])
        guard let tls = paths[identity] else { throw TestFailure("no certificate for \(identity)") }
        return ServiceClient.make(tls: try tls.clientConfiguration())
    }

    func stop() async {
        try? await client.shutdown()
        try? await mtlsClient.shutdown()
        await host.stop()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    /// Runs `body` with a fresh node and always stops it.
    static func with(
        circuits: String = testCircuits, keysDirectory: String? = nil, extraArguments: [String] = [],
        _ body: (ProverTestNode) async throws -> Void
    ) async throws {
        let node = try await start(circuits: circuits, keysDirectory: keysDirectory, extraArguments: extraArguments)
        do {
            try await body(node)
            await node.stop()
        } catch {
            await node.stop()
            throw error
        }
    }

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: [UInt8]
        let version: HTTPVersion

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(T.self, from: Data(body))
            } catch {
                throw TestFailure("cannot decode \(T.self) from \(status): \(text.prefix(500))")
            }
        }

        var errorCode: String? { (try? decode(ErrorEnvelope.self))?.error.code }
        var errorMessage: String { (try? decode(ErrorEnvelope.self))?.error.message ?? "" }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One request over HTTPS; with the client certificate unless `mutualTLS` is false.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = [],
              mutualTLS: Bool = true) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await (mutualTLS ? mtlsClient : client).execute(request, timeout: .seconds(600))
        let collected = try await response.body.collect(upTo: 1 << 30)
        return Reply(status: response.status, headers: response.headers, body: Array(collected.readableBytesView), version: response.version)
    }

    func json<B: Encodable>(_ path: String, _ value: B, mutualTLS: Bool = true) async throws -> Reply {
        try await send(.POST, path, body: Array(try JSONEncoder().encode(value)), headers: [("Content-Type", "application/json")],
                       mutualTLS: mutualTLS)
    }

    /// `POST /v1/prove`, requiring success.
    func prove(_ request: ProveRequest) async throws -> ProveResponse {
        let reply = try await json("/v1/prove", request)
        guard reply.status == .ok else { throw TestFailure("prove failed: \(reply.status) \(reply.text)") }
        return try reply.decode(ProveResponse.self)
    }

    /// `POST /v1/verify`, requiring a 200.
    func verify(_ request: VerifyRequest) async throws -> VerifyResponse {
        let reply = try await json("/v1/verify", request)
        guard reply.status == .ok else { throw TestFailure("verify answered \(reply.status) \(reply.text)") }
        return try reply.decode(VerifyResponse.self)
    }
}

/// The development keys of the test circuits, derived once per test run into one directory
/// that every node of the run loads them from (it also exercises the key cache).
enum SharedKeys {
    static let path = NSTemporaryDirectory() + "pakit-prover-test-keys-\(getpid())"

    private static let preparation = Task<String, any Error> {
        atexit { try? FileManager.default.removeItem(atPath: SharedKeys.path) }
        removeLeftovers()
        let node = try await ProverTestNode.start(keysDirectory: path)
        await node.stop()
        return path
    }

    /// Removes the key directories of earlier test processes that are gone (the test runner
    /// does not always run exit handlers).
    private static func removeLeftovers() {
        let prefix = "pakit-prover-test-keys-"
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (temporary as NSString).appendingPathComponent(name))
            }
        }
    }

    static var directory: String {
        get async throws { try await preparation.value }
    }
}
