import Foundation
#if canImport(CLinux)
import CLinux
#endif

/// A `TaskExecutor` over a fixed set of dedicated threads, outside Swift's cooperative pool.
///
/// Swift's cooperative pool has one thread per core (two on our machines). Anything that holds
/// a thread there — a blocking system call, a SHA-256 over a block, zstd, a pairing — holds one
/// of the two threads every request shares, so `/health` and every other request wait behind
/// it. Work run here (`run { … }`) holds one of these threads instead; the cooperative threads
/// stay free and the OS shares the cores between both sets fairly.
///
/// `run` moves the *calling task* here (`withTaskExecutorPreference`), so the body sees the
/// task's cancellation, priority and task-locals, its errors come back typed, and child tasks
/// it starts (`async let`, task groups) run here too. Jobs run in FIFO order.
///
/// Use the process's pools from `ServiceExecutors.shared` rather than making new ones: the
/// threads live as long as the process.
public final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    /// Thread name prefix; each thread is `<name>-<index>`.
    public let name: String
    /// Number of worker threads.
    public let threadCount: Int

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var running = 0
    private var stopping = false

    /// Starts `threads` worker threads (at least one). They live as long as the process, or
    /// until `shutdown()`.
    public init(threads: Int, name: String) {
        self.name = name
        self.threadCount = max(1, threads)
        for index in 0..<threadCount {
            let threadName = "\(name)-\(index)"
            let thread = Thread { [self] in
                // Named from inside, with the OS call itself: Foundation's `Thread.name` does not
                // reliably reach the OS thread on Linux, and `top -H`, gdb and crash logs read that.
                Self.nameCurrentThread(threadName)
                self.work()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Gives the calling OS thread `name` (at most 15 bytes reach the kernel).
    private static func nameCurrentThread(_ name: String) {
        #if canImport(CLinux)
        _ = pakit_name_current_thread(String(name.utf8.prefix(15)) ?? name)
        #else
        Thread.current.name = name
        #endif
    }

    /// Runs `body` on this executor's threads and returns its result or rethrows its error.
    ///
    /// The caller suspends (its cooperative thread is free) until a thread of this pool has run
    /// the body. Cancelling the caller does not abandon the body — it may hold files or
    /// half-written state — it runs to the end and its outcome is returned; a body that wants
    /// to stop early checks `Task.isCancelled` / `Task.checkCancellation()` itself.
    public func run<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(self, isolation: nil) { () async throws(Failure) -> T in
            // The preference moves the task at its next hop, and a body with no suspension point
            // of its own may have none: it would run right here, on the caller's (cooperative)
            // thread. A yield re-enqueues the task, on this executor now.
            if !isCurrentThread { await Task.yield() }
            return try await body()
        }
    }

    /// Lets the threads end once the jobs already queued have run. For pools that belong to
    /// something with an end (a database connection); nothing may be enqueued afterwards.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Jobs waiting for a thread (not counting those running). Cheap: one lock.
    public var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    /// Jobs running on a thread right now.
    public var runningJobs: Int {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    /// Whether the current thread is one of this pool's.
    public var isCurrentThread: Bool { Self.currentPool.map { $0 === self } ?? false }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        Thread.current.threadDictionary[Self.poolKey] = PoolReference(self)
        while true {
            condition.lock()
            while head == jobs.count {
                if stopping {
                    condition.unlock()
                    return
                }
                condition.wait()
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            running += 1
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
            running -= 1
            condition.unlock()
        }
    }

    private static let poolKey = "pakit.threadPoolExecutor"

    private final class PoolReference: @unchecked Sendable {
        weak var pool: ThreadPoolExecutor?
        init(_ pool: ThreadPoolExecutor) { self.pool = pool }
    }

    private static var currentPool: ThreadPoolExecutor? {
        (Thread.current.threadDictionary[poolKey] as? PoolReference)?.pool
    }
}
