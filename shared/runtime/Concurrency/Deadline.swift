import Synchronization

/// A deadline passed before the work it bounded finished.
public struct DeadlineExceeded: Error, Sendable {
    public init() {}
}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` when `timeout` passes first.
public func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded() }
        return first
    }
}

/// Marks progress for `withIdleDeadline`.
public final class ProgressMark: Sendable {
    private let start = ContinuousClock.now
    private let lastNanoseconds = Atomic<Int64>(0)

    init() {}

    /// Something happened: the idle time starts again.
    public func touch() {
        lastNanoseconds.store(Self.nanoseconds(ContinuousClock.now - start), ordering: .relaxed)
    }

    var idle: Duration {
        .nanoseconds(Self.nanoseconds(ContinuousClock.now - start) - lastNanoseconds.load(ordering: .relaxed))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` when `idle` passes without
/// `body` touching its `ProgressMark`: a long transfer may take as long as it keeps moving.
public func withIdleDeadline<T: Sendable>(_ idle: Duration, _ body: @escaping @Sendable (ProgressMark) async throws -> T) async throws -> T {
    let mark = ProgressMark()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body(mark) }
        group.addTask {
            while true {
                let quiet = mark.idle
                if quiet >= idle { throw DeadlineExceeded() }
                try await Task.sleep(for: idle - quiet)
            }
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded() }
        return first
    }
}
