import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitObservability
import PakitSQL
import PakitTLS
import PakitService
import PakitTestSupport
import StorageService
import Testing

/// A storage service running in-process on a free port over real HTTPS, with clients that
/// trust its CA (one without a client certificate, and one presenting the mesh gateway's, the
/// caller storage's internal routes admit).
final class TestNode: @unchecked Sendable {
    let dataDirectory: String
    let host: ServiceHost<StorageNode>
    var node: StorageNode { host.node }
    let baseURL: String
    let adminToken: String
    let client: HTTPClient
    let mtlsClient: HTTPClient

    /// `dataDirectory`: an existing directory to use (e.g. one whose CA already issued prover
    /// certificates); by default a fresh one. Either way `stop()` removes it.
    /// `executors`: the node's thread pools (the process's shared ones by default).
    static func start(_ backend: Backend, extraArguments: [String] = [], dataDirectory: String? = nil,
                      executors: ServiceExecutors = .shared) async throws -> TestNode {
        ServiceBootstrap.bootstrap(logLevel: .warning)
        let dataDirectory = dataDirectory ?? NSTemporaryDirectory() + "pakit-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dataDirectory + "/storage", withIntermediateDirectories: true)
        // The bootstrap step (`pakit init`): certificates for storage and its callers.
        let issued = try NodeCertificates.issue(in: "\(dataDirectory)/tls",
                                                identities: ["storage", "mesh-gateway", "prover", NodeCertificates.operatorName])
        let databaseURL = try await backend.makeDatabaseURL(dataDirectory: dataDirectory)
        var logger = Logger(label: "test.storage")
        logger.logLevel = .warning
        // `StorageNode.open` takes its pools from `ServiceExecutors.current`.
        let host = try await ServiceExecutors.$current.withValue(executors) {
            try await ServiceHost<StorageNode>.start(
                arguments: ["--data-dir", dataDirectory, "--port", "0", "--database-url", databaseURL] + extraArguments,
                environment: [:], logger: logger)
        }
        let ca = try NIOSSLCertificate.fromPEMFile("\(dataDirectory)/tls/ca.pem")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(ca)
        guard let meshGateway = issued["mesh-gateway"] else { throw TestFailure("no mesh-gateway certificate") }
        let adminToken = try String(contentsOfFile: host.node.adminTokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return TestNode(dataDirectory: dataDirectory, host: host, baseURL: "https://127.0.0.1:\(host.port)", adminToken: adminToken,
                        client: ServiceClient.make(tls: tls), mtlsClient: ServiceClient.make(tls: try meshGateway.clientConfiguration()))
    }

    private init(dataDirectory: String, host: ServiceHost<StorageNode>, baseURL: String, adminToken: String, client: HTTPClient,
                 mtlsClient: HTTPClient) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.baseURL = baseURL
        self.adminToken = adminToken
        self.client = client
        self.mtlsClient = mtlsClient
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
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Runs `body` with a fresh node and always stops it.
    static func with(_ backend: Backend, extraArguments: [String] = [], dataDirectory: String? = nil,
                     executors: ServiceExecutors = .shared, _ body: (TestNode) async throws -> Void) async throws {
        let node = try await start(backend, extraArguments: extraArguments, dataDirectory: dataDirectory, executors: executors)
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
            try JSONDecoder().decode(T.self, from: Data(body))
        }

        var errorCode: String? { (try? decode(ErrorEnvelope.self))?.error.code }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Stands for the node's admin token in `send(token:)`.
    static let admin = "<admin>"

    /// One request over HTTPS; `token: nil` sends no credentials, the default is the admin token.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, token: String? = TestNode.admin,
              headers: [(String, String)] = [], mutualTLS: Bool = false) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let bearer = token == Self.admin ? adminToken : token
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await (mutualTLS ? mtlsClient : client).execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 1 << 30)
        return Reply(status: response.status, headers: response.headers, body: Array(collected.readableBytesView), version: response.version)
    }

    func json<B: Encodable>(_ method: HTTPMethod, _ path: String, _ value: B, token: String? = TestNode.admin) async throws -> Reply {
        try await send(method, path, body: Array(try JSONEncoder().encode(value)), token: token, headers: [("Content-Type", "application/json")])
    }

    func add(_ bytes: [UInt8], query: String = "") async throws -> FileAddResponse {
        let reply = try await send(.POST, "/v1/files" + (query.isEmpty ? "" : "?\(query)"), body: bytes)
        guard reply.status == .created else { throw TestFailure("add failed: \(reply.status) \(reply.text)") }
        return try reply.decode(FileAddResponse.self)
    }
}
