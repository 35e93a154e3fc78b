import Foundation
import Synchronization

/// Bounded concurrency with a bounded FIFO queue: at most `maxRunning` jobs run, at most
/// `maxQueued` wait, and anything beyond is refused at once (`ProverError.busy`) instead of
/// piling up requests, bodies and constraint systems in memory.
///
/// A request takes a place when it arrives (`admit`), before its body is read, so refusals
/// cost nothing; it then waits for a slot (`Ticket.start`) and gives everything back with
/// `Ticket.finish` (also when it fails or is cancelled).
final class WorkLimiter: Sendable {
    let maxRunning: Int
    let maxQueued: Int
    private let onChange: @Sendable (_ waiting: Int, _ running: Int) -> Void

    private struct State {
        var admitted = 0
        var running = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
        /// Exponential moving average of a job's run time, for Retry-After.
        var averageSeconds = 1.0
    }
    private let state = Mutex(State())

    init(maxRunning: Int, maxQueued: Int, onChange: @escaping @Sendable (_ waiting: Int, _ running: Int) -> Void = { _, _ in }) {
        self.maxRunning = maxRunning
        self.maxQueued = maxQueued
        self.onChange = onChange
    }

    /// Jobs admitted but not running.
    var waiting: Int { state.withLock { $0.admitted - $0.running } }
    /// Jobs running.
    var running: Int { state.withLock { $0.running } }
    /// Jobs blocked in `Ticket.start()` (admitted jobs may still be reading their body).
    var parked: Int { state.withLock { $0.waiters.count } }

    /// Takes a place, or throws `busy` with a Retry-After estimate when all are taken.
    func admit() throws(ProverError) -> Ticket {
        let outcome: Result<(Int, Int), ProverError> = state.withLock { state in
            guard state.admitted < maxRunning + maxQueued else {
                let ahead = Double(state.admitted - state.running + 1) / Double(maxRunning)
                return .failure(.busy(retryAfter: max(1, Int((ahead * state.averageSeconds).rounded(.up)))))
            }
            state.admitted += 1
            return .success((state.admitted - state.running, state.running))
        }
        let (waiting, running) = try outcome.get()
        onChange(waiting, running)
        return Ticket(limiter: self)
    }

    fileprivate func start() async throws {
        let id: UInt64? = state.withLock { state in
            if state.running < maxRunning && state.waiters.isEmpty {
                state.running += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        if let id {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let cancelled = state.withLock { state -> Bool in
                        if Task.isCancelled { return true }
                        state.waiters.append((id, continuation))
                        return false
                    }
                    if cancelled { continuation.resume(throwing: CancellationError()) }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                waiter?.resume(throwing: CancellationError())
            }
        }
        report()
    }

    fileprivate func finish(started: Bool, seconds: Double?) {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.admitted -= 1
            if let seconds { state.averageSeconds = 0.8 * state.averageSeconds + 0.2 * seconds }
            guard started else { return nil }
            if state.waiters.isEmpty {
                state.running -= 1
                return nil
            }
            // The slot passes straight to the next waiter (running stays the same).
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
        report()
    }

    private func report() {
        let (waiting, running) = state.withLock { ($0.admitted - $0.running, $0.running) }
        onChange(waiting, running)
    }

    /// One admitted job. Call `finish()` exactly once.
    final class Ticket: Sendable {
        private let limiter: WorkLimiter
        private let phase = Mutex<(started: Bool, finished: Bool, startedAt: ContinuousClock.Instant?)>((false, false, nil))

        fileprivate init(limiter: WorkLimiter) { self.limiter = limiter }

        /// Waits for a running slot (FIFO). Throws `CancellationError` if the task is cancelled
        /// while waiting; `finish()` must still be called.
        func start() async throws {
            try await limiter.start()
            phase.withLock { $0.started = true; $0.startedAt = .now }
        }

        /// Releases the place (and the slot, if started).
        func finish() {
            let (first, started, startedAt) = phase.withLock { phase in
                defer { phase.finished = true }
                return (!phase.finished, phase.started, phase.startedAt)
            }
            guard first else { return }
            let seconds = startedAt.map { instant -> Double in
                let elapsed = ContinuousClock.now - instant
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            limiter.finish(started: started, seconds: seconds)
        }

        /// Runs `body` in a slot and always releases the place.
        func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
            defer { finish() }
            try await start()
            return try await body()
        }
    }
}
