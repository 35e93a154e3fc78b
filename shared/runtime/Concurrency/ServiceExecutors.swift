import Foundation

/// The process's two pools of dedicated threads, and which work goes where.
///
/// | Work | Executor | Why |
/// |---|---|---|
/// | System calls that can block: `open`/`read`/`write`/`rename`/`unlink`, directory scans, `fsync` of single files | `blockingIO` | The thread sleeps in the kernel; more threads than cores keep the disk busy without costing CPU. |
/// | CPU-bound work: SHA-256 of blocks, zstd, Poseidon, pairings, proving, tree checks | `compute` | One thread per core: more would only time-slice the same cores. |
/// | Everything else (routing, SQL via its drivers, small bookkeeping) | the cooperative pool | Short, non-blocking steps. |
///
/// Neither is the cooperative pool, so a slow disk or a batch proof cannot take the threads
/// that answer `/health`. Usage: `try await executors.blockingIO.run { try readFile() }`.
///
/// Why our own threads rather than `NIOThreadPool`: it is not a `TaskExecutor` (only
/// escaping `@Sendable` closures, untyped errors, no child tasks), and SQLiteNIO and other NIO
/// code use its singleton, so block I/O there would queue behind (and in front of) metadata
/// queries. These pools are ours alone and show their queue depth.
public struct ServiceExecutors: Sendable {
    /// Blocking system calls (see the table above).
    public let blockingIO: ThreadPoolExecutor
    /// CPU-bound work (see the table above).
    public let compute: ThreadPoolExecutor

    public init(blockingIO: ThreadPoolExecutor, compute: ThreadPoolExecutor) {
        self.blockingIO = blockingIO
        self.compute = compute
    }

    /// Threads for blocking I/O: twice the cores, at least 4, at most 16 (4 on 2 cores: the
    /// ingest window of 4 staged writes, or reads of several requests, in flight at once).
    public static let blockingIOThreadCount = min(16, max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))

    /// The pools every service of this process uses (`pakit-io-<n>`, `pakit-compute-<n>`).
    public static let shared = ServiceExecutors(
        blockingIO: ThreadPoolExecutor(threads: blockingIOThreadCount, name: "pakit-io"),
        compute: ThreadPoolExecutor(threads: ProcessInfo.processInfo.activeProcessorCount, name: "pakit-compute"))

    /// The pools a service opened in this task takes (once, in its `open`): `shared` unless a
    /// caller binds others, e.g. a test that gives one node pools of its own to park:
    /// `try await ServiceExecutors.$current.withValue(own) { try await ServiceHost<…>.start(…) }`.
    /// Services keep what they read here; work that runs later is not affected by the binding.
    @TaskLocal public static var current: ServiceExecutors = .shared
}

/// Runs `body` on the process's compute threads (`ServiceExecutors.shared.compute`).
public func onComputeThreads<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
    try await ServiceExecutors.shared.compute.run(body)
}

/// Runs `body` on the process's blocking-I/O threads (`ServiceExecutors.shared.blockingIO`).
public func onBlockingIOThreads<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
    try await ServiceExecutors.shared.blockingIO.run(body)
}
