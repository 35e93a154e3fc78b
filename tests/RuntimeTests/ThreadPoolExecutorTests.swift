import Foundation
import PakitConcurrency
import PakitTestSupport
import Synchronization
import Testing

/// The OS's name of the thread running the caller (what `top -H`, gdb and crash logs show;
/// synchronous: threads are not an async notion).
func currentThreadName() -> String {
    #if os(Linux)
    if let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) {
        return name.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    #endif
    return Thread.current.name ?? ""
}

/// Names of the jobs that ran to their end, recorded from any thread.
private final class Completions: Sendable {
    private let recorded = Mutex<[String]>([])
    func record(_ name: String) { recorded.withLock { $0.append(name) } }
    var names: [String] { recorded.withLock { $0 } }
}

private enum Probe: Error, Equatable {
    case refused(Int)
}

@Suite("Thread-pool executors")
struct ThreadPoolExecutorTests {
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    @Test("jobs parked on blocking-I/O threads, more than there are cores, leave the cooperative pool free")
    func parkedJobsLeaveTheCooperativePoolFree() async throws {
        let parked = Self.cores + 1
        let pool = ThreadPoolExecutor(threads: parked, name: "test-parking")
        let gate = ParkingGate()
        let arrivals = Arrivals()
        async let jobs: [Bool] = withTaskGroup(of: Bool.self) { group in
            for _ in 0..<parked {
                group.addTask {
                    await pool.run {
                        let onPool = pool.isCurrentThread
                        arrivals.arrive()
                        gate.park()  // a blocking call: holds this thread, not a cooperative one
                        return onPool
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        await arrivals.wait(for: parked)
        #expect(pool.runningJobs == parked)

        // More cooperative work than there are cooperative threads, each piece a suspension.
        let cooperative = Task.detached {
            await withTaskGroup(of: Int.self) { group in
                for index in 0..<(4 * Self.cores) {
                    group.addTask { await Task.yield(); return index }
                }
                return await group.reduce(0, +)
            }
        }
        let sum = await cooperative.value
        #expect(!gate.wasOpened, "the cooperative work only finished after the parked jobs were released")
        #expect(sum == (0..<(4 * Self.cores)).reduce(0, +))

        gate.open()
        let ranOnPool = await jobs
        #expect(ranOnPool == Array(repeating: true, count: parked))
        #expect(!gate.openedByWatchdog)
    }

    @Test("a job's result and typed error come back to the caller; child tasks stay on the pool")
    func resultsAndErrorsComeBack() async throws {
        let pool = ThreadPoolExecutor(threads: 2, name: "test-results")
        #expect(!pool.isCurrentThread)
        let value = try await pool.run { () throws(Probe) -> Int in
            guard pool.isCurrentThread else { throw .refused(-1) }
            return 42
        }
        #expect(value == 42)

        do {
            _ = try await pool.run { () throws(Probe) -> Int in throw .refused(7) }
            Issue.record("the job's error was lost")
        } catch {
            #expect(error == .refused(7))  // `error` is statically a Probe: the type survives the hop
        }

        let children = await pool.run {
            async let first = pool.isCurrentThread
            async let second = pool.isCurrentThread
            return [await first, await second, pool.isCurrentThread]
        }
        #expect(children == [true, true, true])
        #expect(!pool.isCurrentThread, "the caller is back off the pool after run returns")
    }

    @Test("a cancelled caller's job still runs to the end: it sees the cancellation, and its outcome comes back")
    func cancellationOfTheWaitingTask() async throws {
        let pool = ThreadPoolExecutor(threads: 1, name: "test-cancel")
        let gate = ParkingGate()
        let arrivals = Arrivals()
        let blocker = Task { await pool.run { arrivals.arrive(); gate.park() } }
        await arrivals.wait(for: 1)

        let completed = Completions()
        let checking = Task {
            try await pool.run { () throws -> String in
                try Task.checkCancellation()
                completed.record("checking")
                return "ran without seeing the cancellation"
            }
        }
        let ignoring = Task {
            await pool.run { () -> Bool in
                completed.record("ignoring")
                return Task.isCancelled
            }
        }
        // Both wait behind the parked job (queued, not running) when they are cancelled.
        try await eventually("both tasks queue behind the parked job", while: gate) { pool.queueDepth == 2 }
        checking.cancel()
        ignoring.cancel()
        #expect(pool.queueDepth == 2, "cancelling a waiting task must not drop or run its job early")

        gate.open()
        await blocker.value
        await #expect(throws: CancellationError.self) { try await checking.value }
        #expect(await ignoring.value == true, "the job ran inside the cancelled task and saw it")
        #expect(completed.names == ["ignoring"])
        #expect(pool.queueDepth == 0)
    }

    @Test("the shared pools: compute has one thread per core, blocking I/O at least four, neither is the caller's")
    func sharedPools() async {
        let shared = ServiceExecutors.shared
        #expect(shared.compute.threadCount == Self.cores)
        #expect(shared.blockingIO.threadCount == ServiceExecutors.blockingIOThreadCount && shared.blockingIO.threadCount >= 4)
        #expect(shared.blockingIO !== shared.compute)
        let io = await onBlockingIOThreads { (currentThreadName(), ServiceExecutors.shared.blockingIO.isCurrentThread) }
        #expect(io.0.hasPrefix("pakit-io-") && io.1)
        let compute = await onComputeThreads { (currentThreadName(), ServiceExecutors.shared.compute.isCurrentThread) }
        #expect(compute.0.hasPrefix("pakit-compute-") && compute.1)
    }
}
