import Foundation
import Hummingbird
import Logging
import NIOSSL
import PakitHTTPClient
import PakitHTTPServer
import PakitTLS
import ServiceLifecycle
import Testing

/// The server side of node-to-node trust: a client certificate from another node's CA is
/// accepted only when its fingerprint is pinned (named in that node's signed record), and its
/// caller is that peer, never the service its certificate's name claims.
@Suite("PinnedPeers: other nodes' client certificates")
struct PinnedPeersServerTests {
    @Test("a pinned peer reaches peer routes as peer:<id> and is refused on this node's service routes despite its certificate's name; this node's own storage is refused on peer routes; an unpinned foreign certificate is served as anonymous")
    func peerCallers() async throws {
        let here = try TestCertificates()
        let elsewhere = try TestCertificates()
        defer { here.remove(); elsewhere.remove() }
        // The other node's storage certificate: CN "storage", from its own CA.
        let otherCA = try LocalCertificateAuthority.loadOrCreate(in: elsewhere.directory)
        let otherStorage = try otherCA.certificate(for: "storage")
        let ownCA = try LocalCertificateAuthority.loadOrCreate(in: here.directory)
        let ownStorage = try ownCA.certificate(for: "storage")

        let pinned = PinnedPeers()
        let otherFingerprint = PinnedPeerClient.fingerprint(ofPEMFile: otherStorage.certificate)
        pinned.replace(with: [otherFingerprint: "12D3KooWOther"])

        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.group("/peer").add(middleware: RequireCallerMiddleware(.peerNodes)).get("/who") { _, context in
            context.caller?.name ?? "nobody"
        }
        router.group("/internal").add(middleware: RequireCallerMiddleware(.only(.service(.storage)))).get("/who") { _, context in
            context.caller?.name ?? "nobody"
        }
        router.get("/open") { _, context in
            (await context.peerCertificate()).map { _ in "certificate" } ?? "anonymous"
        }
        var logger = Logger(label: "test.pinned")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try ServiceServer.make(router: router, tls: here.server, host: "127.0.0.1", port: 0, serverName: "test",
                                            pinnedPeers: pinned, logger: logger) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        let running = Task { try await group.run() }
        var port = 0
        for await bound in ports { port = bound; break }
        let baseURL = "https://127.0.0.1:\(port)"
        let serverFingerprint = PinnedPeerClient.fingerprint(ofPEMFile: here.server.certificate)

        let peer = try PinnedPeerClient(identity: otherStorage)
        let answer = try await peer.send(.get, "/peer/who", to: baseURL, certificateSHA256: serverFingerprint,
                                         maximumBodyBytes: 1_000, timeout: .seconds(30))
        #expect(answer.status == .ok)
        #expect(String(decoding: answer.body, as: UTF8.self) == "peer:12D3KooWOther")
        let asStorage = try await peer.send(.get, "/internal/who", to: baseURL, certificateSHA256: serverFingerprint,
                                            maximumBodyBytes: 1_000, timeout: .seconds(30))
        #expect(asStorage.status == .forbidden, "another node's storage certificate passed as this node's storage")
        await peer.shutdown()

        // This node's own storage (node CA): its routes yes, peer routes no.
        let own = try PinnedPeerClient(identity: ownStorage)
        let ownInternal = try await own.send(.get, "/internal/who", to: baseURL, certificateSHA256: serverFingerprint,
                                             maximumBodyBytes: 1_000, timeout: .seconds(30))
        #expect(String(decoding: ownInternal.body, as: UTF8.self) == "storage")
        let ownPeer = try await own.send(.get, "/peer/who", to: baseURL, certificateSHA256: serverFingerprint,
                                         maximumBodyBytes: 1_000, timeout: .seconds(30))
        #expect(ownPeer.status == .forbidden)
        await own.shutdown()

        // Once the record no longer names it, the same certificate is nobody: public routes
        // answer as to an anonymous client, peer and internal routes want a certificate.
        pinned.replace(with: [:])
        let dropped = try PinnedPeerClient(identity: otherStorage)
        let open = try await dropped.send(.get, "/open", to: baseURL, certificateSHA256: serverFingerprint,
                                          maximumBodyBytes: 1_000, timeout: .seconds(30))
        #expect(String(decoding: open.body, as: UTF8.self) == "anonymous")
        for path in ["/peer/who", "/internal/who"] {
            let refused = try await dropped.send(.get, path, to: baseURL, certificateSHA256: serverFingerprint,
                                                 maximumBodyBytes: 1_000, timeout: .seconds(30))
            #expect(refused.status == .unauthorized, "\(path) answered \(refused.status) to an unpinned foreign certificate")
        }
        await dropped.shutdown()

        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
