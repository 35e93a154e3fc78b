import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitTLS
import PakitTestSupport
import Testing

@Suite("Directories, share links and mutual TLS")
struct DirectoriesShareSecurityTests {
    @Test("a directory built over added files resolves paths and serves index.html", arguments: Backend.available)
    func directories(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let page = Array("<h1>Belize</h1>".utf8)
            let index = try await node.add(page).cid
            let logo = try await node.add(randomBytes(2000, seed: 2)).cid
            let assets = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [.init(name: "logo.png", cid: logo)], pin: false))
                .decode(DirectoryCreateResponse.self)
            let site = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [
                .init(name: "index.html", cid: index), .init(name: "assets", cid: assets.cid),
            ])).decode(DirectoryCreateResponse.self)
            let home = try await node.send(.GET, "/v1/files/\(site.cid)", token: nil)
            #expect(home.body == page)
            #expect(home.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            let image = try await node.send(.GET, "/ipfs/\(site.cid)/assets/logo.png", token: nil)
            #expect(image.body == randomBytes(2000, seed: 2))
            #expect(image.headers.first(name: "Content-Type") == "image/png")
            // A path CAR holds the directories walked through, then the target's DAG.
            let car = try await node.send(.GET, "/ipfs/\(site.cid)/assets/logo.png?format=car", token: nil)
            #expect(car.status == .ok)
            var reader = CARReader()
            let events = try reader.push(car.body)
            try reader.finish()
            let blocks = events.compactMap { event -> String? in if case .block(let block) = event { return block.cid.string } else { return nil } }
            #expect(blocks == [site.cid, assets.cid, logo])
            let missing = try await node.send(.GET, "/v1/files/\(site.cid)/nope.txt", token: nil)
            #expect(missing.status == .notFound)
            let invalid = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [.init(name: "a/b", cid: logo)]))
            #expect(invalid.status == .badRequest)
            let dangling = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [
                .init(name: "x", cid: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"),
            ]))
            #expect(dangling.status == .notFound)
            // GC keeps the unpinned sub-directory: the pinned site reaches it.
            _ = try await node.send(.POST, "/v1/gc")
            #expect(try await node.send(.GET, "/ipfs/\(site.cid)/assets/logo.png", token: nil).status == .ok)
        }
    }

    @Test("a private node serves content only with a token or a valid, unexpired share link", arguments: Backend.available)
    func shareLinks(backend: Backend) async throws {
        try await TestNode.with(backend, extraArguments: ["--private", "true"]) { node in
            let bytes = Array("agency record".utf8)
            let cid = try await node.add(bytes).cid
            #expect(try await node.send(.GET, "/v1/files/\(cid)", token: nil).status == .unauthorized)
            #expect(try await node.send(.GET, "/v1/files/\(cid)").body == bytes)
            let share = try await node.json(.POST, "/v1/share", ShareRequest(cid: cid, expiresInSeconds: 600)).decode(ShareResponse.self)
            let shared = try await node.send(.GET, share.path, token: nil)
            #expect(shared.status == .ok)
            #expect(shared.body == bytes)
            // Any change to the link breaks it.
            let forgedSignature = share.path.replacingOccurrences(of: "sig=", with: "sig=A")
            #expect(try await node.send(.GET, forgedSignature, token: nil).status == .forbidden)
            let expires = share.expiresAt
            let extended = share.path.replacingOccurrences(of: "expires=\(expires)", with: "expires=\(expires + 1000)")
            #expect(try await node.send(.GET, extended, token: nil).status == .forbidden)
            let other = try await node.add(Array("another record".utf8)).cid
            let redirected = share.path.replacingOccurrences(of: cid, with: other)
            #expect(try await node.send(.GET, redirected, token: nil).status == .forbidden)
            let expired = try await node.json(.POST, "/v1/share", ShareRequest(cid: cid, expiresInSeconds: 1)).decode(ShareResponse.self)
            // Expiry is whole seconds: wait until the clock is past it, by polling the clock, not the server.
            while Int64(Date().timeIntervalSince1970) <= expired.expiresAt { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await node.send(.GET, expired.path, token: nil).status == .forbidden)
            #expect(try await node.json(.POST, "/v1/share", ShareRequest(cid: cid, expiresInSeconds: 0)).status == .badRequest)

            // A link grants reading: a write-only token cannot mint one; a read token can.
            let writer = try await node.json(.POST, "/v1/tokens", TokenCreateRequest(name: "writer", scopes: ["write"])).decode(TokenCreateResponse.self)
            let refused = try await node.json(.POST, "/v1/share", ShareRequest(cid: cid), token: writer.token)
            #expect(refused.status == .forbidden && refused.errorCode == "forbidden", "write-only token minted a share link: \(refused.status)")
            let reader = try await node.json(.POST, "/v1/tokens", TokenCreateRequest(name: "reader", scopes: ["read"])).decode(TokenCreateResponse.self)
            #expect(try await node.json(.POST, "/v1/share", ShareRequest(cid: cid), token: reader.token).status == .created)

            // Share parameters are read strictly: never ignored, never a silent 403.
            let base = "/v1/files/\(cid)?sig=\(share.path.components(separatedBy: "sig=").last ?? "")"
            for bad in ["&expires=-1", "&expires=99999999999999999999", "&expires=1e9", "&expires=\(expires)&expires=\(expires)"] {
                let reply = try await node.send(.GET, base + bad, token: nil)
                #expect(reply.status == .badRequest && reply.errorCode == "invalid_parameter", "\(bad): \(reply.status)")
            }
        }
    }

    @Test("proof verification is rate-limited per client over HTTP: past the burst, 429 with Retry-After and the envelope")
    func verifyRateLimit() async throws {
        try await TestNode.with(.sqlite, extraArguments: ["--verify-rate", "1"]) { node in
            // Rate 1/s, burst 2: of 10 requests sent back to back at least one is refused (all 10
            // would pass only if they took more than 8 s). A body that is not even a valid request
            // is fine: the limit is checked before anything else is done for the caller.
            var statuses: [HTTPResponseStatus] = []
            var refused: TestNode.Reply?
            for _ in 0..<10 {
                let reply = try await node.send(.POST, "/v1/proofs/verify", body: Array("{}".utf8), token: nil,
                                                headers: [("Content-Type", "application/json")])
                statuses.append(reply.status)
                if reply.status == .tooManyRequests { refused = reply }
            }
            let reply = try #require(refused, "no 429 among \(statuses)")
            #expect(reply.errorCode == "rate_limited")
            #expect(reply.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(statuses.prefix(2).allSatisfy { $0 != .tooManyRequests }, "the burst of 2 must pass: \(statuses)")
        }
    }

    @Test("content carries nosniff, pages run sandboxed, and every query parameter is checked")
    func headersAndQueryParameters() async throws {
        try await TestNode.with(.sqlite) { node in
            let page = Array("<script>fetch('/v1/stats')</script>".utf8)
            let cid = try await node.add(page).cid
            let html = try await node.send(.GET, "/v1/files/\(cid)?filename=site.html", token: nil)
            #expect(html.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            let policy = html.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(policy.contains("sandbox") && !policy.contains("allow-same-origin"), "an uploaded page must run in an opaque origin: '\(policy)'")
            #expect(html.headers.first(name: "X-Content-Type-Options") == "nosniff")
            let text = try await node.send(.GET, "/ipfs/\(cid)?filename=notes.txt", token: nil)
            #expect(text.headers.first(name: "Content-Security-Policy") == nil && text.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(try await node.send(.GET, "/v1/stats", token: nil).headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(try await node.send(.GET, "/no/such/route", token: nil).headers.first(name: "X-Content-Type-Options") == "nosniff")
            // A known path with a method it does not take: 405 and what it does take.
            let wrongMethod = try await node.send(.DELETE, "/v1/stats")
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.errorCode == "method_not_allowed")
            #expect(wrongMethod.headers.first(name: "Allow") == "GET")
            #expect(try await node.send(.POST, "/v1/files/\(cid)/a/b").headers.first(name: "Allow") == "GET, HEAD")

            // Any file name is safe in Content-Disposition: ASCII fallback plus the exact name (RFC 8187).
            let named = try await node.send(.GET, "/v1/files/\(cid)?filename=na%C3%AFve%20%22x%22.txt&download=true", token: nil)
            #expect(named.headers.first(name: "Content-Disposition") == #"attachment; filename="na_ve _x_.txt"; filename*=UTF-8''na%C3%AFve%20%22x%22.txt"#)

            let invalid = [
                (HTTPMethod.GET, "/ipfs/\(cid)?format=zip"), (.GET, "/ipfs/\(cid)?format="), (.GET, "/ipfs/\(cid)?format=raw&format=car"),
                (.GET, "/ipfs/\(cid)?format=car&dag-scope=files"), (.GET, "/ipfs/\(cid)?format=car&dag-scope=entity&entity-bytes=1"), (.GET, "/v1/files/\(cid)?download=maybe"),
                (.GET, "/v1/files/\(cid)?filename=a%0Ab"), (.GET, "/v1/pins?limit=0"), (.GET, "/v1/pins?limit=%2B5"),
                (.GET, "/v1/pins?after=not-a-cid"), (.POST, "/v1/files?pin="), (.POST, "/v1/files?profile=unixfs"),
                (.POST, "/v1/files?name=a%2Fb"), (.POST, "/v1/car?pin=perhaps"), (.GET, "/v1/admin/jobs?state=sleeping"),
                (.GET, "/ipfs/\(cid)?format=raw&entity-bytes=x"), (.GET, "/ipfs/\(cid)?format=raw&download=maybe"),
                (.GET, "/v1/files/\(cid)?filename="), (.GET, "/v1/blocks/\(cid)?expires=-5"),
            ]
            let before = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self)
            for (method, path) in invalid {
                let reply = try await node.send(method, path, body: method == .POST ? page : nil)
                #expect(reply.status == .badRequest && reply.errorCode != nil, "\(method) \(path): \(reply.status) \(reply.text.prefix(120))")
            }
            #expect(try await node.send(.GET, "/v1/stats").decode(StatsResponse.self) == before, "a refused request stored something")
        }
    }

    @Test("internal routes and /metrics need a client certificate from the node CA", arguments: [Backend.sqlite])
    func mutualTLS(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let cid = try await node.add(Array("peer block".utf8)).cid
            let refused = try await node.send(.GET, "/internal/v1/blocks/\(cid)", token: nil)
            #expect(refused.status == .unauthorized)
            #expect(refused.errorCode == "client_certificate_required")
            #expect(try await node.send(.GET, "/metrics", token: nil).status == .unauthorized)
            let allowed = try await node.send(.GET, "/internal/v1/blocks/\(cid)", token: nil, mutualTLS: true)
            #expect(allowed.status == .ok)
            #expect(allowed.body == Array("peer block".utf8))
            #expect(allowed.version == .http2)
            let metrics = try await node.send(.GET, "/metrics", token: nil, mutualTLS: true)
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("pakit_storage_ingested_bytes_total"))
            #expect(metrics.text.contains("pakit_storage_blocks_written_total"))
            let health = try await node.send(.GET, "/health", token: nil)
            #expect(try health.decode(HealthResponse.self).status == "ok")
            let ready = try await node.send(.GET, "/ready", token: nil)
            #expect(try ready.decode(ReadyResponse.self).status == "ready")
        }
    }

    @Test("a client certificate from another CA is refused at the TLS layer")
    func foreignCertificate() async throws {
        try await TestNode.with(.sqlite) { node in
            let otherDirectory = NSTemporaryDirectory() + "pakit-other-ca-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: otherDirectory) }
            let foreign = try PakitTLS.LocalCertificateAuthority.loadOrCreate(in: otherDirectory).certificate(for: "intruder")
            var tls = try foreign.clientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(node.dataDirectory)/tls/ca.pem"))
            let client = PakitHTTPClient.ServiceClient.make(tls: tls)
            var request = HTTPClientRequest(url: node.baseURL + "/health")
            request.method = .GET
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(request, timeout: .seconds(30))
            }
            try await client.shutdown()
        }
    }
}

