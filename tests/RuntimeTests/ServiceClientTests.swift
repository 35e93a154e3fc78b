import Foundation
import Hummingbird
import NIOHTTP1
import PakitContracts
import PakitHTTPClient
import PakitHTTPServer
import Testing

/// A small contract for the test routes.
struct Served: ResponseCodable, Sendable, Equatable {
    let by: String
}

@Suite("ServiceClient over HTTPS and HTTP/2")
struct ServiceClientTests {
    /// Runs `body` with certificates, a client that trusts the CA and presents its certificate,
    /// and cleans up after it.
    static func withClient(retry: RetryPolicy = RetryPolicy(maximumAttempts: 3, baseDelay: .milliseconds(5), maximumDelay: .milliseconds(20)),
                           _ body: (TestCertificates, ServiceClient) async throws -> Void) async throws {
        let certificates = try TestCertificates()
        let client = try ServiceClient(tls: certificates.client, retry: retry, timeout: .seconds(30))
        do {
            try await body(certificates, client)
        } catch {
            await client.shutdown()
            certificates.remove()
            throw error
        }
        await client.shutdown()
        certificates.remove()
    }

    @Test("a non-2xx answer is a typed error with the envelope's status, code and message, and Retry-After")
    func envelopeError() async throws {
        try await Self.withClient { certificates, client in
            try await TestHTTPServer.with(tls: certificates.server, routes: { router in
                router.get("/v1/pins/{cid}") { _, _ -> String in
                    throw ServiceError(.conflict, "pin_conflict", "the pin is held by another owner")
                }
                router.get("/v1/busy") { _, _ -> String in
                    var error = ServiceError(.serviceUnavailable, "busy", "all slots taken")
                    error.headers[.retryAfter] = "7"
                    throw error
                }
                router.get("/v1/ok") { _, _ in Served(by: "server") }
            }) { server in

                let answer = try await client.send(ServiceRequest(.GET, "/v1/ok"), to: server.baseURL)
                #expect(answer.version == .http2, "the call did not negotiate HTTP/2 (got \(answer.version))")
                #expect(try answer.decode(Served.self) == Served(by: "server"))

                let refused = await #expect(throws: ServiceCallError.self) {
                    _ = try await client.get("/v1/pins/bafy", from: server.baseURL, as: Served.self)
                }
                #expect(refused?.kind == .refused)
                #expect(refused?.status == 409)
                #expect(refused?.code == "pin_conflict")
                #expect(refused?.message == "the pin is held by another owner")
                #expect(refused?.retryable == false)

                let busy = await #expect(throws: ServiceCallError.self) {
                    _ = try await client.call(ServiceRequest(.GET, "/v1/busy", retry: .noRetries), to: server.baseURL, as: Served.self)
                }
                #expect(busy?.kind == .unavailable)
                #expect(busy?.status == 503)
                #expect(busy?.code == "busy")
                #expect(busy?.retryAfterSeconds == 7)
                #expect(busy?.retryable == true)
            }
        }
    }

    @Test("a 2xx body that does not decode is a bad answer")
    func badAnswer() async throws {
        try await Self.withClient { certificates, client in
            try await TestHTTPServer.with(tls: certificates.server, routes: { router in
                router.get("/v1/odd") { _, _ in "not json" }
            }) { server in
                let error = await #expect(throws: ServiceCallError.self) {
                    _ = try await client.get("/v1/odd", from: server.baseURL, as: Served.self)
                }
                #expect(error?.kind == .badAnswer)
                #expect(error?.status == 200)
            }
        }
    }

    @Test("a deadline that passes before the answer gives a typed timeout error")
    func deadline() async throws {
        try await Self.withClient { certificates, client in
            let gate = Gate()
            let hits = Hits()
            let server = try await TestHTTPServer.start(tls: certificates.server) { router in
                router.get("/v1/stuck") { _, _ -> Served in
                    hits.record()
                    await gate.wait()
                    return Served(by: "late")
                }
            }
            // The handler never answers while the gate is shut, so whatever the machine's load
            // (the request may or may not have reached it), the call can only end by its deadline.
            let error = await #expect(throws: ServiceCallError.self) {
                _ = try await client.call(ServiceRequest(.GET, "/v1/stuck", timeout: .seconds(1), retry: .noRetries),
                                          to: server.baseURL, as: Served.self)
            }
            #expect(error?.kind == .timeout, "got \(String(describing: error))")
            #expect(hits.value <= 1, "a call with no retries reached the handler \(hits.value) times")
            await gate.open()
            await server.stop()
        }
    }

    @Test("an idempotent call answered 503 and then 200 succeeds after one retry")
    func retriesIdempotent() async throws {
        try await Self.withClient { certificates, client in
            let hits = Hits()
            try await TestHTTPServer.with(tls: certificates.server, routes: { router in
                router.get("/v1/flaky") { _, _ -> Served in
                    if hits.record() == 1 { throw ServiceError(.serviceUnavailable, "not_ready", "keys are being prepared") }
                    return Served(by: "second attempt")
                }
            }) { server in
                let answer = try await client.get("/v1/flaky", from: server.baseURL, as: Served.self)
                #expect(answer == Served(by: "second attempt"))
                #expect(hits.value == 2, "the server saw \(hits.value) requests")
            }
        }
    }

    @Test("a non-idempotent POST answered 500 is not retried")
    func noRetryForPost() async throws {
        try await Self.withClient { certificates, client in
            let hits = Hits()
            try await TestHTTPServer.with(tls: certificates.server, routes: { router in
                router.post("/v1/jobs") { _, _ -> Served in
                    hits.record()
                    throw ServiceError.internalError("the job store failed")
                }
            }) { server in
                let error = await #expect(throws: ServiceCallError.self) {
                    _ = try await client.call(.POST, "/v1/jobs", json: Served(by: "client"), to: server.baseURL, as: Served.self)
                }
                #expect(error?.kind == .server)
                #expect(error?.status == 500)
                #expect(error?.code == "internal")
                #expect(error?.retryable == true, "a 500 is retryable in itself; only the POST rule stops the retry")
                #expect(hits.value == 1, "the POST was sent \(hits.value) times")
            }
        }
    }

    @Test("a POST whose connection cannot be made goes to the next instance of the pool")
    func postFailsOverWhenNeverSent() async throws {
        try await Self.withClient { certificates, client in
            let hits = Hits()
            let gone = try await TestHTTPServer.start(tls: certificates.server) { _ in }
            await gone.stop()
            try await TestHTTPServer.with(tls: certificates.server, routes: { router in
                router.post("/v1/jobs") { _, _ -> Served in
                    hits.record()
                    return Served(by: "live")
                }
            }) { server in
                // A back-off far longer than the test, so "suspect" cannot lapse on a slow machine.
                let pool = InstancePool(urls: [gone.baseURL, server.baseURL], initialBackoff: .seconds(3600), maximumBackoff: .seconds(3600))
                let request = try ServiceRequest.json(.POST, "/v1/jobs", body: Served(by: "client"))
                let answer = try await client.call(request, on: pool, as: Served.self)
                #expect(answer == Served(by: "live"))
                #expect(hits.value == 1)
                #expect(await pool.isSuspect(gone.baseURL), "the unreachable instance was not marked suspect")
            }
        }
    }

    @Test("a GOAWAY during one instance's graceful shutdown makes the call finish on the other instance")
    func goAwayFailsOver() async throws {
        try await Self.withClient { certificates, client in
            let gate = Gate()
            let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
            let hitsA = Hits()
            let hitsB = Hits()
            let a = try await TestHTTPServer.start(tls: certificates.server, gracefulCloseTimeout: .milliseconds(100)) { router in
                router.get("/v1/work") { _, _ -> Served in
                    hitsA.record()
                    arrived.yield()
                    await gate.wait()
                    return Served(by: "A")
                }
            }
            let b = try await TestHTTPServer.start(tls: certificates.server) { router in
                router.get("/v1/work") { _, _ -> Served in
                    hitsB.record()
                    return Served(by: "B")
                }
            }
            let pool = InstancePool(urls: [a.baseURL, b.baseURL], initialBackoff: .seconds(3600), maximumBackoff: .seconds(3600))
            let call = Task {
                try await client.call(ServiceRequest(.GET, "/v1/work"), on: pool, as: Served.self)
            }
            for await _ in arrivals { break }
            await a.triggerShutdown()
            let answer = try await call.value
            #expect(answer == Served(by: "B"))
            #expect(hitsA.value == 1)
            #expect(hitsB.value == 1)
            #expect(await pool.isSuspect(a.baseURL))
            await gate.open()
            await a.stop()
            await b.stop()
        }
    }

    @Test("a request in flight when its server shuts down gracefully fails as a retryable transport error")
    func goAwayClassification() async throws {
        try await Self.withClient { certificates, client in
            let gate = Gate()
            let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
            let server = try await TestHTTPServer.start(tls: certificates.server, gracefulCloseTimeout: .milliseconds(100)) { router in
                router.get("/v1/work") { _, _ -> Served in
                    arrived.yield()
                    await gate.wait()
                    return Served(by: "A")
                }
            }
            let call = Task { () async throws(ServiceCallError) -> ServiceResponse in
                try await client.send(ServiceRequest(.GET, "/v1/work", retry: .noRetries), to: server.baseURL)
            }
            for await _ in arrivals { break }
            await server.triggerShutdown()
            let result = await call.result
            guard case .failure(let failure) = result, let error = failure as? ServiceCallError else {
                Issue.record("expected a ServiceCallError, got \(result)")
                await gate.open()
                await server.stop()
                return
            }
            // AsyncHTTPClient 1.37 fails the open stream with HTTPClientError.remoteConnectionClosed
            // when the server closes the connection after its GOAWAYs.
            #expect(error.kind == .transport, "got \(error)")
            #expect(error.message.contains("remoteConnectionClosed"), "got \(error)")
            #expect(error.retryable)
            #expect(error.mayHaveBeenProcessed, "the request reached the handler; only idempotent calls may be repeated")
            await gate.open()
            await server.stop()
        }
    }
}
