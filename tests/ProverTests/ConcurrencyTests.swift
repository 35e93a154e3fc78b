import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PakitContracts
import PakitHTTPClient
import PakitTLS
import PakitTestSupport
import PakitZK
import Testing
@testable import ProverService

extension ProverServiceTests {
    @Suite("limits and shutdown")
    struct Concurrency {
        @Test("the limiter runs max-concurrent jobs, queues max-queued in order, refuses the rest with a Retry-After estimate")
        func limiterBoundsWork() async throws {
            let limiter = WorkLimiter(maxRunning: 1, maxQueued: 2)
            let first = try limiter.admit()
            try await first.start()
            let second = try limiter.admit()
            let third = try limiter.admit()
            #expect(limiter.waiting == 2)
            let refused = #expect(throws: ProverError.self) { _ = try limiter.admit() }
            guard case .busy(let seconds)? = refused else { throw TestFailure("expected busy, got \(String(describing: refused))") }
            #expect(seconds >= 1)

            // FIFO: the second gets the slot when the first finishes, then the third.
            let order = OrderLog()
            let secondRun = Task { try await second.run { await order.append(2) } }
            while limiter.parked < 1 { await Task.yield() }
            let thirdRun = Task { try await third.run { await order.append(3) } }
            while limiter.parked < 2 { await Task.yield() }
            #expect(await order.entries.isEmpty)
            first.finish()
            try await secondRun.value
            try await thirdRun.value
            #expect(await order.entries == [2, 3])
            #expect(limiter.waiting == 0)
            #expect(limiter.running == 0)

            // A waiter that is cancelled leaves the queue and gives its place back.
            let holder = try limiter.admit()
            try await holder.start()
            let waiter = try limiter.admit()
            let waiting = Task { try await waiter.run { } }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            holder.finish()
            #expect(limiter.waiting == 0)
            #expect(limiter.running == 0)
        }

        @Test("with every proving place taken, /v1/prove is 503 busy with Retry-After and changes nothing; the next request proves")
        func busyAnswer() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            try await ProverTestNode.with(extraArguments: ["--max-queued", "0"]) { node in
                let request = try Fixture.request("storage-single", tree, content, [1])
                let held = try node.node.proofs.admit()
                let busy = try await node.json("/v1/prove", request)
                #expect(busy.status == .serviceUnavailable)
                #expect(busy.errorCode == "busy")
                #expect(Int(busy.headers["Retry-After"].first ?? "") ?? 0 >= 1)
                held.finish()
                let proved = try await node.json("/v1/prove", request)
                #expect(proved.status == .ok, "\(proved.text)")
                let metrics = try await node.send(.GET, "/metrics")
                #expect(metrics.text.contains("pakit_prover_proofs_total{circuit=\"unknown\",outcome=\"busy\"}"))
            }
        }

        @Test("graceful shutdown lets a proof in flight finish and answer 200")
        func shutdownFinishesProofInFlight() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            let node = try await ProverTestNode.start()
            do {
                let request = try Fixture.request("storage-batch-3", tree, content, [0, 1, 2])
                // Hold the only slot so the request is provably in flight (admitted, waiting)
                // when shutdown starts; then let it run.
                let held = try node.node.proofs.admit()
                try await held.start()
                // HTTP/1.1: AsyncHTTPClient fails its own in-flight h2 request when the server
                // sends GOAWAY, although the server lets the stream finish (as in StorageTests).
                let client = ServiceClient.make(
                    tls: try LocalCertificateAuthority.loadOrCreate(in: "\(node.dataDirectory)/tls").certificate(for: "storage").clientConfiguration(),
                    http1Only: true)
                var call = HTTPClientRequest(url: node.baseURL + "/v1/prove")
                call.method = .POST
                call.headers.add(name: "Content-Type", value: "application/json")
                call.body = .bytes(ByteBuffer(bytes: Array(try JSONEncoder().encode(request))))
                let inFlight = Task { () -> (HTTPResponseStatus, ByteBuffer) in
                    let response = try await client.execute(call, timeout: .seconds(600))
                    return (response.status, try await response.body.collect(upTo: 1 << 20))
                }
                while node.node.proofs.waiting == 0 { await Task.yield() }
                await node.host.triggerGracefulShutdown()
                held.finish()
                let result = await inFlight.result
                try await client.shutdown()
                let (status, body) = try result.get()
                #expect(status == .ok, "\(String(buffer: body))")
                let proved = try JSONDecoder().decode(ProveResponse.self, from: Data(buffer: body))
                #expect(proved.bundle.publicSignals.count == 2)
            } catch {
                await node.stop()
                throw error
            }
            await node.stop()
        }
    }
}

/// Records the order in which jobs ran.
actor OrderLog {
    private(set) var entries: [Int] = []
    func append(_ value: Int) { entries.append(value) }
}
