import Foundation
import PakitConcurrency
import PakitTestSupport
import Testing

/// Storage's blocking file I/O and hashing run on the runtime's executors: with their threads
/// all parked (more of them than there are cores), the cooperative pool still answers
/// `/health`, and storage's own work waits in those executors' queues, not on the pool.
@Suite("Storage keeps blocking I/O and hashing off the cooperative pool")
struct ExecutorIsolationTests {
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Pools of this test's own node, so parking them stalls no other test.
    static func ownExecutors(_ label: String) -> ServiceExecutors {
        ServiceExecutors(blockingIO: ThreadPoolExecutor(threads: cores + 1, name: "\(label)-io"),
                         compute: ThreadPoolExecutor(threads: cores + 1, name: "\(label)-compute"))
    }

    /// Parks every thread of `pool` until `gate` opens; returns once all are held.
    static func park(_ pool: ThreadPoolExecutor, on gate: ParkingGate) async -> [Task<Void, Never>] {
        let arrivals = Arrivals()
        let jobs = (0..<pool.threadCount).map { _ in
            Task { await pool.run { arrivals.arrive(); gate.park() } }
        }
        await arrivals.wait(for: pool.threadCount)
        return jobs
    }

    @Test("blocking-I/O threads all parked: /health answers, a file read queues on the I/O pool and completes after release",
          arguments: Backend.available)
    func readsWaitOnTheIOPool(backend: Backend) async throws {
        let executors = Self.ownExecutors("read-\(backend)")
        try await TestNode.with(backend, executors: executors) { node in
            let bytes = randomBytes(700_000, seed: 51)
            let cid = try await node.add(bytes).cid
            let gate = ParkingGate()
            let parked = await Self.park(executors.blockingIO, on: gate)
            let read: Task<TestNode.Reply, any Error>
            do {
                let health = try await node.send(.GET, "/health", token: nil)
                #expect(health.status == .ok)
                read = Task { try await node.send(.GET, "/v1/files/\(cid)", token: nil) }
                // The read's file access is queued behind the parked jobs, on the I/O pool.
                try await eventually("the read queues on the I/O pool", while: gate) { executors.blockingIO.queueDepth >= 1 }
                let again = try await node.send(.GET, "/health", token: nil)
                #expect(again.status == .ok)
                #expect(!gate.wasOpened, "/health only answered after the I/O threads were released")
            } catch {
                gate.open()
                throw error
            }
            gate.open()
            for job in parked { await job.value }
            let reply = try await read.value
            #expect(reply.status == .ok)
            #expect(reply.body == bytes, "the file read back after the release differs from what was stored")
            #expect(!gate.openedByWatchdog)
        }
    }

    @Test("compute threads all parked: /health answers, an upload's hashing queues on the compute pool, and it lands intact",
          arguments: Backend.available)
    func ingestHashesOnTheComputePool(backend: Backend) async throws {
        let executors = Self.ownExecutors("ingest-\(backend)")
        try await TestNode.with(backend, executors: executors) { node in
            let bytes = randomBytes(1_500_000, seed: 52)
            let gate = ParkingGate()
            let parked = await Self.park(executors.compute, on: gate)
            let upload: Task<String, any Error>
            do {
                upload = Task { try await node.add(bytes).cid }
                try await eventually("the upload queues on the compute pool", while: gate) { executors.compute.queueDepth >= 1 }
                let health = try await node.send(.GET, "/health", token: nil)
                #expect(health.status == .ok)
                #expect(!gate.wasOpened, "/health only answered after the compute threads were released")
            } catch {
                gate.open()
                throw error
            }
            gate.open()
            for job in parked { await job.value }
            let cid = try await upload.value
            let reply = try await node.send(.GET, "/v1/files/\(cid)", token: nil)
            #expect(reply.body == bytes)
            let verify = try await node.send(.POST, "/v1/repo/verify")
            #expect(verify.status == .ok)
            #expect(!gate.openedByWatchdog)
        }
    }
}
