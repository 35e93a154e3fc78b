/// How often and how patiently a call is repeated after a retryable failure.
///
/// The wait before retry `n` (1-based) is drawn uniformly from `0 ... min(maximumDelay,
/// baseDelay × 2ⁿ⁻¹)` ("full jitter"): many clients that failed together do not come back
/// together. A peer's `Retry-After` is a lower bound on the wait.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included; 1 means no retry.
    public var maximumAttempts: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration

    public init(maximumAttempts: Int, baseDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5)) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// Three attempts, 100 ms doubling up to 5 s: for internal calls.
    public static let standard = RetryPolicy(maximumAttempts: 3)
    /// One attempt: for callers that fail over themselves. (Not `.none`, which an optional
    /// `retry:` parameter would read as nil.)
    public static let noRetries = RetryPolicy(maximumAttempts: 1)

    /// The wait before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int, retryAfter: Duration? = nil) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maximumDelay)
        let ceilingNanoseconds = max(ceiling.nanoseconds, 0)
        let jittered = Duration.nanoseconds(Int64.random(in: 0...ceilingNanoseconds))
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, maximumDelay))
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (durations here are at most days).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
