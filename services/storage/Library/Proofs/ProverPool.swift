import Foundation

/// The configured prover instances and the work outstanding on each: storage balances by
/// least outstanding requests, allows `slotsPerProver` requests per instance at once (a prover
/// works on one proof at a time with both cores, so more would only queue there), and keeps an
/// instance that just failed out of rotation for a short, growing back-off.
actor ProverPool {
    /// How a finished request went, for the instance's health.
    enum Outcome: Sendable {
        /// Answered (any answer that is not the instance's fault).
        case healthy
        /// Transport failure, 5xx, or a wrong answer: back off from this instance.
        case failed
        /// `503`: the instance is busy or still preparing keys; leave it alone for a while.
        case unavailable(retryAfterSeconds: Int?)
    }

    struct Instance: Sendable {
        let url: String
        var inFlight = 0
        var suspectUntil: ContinuousClock.Instant?
        var consecutiveFailures = 0
        /// Order of the last assignment, for round-robin among equally loaded instances.
        var lastUsed: UInt64 = 0
    }

    private var instances: [Instance]
    let slotsPerProver: Int
    private var assignments: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private var timerArmed: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    /// First back-off after a failure; it doubles per consecutive failure up to `maximumBackoff`.
    static let initialBackoff: Duration = .milliseconds(500)
    static let maximumBackoff: Duration = .seconds(30)

    init(urls: [String], slotsPerProver: Int = 1) {
        instances = urls.map { Instance(url: $0) }
        self.slotsPerProver = slotsPerProver
    }

    var urls: [String] { instances.map(\.url) }

    /// Waits for a slot and returns the instance to call: among the instances not in
    /// `excluding` (all of them, if that excludes every one), the non-suspect instance with a
    /// free slot and the fewest requests in flight, least recently used first. The caller must
    /// `release` it. Throws `CancellationError` when the task is cancelled while waiting.
    func acquire(excluding: Set<String> = []) async throws -> String {
        while true {
            try Task.checkCancellation()
            if let index = pick(excluding: excluding) {
                assignments += 1
                instances[index].inFlight += 1
                instances[index].lastUsed = assignments
                return instances[index].url
            }
            await waitForChange()
        }
    }

    /// Returns a slot taken by `acquire`, recording how the request went.
    func release(_ url: String, outcome: Outcome) {
        guard let index = instances.firstIndex(where: { $0.url == url }) else { return }
        instances[index].inFlight = max(0, instances[index].inFlight - 1)
        switch outcome {
        case .healthy:
            instances[index].consecutiveFailures = 0
            instances[index].suspectUntil = nil
        case .failed:
            let failures = min(instances[index].consecutiveFailures, 6)
            instances[index].consecutiveFailures += 1
            let backoff = min(Self.initialBackoff * (1 << failures), Self.maximumBackoff)
            instances[index].suspectUntil = clock.now + backoff
        case .unavailable(let seconds):
            let wait = min(Duration.seconds(max(seconds ?? 1, 1)), Self.maximumBackoff)
            instances[index].suspectUntil = clock.now + wait
        }
        wakeAll()
    }

    /// An instance to ask something cheap (a verifying key), healthy ones first, then by load.
    func preferredOrder() -> [String] {
        let now = clock.now
        return instances.sorted { a, b in
            let aOK = a.suspectUntil.map { $0 <= now } ?? true
            let bOK = b.suspectUntil.map { $0 <= now } ?? true
            if aOK != bOK { return aOK }
            return a.inFlight < b.inFlight
        }.map(\.url)
    }

    /// Requests in flight per instance, for logs and tests.
    func load() -> [String: Int] {
        Dictionary(uniqueKeysWithValues: instances.map { ($0.url, $0.inFlight) })
    }

    // MARK: private

    private func pick(excluding: Set<String>) -> Int? {
        let now = clock.now
        let allowed = instances.indices.filter { !excluding.contains(instances[$0].url) }
        let candidates = (allowed.isEmpty ? Array(instances.indices) : allowed).filter { index in
            instances[index].inFlight < slotsPerProver && (instances[index].suspectUntil.map { $0 <= now } ?? true)
        }
        return candidates.min { a, b in
            (instances[a].inFlight, instances[a].lastUsed) < (instances[b].inFlight, instances[b].lastUsed)
        }
    }

    /// Suspends until a slot is released, a back-off ends, or the task is cancelled.
    private func waitForChange() async {
        armTimerForNextRecovery()
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

    /// Wakes the waiters when the earliest back-off ends, so a suspect instance can be retried.
    private func armTimerForNextRecovery() {
        let now = clock.now
        guard let next = instances.compactMap({ $0.suspectUntil }).filter({ $0 > now }).min() else { return }
        if let armed = timerArmed, armed <= next, armed > now { return }
        timerArmed = next
        Task {
            try? await Task.sleep(until: next, clock: .continuous)
            self.timerFired()
        }
    }

    private func timerFired() {
        timerArmed = nil
        wakeAll()
    }
}
