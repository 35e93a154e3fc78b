import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import PakitHTTPClient
import PakitHTTPServer
import PakitTLS
import Testing

/// The client nodes use to reach each other: it trusts the one certificate a peer's signed
/// record names, not a CA, and speaks HTTP/2 to a real Hummingbird server over TLS.
@Suite("PinnedPeerClient: HTTP/2 to a peer whose certificate is pinned")
struct PinnedPeerClientTests {
    static func fingerprint(_ pem: String) throws -> [UInt8] {
        let certificate = try #require(try NIOSSLCertificate.fromPEMFile(pem).first)
        return PinnedPeerClient.fingerprint(ofDER: try certificate.toDERBytes())
    }

    @Test("the pinned certificate is accepted (over HTTP/2, concurrent requests share the connection); any other certificate ends the handshake before the request is sent")
    func pinning() async throws {
        // The server's certificate comes from a CA the client has never seen.
        let serverSide = try TestCertificates()
        let clientSide = try TestCertificates()
        defer { serverSide.remove(); clientSide.remove() }
        let hits = Hits()
        try await TestHTTPServer.with(tls: serverSide.server, routes: { router in
            router.get("/v1/echo/:word") { request, context -> Response in
                hits.record()
                let word = context.parameters.get("word") ?? ""
                return Response(status: .ok, headers: [.contentType: "text/plain", .init("x-version")!: "\(request.head.scheme ?? "")"],
                                body: .init(byteBuffer: ByteBuffer(string: word)))
            }
            router.get("/v1/large") { _, _ -> Response in
                Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 7, count: 100_000)))
            }
        }) { server in
            let client = try PinnedPeerClient(identity: nil)
            let pinned = try Self.fingerprint(serverSide.server.certificate)
            for index in 0..<30 {
                do {
                    let answer = try await client.send(.get, "/v1/echo/s\(index)", to: server.baseURL, certificateSHA256: pinned,
                                                   maximumBodyBytes: 1 << 20, timeout: .seconds(30))
                    #expect(String(decoding: answer.body, as: UTF8.self) == "s\(index)")
                } catch { Issue.record("sequential \(index): \(error)") }
            }
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let answer = try await client.send(.get, "/v1/echo/w\(index)", to: server.baseURL, certificateSHA256: pinned,
                                                           maximumBodyBytes: 1 << 20, timeout: .seconds(30))
                        #expect(answer.status == .ok)
                        return String(decoding: answer.body, as: UTF8.self)
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(answers == Set((0..<20).map { "w\($0)" }))
            #expect(hits.value == 50)

            // A body beyond the caller's limit is refused, not collected.
            let tooLong = await #expect(throws: ServiceCallError.self) {
                _ = try await client.send(.get, "/v1/large", to: server.baseURL, certificateSHA256: pinned,
                                          maximumBodyBytes: 50_000, timeout: .seconds(30))
            }
            #expect(tooLong?.kind == .badAnswer)

            // Another certificate (the client's own CA's server certificate): refused at the
            // handshake, so the route never runs.
            let other = try Self.fingerprint(clientSide.server.certificate)
            let refused = await #expect(throws: ServiceCallError.self) {
                _ = try await client.send(.get, "/v1/echo/never", to: server.baseURL, certificateSHA256: other,
                                          maximumBodyBytes: 1 << 20, timeout: .seconds(30))
            }
            #expect(refused?.kind == .transport)
            #expect(refused?.mayHaveBeenProcessed == false, "\(String(describing: refused))")
            #expect(refused?.message.contains("handshake") == true, "\(refused?.message ?? "")")
            #expect(hits.value == 50)
            await client.shutdown()
        }
    }

    @Test("a peer that restarts is reached on a new connection; an address nothing listens on is a transport error that was never sent")
    func reconnect() async throws {
        let serverSide = try TestCertificates()
        defer { serverSide.remove() }
        let client = try PinnedPeerClient(identity: nil)
        let pinned = try Self.fingerprint(serverSide.server.certificate)
        let routes: (Router<ServiceRequestContext>) -> Void = { router in
            router.get("/v1/ping") { _, _ in "pong" }
        }
        let first = try await TestHTTPServer.start(tls: serverSide.server, routes: routes)
        let answer = try await client.send(.get, "/v1/ping", to: first.baseURL, certificateSHA256: pinned, maximumBodyBytes: 100, timeout: .seconds(30))
        #expect(String(decoding: answer.body, as: UTF8.self) == "pong")
        await first.stop()
        // The old connection may not have seen the close yet; a request on it fails either
        // way (whether it "may have been processed" depends on how far the peer's graceful
        // GOAWAY got, so only the kind is asserted).
        let stale = await #expect(throws: ServiceCallError.self) {
            _ = try await client.send(.get, "/v1/ping", to: first.baseURL, certificateSHA256: pinned, maximumBodyBytes: 100, timeout: .seconds(30))
        }
        #expect(stale?.kind == .transport)
        // A new connection to an address nothing listens on: refused, so never sent.
        let fresh = try PinnedPeerClient(identity: nil)
        let refused = await #expect(throws: ServiceCallError.self) {
            _ = try await fresh.send(.get, "/v1/ping", to: first.baseURL, certificateSHA256: pinned, maximumBodyBytes: 100, timeout: .seconds(30))
        }
        await fresh.shutdown()
        #expect(refused?.kind == .transport)
        #expect(refused?.mayHaveBeenProcessed == false, "\(String(describing: refused))")
        let second = try await TestHTTPServer.start(tls: serverSide.server, routes: routes)
        let again = try await client.send(.get, "/v1/ping", to: second.baseURL, certificateSHA256: pinned, maximumBodyBytes: 100, timeout: .seconds(30))
        #expect(String(decoding: again.body, as: UTF8.self) == "pong")
        await second.stop()
        let malformed = await #expect(throws: ServiceCallError.self) {
            _ = try await client.send(.get, "/v1/ping", to: "http://127.0.0.1:1", certificateSHA256: pinned, maximumBodyBytes: 100, timeout: .seconds(5))
        }
        #expect(malformed?.kind == .invalidRequest)
        await client.shutdown()
    }
}
