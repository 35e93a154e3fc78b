import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PakitContracts
import PakitTLS
import PakitTestSupport
import Testing

/// Who may call what: a certificate names its service, and each internal route admits only the
/// services that need it (issue: service kit §6).
@Suite("Service authorization")
struct ServiceAuthorizationTests {
    static func get(_ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, token: String? = nil) async throws
        -> (HTTPResponseStatus, String?, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        let code = (try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(body)))?.error.code
        return (response.status, code, body)
    }

    @Test("a prover certificate is refused on storage's internal routes (403) and gives no admin rights; the mesh gateway's is admitted",
          arguments: Backend.available)
    func proverCertificateRefused(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let cid = try await node.add(Array("internal block".utf8)).cid
            let prover = try node.client(presenting: "prover")
            let meshGateway = try node.client(presenting: "mesh-gateway")
            let operatorClient = try node.client(presenting: NodeCertificates.operatorName)
            do {
                let refused = try await Self.get(prover, node.baseURL + "/internal/v1/blocks/\(cid)")
                #expect(refused.0 == .forbidden)
                #expect(refused.1 == "caller_not_allowed")
                let byOperator = try await Self.get(operatorClient, node.baseURL + "/internal/v1/blocks/\(cid)")
                #expect(byOperator.0 == .forbidden, "the operator's certificate is not a peer's")
                let admitted = try await Self.get(meshGateway, node.baseURL + "/internal/v1/blocks/\(cid)")
                #expect(admitted.0 == .ok)
                #expect(admitted.2 == Array("internal block".utf8))
                // A certificate is no token: admin routes still answer 401 to it.
                let verify = try await Self.get(prover, node.baseURL + "/v1/repo/verify", method: .POST)
                #expect(verify.0 == .unauthorized, "\(verify.0)")
                let gc = try await node.send(.POST, "/v1/gc", token: nil, mutualTLS: true)
                #expect(gc.status == .unauthorized)
                // /metrics admits any certificate of the node CA; /ready details need one.
                #expect(try await Self.get(prover, node.baseURL + "/metrics").0 == .ok)
                let anonymousReady = try await node.send(.GET, "/ready", token: nil)
                #expect(try anonymousReady.decode(ReadyResponse.self).checks.isEmpty)
                let detailedReady = try await Self.get(operatorClient, node.baseURL + "/ready")
                let checks = try JSONDecoder().decode(ReadyResponse.self, from: Data(detailedReady.2)).checks
                #expect(checks["database"] == "ok")
                #expect(checks["blocks"] == "ok")
            } catch {
                try? await prover.shutdown()
                try? await meshGateway.shutdown()
                try? await operatorClient.shutdown()
                throw error
            }
            try? await prover.shutdown()
            try? await meshGateway.shutdown()
            try? await operatorClient.shutdown()
        }
    }

    @Test("pakit-storage without its certificate exits 1 naming the missing file and 'pakit init'")
    func storageWithoutCertificate() async throws {
        let directory = NSTemporaryDirectory() + "pakit-nocert-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await runProcess(try StorageProcess.executable, ["--data-dir", directory, "--port", "0"])
        let output = result.stderr
        #expect(result.status == 1)
        #expect(output.contains("no readable CA certificate for storage at \(directory)/tls/ca.pem"), "\(output)")
        #expect(output.contains("pakit init"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/tls/ca-key.pem"), "a service must never create the CA")
    }
}
