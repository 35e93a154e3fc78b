import Foundation
import Synchronization

/// Holds executor threads in a blocking wait until `open()`, the way a slow disk would. A
/// watchdog thread opens it after `deadlockBreaker` so a broken executor fails the test (with
/// `openedByWatchdog` set) instead of hanging it; it is never part of what a test asserts on
/// a passing run.
public final class ParkingGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    private var byWatchdog = false

    /// Starts closed; the watchdog opens it after `deadlockBreaker` seconds if nobody has.
    public init(deadlockBreaker: TimeInterval = 60) {
        let thread = Thread { [weak self] in
            Thread.sleep(forTimeInterval: deadlockBreaker)
            self?.open(byWatchdog: true)
        }
        thread.start()
    }

    /// Blocks the calling thread until the gate opens.
    public func park() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    /// Releases every parked thread, now and later.
    public func open() { open(byWatchdog: false) }

    private func open(byWatchdog: Bool) {
        condition.lock()
        if !isOpen {
            isOpen = true
            self.byWatchdog = byWatchdog
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the gate has opened (by `open()` or the watchdog).
    public var wasOpened: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isOpen
    }

    /// Whether the watchdog opened it: a deadlock was broken, the test has failed.
    public var openedByWatchdog: Bool {
        condition.lock()
        defer { condition.unlock() }
        return byWatchdog
    }
}

/// Counts arrivals from any thread; a task can wait, suspended, for a given count.
public final class Arrivals: Sendable {
    public init() {}
    private struct State {
        var count = 0
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())

    /// Counts one arrival; resumes the waiters whose count is reached.
    public func arrive() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            let ready = state.waiters.filter { $0.target <= state.count }.map(\.continuation)
            state.waiters.removeAll { $0.target <= state.count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `target` arrivals have been counted.
    public func wait(for target: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.count >= target { return true }
                state.waiters.append((target, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// Waits (suspended, re-checking) until `condition` holds, for states with no event to
/// await; gives up with an error if `gate` opens first (its watchdog broke a deadlock).
public func eventually(_ what: String, while gate: ParkingGate, _ condition: () -> Bool) async throws {
    while !condition() {
        if gate.wasOpened { throw GateOpened(waitingFor: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// `eventually` gave up: the gate opened before the awaited state.
public struct GateOpened: Error, CustomStringConvertible {
    public let waitingFor: String
    public var description: String { "the gate opened before \(waitingFor)" }
}
