import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import PakitContracts
import PakitHTTPClient

/// Options every client command shares: where the node is and how to authenticate.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "Node data directory (default: $PAKIT_DATA_DIR or ./.pakit).")
    var data: String?

    @Option(name: .long, help: "Storage URL (default: the one the node wrote to <data>/storage.url).")
    var url: String?

    @Option(name: .long, help: "Bearer token (default: $PAKIT_TOKEN or <data>/admin.token).")
    var token: String?

    @Option(name: .long, help: "CA certificate to trust (default: <data>/tls/ca.pem).")
    var ca: String?

    var dataDirectory: String {
        URL(fileURLWithPath: data ?? ProcessInfo.processInfo.environment["PAKIT_DATA_DIR"] ?? "./.pakit").standardizedFileURL.path
    }
}

/// A failure shown to the user as one line on standard error, with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The storage API from the command line: AsyncHTTPClient over TLS, trusting the node's CA.
final class NodeClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let token: String?

    init(_ options: NodeOptions, http1Only: Bool = false) throws {
        let dataDirectory = options.dataDirectory
        let caPath = options.ca ?? "\(dataDirectory)/tls/ca.pem"
        guard FileManager.default.fileExists(atPath: caPath) else {
            throw CLIError("no CA certificate at \(caPath): start a node with 'pakit up' or pass --ca/--data")
        }
        if let url = options.url {
            baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else if let text = try? String(contentsOfFile: "\(dataDirectory)/storage.url", encoding: .utf8) {
            baseURL = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw CLIError("no storage URL: is the node running ('pakit up')? Or pass --url")
        }
        token = options.token ?? ProcessInfo.processInfo.environment["PAKIT_TOKEN"]
            ?? (try? String(contentsOfFile: "\(dataDirectory)/admin.token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        } catch {
            throw CLIError("cannot read CA certificate \(caPath): \(error)")
        }
        http = ServiceClient.make(tls: tls, http1Only: http1Only)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Runs `body` and always shuts the client down (AsyncHTTPClient requires it).
    static func with<T: Sendable>(_ options: NodeOptions, http1Only: Bool = false, _ body: (NodeClient) async throws -> T) async throws -> T {
        let client = try NodeClient(options, http1Only: http1Only)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func request(_ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body? = nil, contentType: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = body }
        return request
    }

    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .hours(24))
        } catch {
            throw CLIError("cannot reach the node at \(baseURL): \(error)")
        }
    }

    /// Sends a request and decodes a JSON answer, turning the error envelope into a CLIError.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body? = nil, contentType: String? = nil) async throws -> T {
        let response = try await execute(request(method, path, body: body, contentType: contentType))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        try Self.check(response.status, bytes)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: bytes))
        } catch {
            throw CLIError("unexpected answer from the node: \(error)")
        }
    }

    func json<T: Decodable, B: Encodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, json body: B) async throws -> T {
        let data = try JSONEncoder().encode(body)
        return try await json(type, method, path, body: .bytes(ByteBuffer(data: data)), contentType: "application/json")
    }

    static func check(_ status: HTTPResponseStatus, _ body: ByteBuffer) throws {
        guard !(200..<300).contains(status.code) else { return }
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: body)) {
            throw CLIError("\(envelope.error.message) (\(status.code) \(envelope.error.code))")
        }
        throw CLIError("the node answered \(status.code)")
    }
}

/// Writes CLI output, bypassing `print`'s buffering for binary content.
enum Output {
    static func write(_ bytes: ByteBuffer, to handle: FileHandle) throws {
        try handle.write(contentsOf: Data(buffer: bytes))
    }
}
