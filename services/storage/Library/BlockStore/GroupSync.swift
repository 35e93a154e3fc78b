import CLinux
import Foundation
import Synchronization

/// Group commit for the block store: writers that need their files durable call `sync()`; one
/// `syncfs` covers every file written before it started, and all callers waiting on it share
/// that one flush. A caller arriving while a flush runs waits for the next one, because the
/// running flush may have started before its writes.
final class GroupSync: Sendable {
    private struct State {
        var running = false
        var generation: UInt64 = 0  // completed flushes
        var waiters: [(target: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state = Mutex(State())
    private let directoryFD: Int32
    /// Flushes performed; the benchmark reports blocks per flush from it.
    let flushes = Atomic<Int>(0)

    init(directory: String) throws {
        directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw BlockStoreError.io("open \(directory): \(String(cString: strerror(errno)))") }
    }

    deinit { close(directoryFD) }

    /// Returns once everything this caller wrote before calling is on stable storage.
    func sync() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startFlush = state.withLock { state -> Bool in
                // Needs a flush that starts after now: the one after the running one, if any.
                let target = state.generation + (state.running ? 2 : 1)
                state.waiters.append((target, continuation))
                if state.running { return false }
                state.running = true
                return true
            }
            if startFlush { runFlushes() }
        }
    }

    private func runFlushes() {
        Thread.detachNewThread { [self] in
            while true {
                let result = pakit_syncfs(directoryFD)
                let error: (any Error)? = result == 0 ? nil : BlockStoreError.io("syncfs: \(String(cString: strerror(errno)))")
                flushes.add(1, ordering: .relaxed)
                StorageMetrics.groupSyncs.increment()
                let (done, more) = state.withLock { state -> ([CheckedContinuation<Void, any Error>], Bool) in
                    state.generation += 1
                    let ready = state.waiters.filter { $0.target <= state.generation }.map(\.continuation)
                    state.waiters.removeAll { $0.target <= state.generation }
                    if state.waiters.isEmpty {
                        state.running = false
                        return (ready, false)
                    }
                    return (ready, true)
                }
                for continuation in done {
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                }
                if !more { return }
            }
        }
    }
}
