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
