/// The instances of one service (provers today; gateways and relays later) and the work
/// outstanding on each. Callers take a slot with `acquire` and give it back with `release`,
/// saying how the request went:
///
/// - **Least outstanding.** The instance with the fewest requests in flight is chosen, among
///   those with a free slot (`slotsPerInstance`); ties go to the least recently used
///   (round-robin among equals).
/// - **Suspects.** An instance whose request failed is skipped for a back-off that doubles per
///   consecutive failure (`initialBackoff` … `maximumBackoff`); a `503` is skipped for its
///   `Retry-After`. When the back-off ends the next request probes it: success clears it, a
///   failure doubles the back-off.
/// - **Waiting.** When no instance can take a request, `acquire` waits until a slot is
///   released, a back-off ends or `markRecovered` is called; it is cancellation-safe (a
///   cancelled waiter takes no slot and throws `CancellationError`).
///
/// The clock is injectable so that tests drive back-offs deterministically.
public actor InstancePool<C: Clock> where C.Duration == Duration {
    /// How a finished request went, for the instance's health.
    public enum Outcome: Sendable, Equatable {
        /// Answered, or failed in a way that is not the instance's fault.
        case healthy
        /// Transport failure, 5xx, a wrong answer: back off from this instance.
        case failed
        /// `503`: busy or not ready; leave it alone for `Retry-After` (at least 1 s).
        case unavailable(retryAfterSeconds: Int?)
    }

    /// `acquire(timeout:)` found no instance in time.
    public struct AcquireTimeout: Error, Sendable {}

    struct Instance {
        let url: String
        var inFlight = 0
        var suspectUntil: C.Instant?
        var consecutiveFailures = 0
        /// Order of the last assignment, for round-robin among equally loaded instances.
        var lastUsed: UInt64 = 0
    }

    private var instances: [Instance]
    public nonisolated let slotsPerInstance: Int
    public nonisolated let initialBackoff: Duration
    public nonisolated let maximumBackoff: Duration
    private let clock: C
    private var assignments: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private var timerArmed: C.Instant?

    public init(urls: [String], slotsPerInstance: Int = 1, initialBackoff: Duration = .milliseconds(500),
                maximumBackoff: Duration = .seconds(30), clock: C) {
        instances = urls.map { Instance(url: $0) }
        count = urls.count
        self.slotsPerInstance = max(1, slotsPerInstance)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.clock = clock
    }

    /// How many instances the pool has.
    public nonisolated let count: Int

    /// The instances' base URLs, in configuration order.
    public var urls: [String] { instances.map(\.url) }

    /// Waits for a slot and returns the instance to call: among the instances not in
    /// `excluding` (all of them, if that excludes every one), the non-suspect instance with a
    /// free slot and the fewest requests in flight, least recently used first. The caller must
    /// `release` it. Throws `CancellationError` if cancelled while waiting, `AcquireTimeout`
    /// once `timeout` (on the pool's clock) has passed.
    public func acquire(excluding: Set<String> = [], timeout: Duration? = nil) async throws -> String {
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            try Task.checkCancellation()
            if let index = pick(excluding: excluding) {
                assignments += 1
                instances[index].inFlight += 1
                instances[index].lastUsed = assignments
                return instances[index].url
            }
            if let deadline, clock.now >= deadline { throw AcquireTimeout() }
            await waitForChange(deadline: deadline)
        }
    }

    /// Returns a slot taken by `acquire`, recording how the request went.
    public func release(_ url: String, outcome: Outcome) {
        guard let index = instances.firstIndex(where: { $0.url == url }) else { return }
        instances[index].inFlight = max(0, instances[index].inFlight - 1)
        switch outcome {
        case .healthy:
            instances[index].consecutiveFailures = 0
            instances[index].suspectUntil = nil
        case .failed:
            let doublings = min(instances[index].consecutiveFailures, 20)
            instances[index].consecutiveFailures += 1
            let backoff = min(initialBackoff * (1 << doublings), maximumBackoff)
            instances[index].suspectUntil = clock.now.advanced(by: backoff)
        case .unavailable(let seconds):
            let wait = min(Duration.seconds(max(seconds ?? 1, 1)), maximumBackoff)
            instances[index].suspectUntil = clock.now.advanced(by: wait)
        }
        wakeAll()
    }

    /// Ends an instance's back-off now (a health check saw it answer, an operator said so).
    public func markRecovered(_ url: String) {
        guard let index = instances.firstIndex(where: { $0.url == url }) else { return }
        instances[index].suspectUntil = nil
        instances[index].consecutiveFailures = 0
        wakeAll()
    }

    /// The instances for something cheap that needs no slot (a verifying key): healthy ones
    /// first, then by load.
    public func preferredOrder() -> [String] {
        let now = clock.now
        return instances.sorted { a, b in
            let aOK = a.suspectUntil.map { $0 <= now } ?? true
            let bOK = b.suspectUntil.map { $0 <= now } ?? true
            if aOK != bOK { return aOK }
            return a.inFlight < b.inFlight
        }.map(\.url)
    }

    /// Requests in flight per instance, for logs and tests.
    public func load() -> [String: Int] {
        Dictionary(instances.map { ($0.url, $0.inFlight) }, uniquingKeysWith: +)
    }

    /// Callers waiting for a slot (metrics; tests wait for a waiter to be parked).
    public var waitingCount: Int { waiters.count }

    /// Whether `url` is in back-off now.
    public func isSuspect(_ url: String) -> Bool {
        let now = clock.now
        return instances.first { $0.url == url }?.suspectUntil.map { $0 > now } ?? false
    }

    // MARK: private

    private func pick(excluding: Set<String>) -> Int? {
        let now = clock.now
        let allowed = instances.indices.filter { !excluding.contains(instances[$0].url) }
        let candidates = (allowed.isEmpty ? Array(instances.indices) : allowed).filter { index in
            instances[index].inFlight < slotsPerInstance && (instances[index].suspectUntil.map { $0 <= now } ?? true)
        }
        return candidates.min { a, b in
            (instances[a].inFlight, instances[a].lastUsed) < (instances[b].inFlight, instances[b].lastUsed)
        }
    }

    /// Suspends until a slot is released, a back-off or the deadline ends, or the task is cancelled.
    private func waitForChange(deadline: C.Instant?) async {
        armTimer(deadline: deadline)
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.wake(id) }
        }
    }

    private func wake(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume()
    }

    private func wakeAll() {
        let all = waiters
        waiters.removeAll()
        for continuation in all.values { continuation.resume() }
    }

    /// Wakes the waiters when the earliest back-off (or `deadline`) ends.
    private func armTimer(deadline: C.Instant?) {
        let now = clock.now
        let ends = instances.compactMap(\.suspectUntil) + (deadline.map { [$0] } ?? [])
        guard let next = ends.filter({ $0 > now }).min() else { return }
        if let armed = timerArmed, armed <= next, armed > now { return }
        timerArmed = next
        let clock = self.clock
        Task {
            try? await clock.sleep(until: next, tolerance: nil)
            await self.timerFired(next)
        }
    }

    private func timerFired(_ instant: C.Instant) {
        if timerArmed == instant { timerArmed = nil }
        wakeAll()
    }
}

extension InstancePool where C == ContinuousClock {
    /// A pool on the real clock.
    public init(urls: [String], slotsPerInstance: Int = 1, initialBackoff: Duration = .milliseconds(500),
                maximumBackoff: Duration = .seconds(30)) {
        self.init(urls: urls, slotsPerInstance: slotsPerInstance, initialBackoff: initialBackoff,
                  maximumBackoff: maximumBackoff, clock: ContinuousClock())
    }
}
