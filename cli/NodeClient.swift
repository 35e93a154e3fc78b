import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import PakitContracts
import PakitHTTPClient
import PakitTLS

/// Options every client command shares: where the node is and how to authenticate.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "Node data directory (default: $PAKIT_DATA_DIR or ./.pakit).")
    var data: String?

    @Option(name: .long, help: "Service URL (default: the one the service wrote to <data>/<service>.url; storage for most commands).")
    var url: String?

    @Option(name: .long, help: "Bearer token (default: $PAKIT_TOKEN or <data>/admin.token).")
    var token: String?

    @Option(name: .long, help: "CA certificate to trust (default: <data>/tls/ca.pem).")
    var ca: String?

    var dataDirectory: String { NodeBootstrap.dataDirectory(data) }
}

/// `--data` alone, for the commands that manage the node rather than call it.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "Node data directory (default: $PAKIT_DATA_DIR or ./.pakit).")
    var data: String?

    var path: String { NodeBootstrap.dataDirectory(data) }
}

/// A failure shown to the user as one line on standard error, with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The storage API from the command line: the runtime's `ServiceClient` over TLS, trusting the
/// node's CA, with the node's error envelope shown as "message (status code)".
final class NodeClient: Sendable {
    let service: ServiceClient
    let baseURL: String
    let token: String?

    /// A client of `service` (storage unless named), found at `--url` or the URL the service
    /// wrote to `<data>/<service>.url`.
    init(_ options: NodeOptions, service name: ServiceName = .storage, http1Only: Bool = false) throws {
        let dataDirectory = options.dataDirectory
        let caPath = options.ca ?? "\(dataDirectory)/tls/ca.pem"
        guard FileManager.default.fileExists(atPath: caPath) else {
            throw CLIError("no CA certificate at \(caPath): start a node with 'pakit up' or pass --ca/--data")
        }
        if let url = options.url {
            baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else if let text = try? String(contentsOfFile: "\(dataDirectory)/\(name.rawValue).url", encoding: .utf8) {
            baseURL = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw CLIError("no \(name.rawValue) URL: is the node running ('pakit up')? Or pass --url")
        }
        token = options.token ?? ProcessInfo.processInfo.environment["PAKIT_TOKEN"]
            ?? (try? String(contentsOfFile: "\(dataDirectory)/admin.token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        } catch {
            throw CLIError("cannot read CA certificate \(caPath): \(error)")
        }
        // Other services' routes need mutual TLS: present the operator's certificate.
        if name != .storage, options.ca == nil,
           let operatorTLS = try? ServiceTLSFiles.defaultPaths(dataDirectory: dataDirectory, identity: NodeCertificates.operatorName).clientConfiguration() {
            tls = operatorTLS
        }
        // Transfers of large files take as long as they take; idempotent calls are retried on a
        // dropped connection, uploads (one-shot bodies) are not.
        service = ServiceClient(tls: tls, http1Only: http1Only, retry: .standard, timeout: .seconds(24 * 3600))
    }

    func shutdown() async {
        await service.shutdown()
    }

    /// Runs `body` and always shuts the client down (AsyncHTTPClient requires it).
    static func with<T: Sendable>(_ options: NodeOptions, service: ServiceName = .storage, http1Only: Bool = false,
                                  _ body: (NodeClient) async throws -> T) async throws -> T {
        let client = try NodeClient(options, service: service, http1Only: http1Only)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func request(_ method: HTTPMethod, _ path: String, body: ServiceRequestBody = .empty, contentType: String? = nil) -> ServiceRequest {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        return ServiceRequest(method, path, headers: headers, body: body)
    }

    /// Sends a request and reads the whole 2xx answer.
    func send(_ method: HTTPMethod, _ path: String, body: ServiceRequestBody = .empty, contentType: String? = nil,
              limit: Int = 64 << 20) async throws -> ServiceResponse {
        var request = request(method, path, body: body, contentType: contentType)
        request.responseLimit = limit
        do {
            return try await service.send(request, to: baseURL)
        } catch {
            throw cliError(error)
        }
    }

    /// Sends a GET and returns the 2xx answer with its body still arriving (file and CAR downloads).
    func download(_ path: String) async throws -> ServiceStreamedResponse {
        do {
            return try await service.stream(request(.GET, path), to: baseURL)
        } catch {
            throw cliError(error)
        }
    }

    /// Sends a request and decodes a JSON answer, turning the error envelope into a CLIError.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, body: ServiceRequestBody = .empty,
                            contentType: String? = nil) async throws -> T {
        do {
            return try await service.call(request(method, path, body: body, contentType: contentType), to: baseURL, as: T.self)
        } catch {
            throw cliError(error)
        }
    }

    func json<T: Decodable, B: Encodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, json body: B) async throws -> T {
        let data = try JSONEncoder().encode(body)
        return try await json(type, method, path, body: .bytes(ByteBuffer(data: data)), contentType: "application/json")
    }

    /// The one-line message a failed call shows: the envelope as "message (status code)".
    func cliError(_ error: ServiceCallError) -> CLIError {
        switch error.kind {
        case .transport, .timeout:
            return CLIError("cannot reach the node at \(baseURL): \(error.message)")
        case .cancelled, .invalidRequest:
            return CLIError(error.message)
        case .badAnswer where (200..<300).contains(error.status ?? 0):
            return CLIError("unexpected answer from the node: \(error.message)")
        case .badAnswer, .refused, .server, .unavailable:
            guard let status = error.status else { return CLIError(error.message) }
            if let code = error.code { return CLIError("\(error.message) (\(status) \(code))") }
            return CLIError("the node answered \(status)")
        }
    }
}

/// Writes CLI output, bypassing `print`'s buffering for binary content.
enum Output {
    static func write(_ bytes: ByteBuffer, to handle: FileHandle) throws {
        try handle.write(contentsOf: Data(buffer: bytes))
    }
}
