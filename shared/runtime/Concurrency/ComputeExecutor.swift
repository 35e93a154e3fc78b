import Foundation

/// Dedicated threads for CPU-bound work (key setup, sealing, proving).
///
/// A proof keeps two threads busy for about a second (a batch proof for much longer). Run on
/// Swift's cooperative pool — one thread per core, two here — it would leave no thread for the
/// server's other requests, so `/health` and the `busy` answers would wait behind it. Work
/// started under `withTaskExecutorPreference(compute)` runs here instead, child tasks
/// (`async let`, task groups inside PakitZK) included, and the OS shares the cores fairly
/// between these threads and the request-handling ones.
public final class ComputeExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// Starts `threads` worker threads (they live as long as the process).
    public init(threads: Int, name: String) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in self.work() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// The process's compute threads: one per core.
    public static let shared = ComputeExecutor(threads: ProcessInfo.processInfo.activeProcessorCount, name: "pakit-prover-compute")
}

/// Runs `body` on the compute threads (see `ComputeExecutor`).
public func onComputeThreads<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(ComputeExecutor.shared) { try await body() }
}
