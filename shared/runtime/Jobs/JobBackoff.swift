/// Delay before a failed job's next attempt: exponential in the attempts made, capped, with
/// "equal jitter" (a random point in the upper half) so jobs that failed together do not all
/// come back in the same millisecond.
public struct JobBackoff: Sendable {
    public var base: Duration
    public var maximum: Duration

    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(300)) {
        self.base = base
        self.maximum = maximum
    }

    /// Milliseconds to wait after the `attempts`-th attempt failed.
    public func delayMilliseconds(afterAttempt attempts: Int) -> Int64 {
        let baseMS = max(1, Self.milliseconds(base))
        let maxMS = max(baseMS, Self.milliseconds(maximum))
        let exponent = min(max(attempts - 1, 0), 40)
        // base × 2^exponent without overflow: stop doubling at the cap.
        var delay = baseMS
        for _ in 0..<exponent where delay < maxMS { delay = delay > maxMS / 2 ? maxMS : delay * 2 }
        delay = min(delay, maxMS)
        return delay / 2 + Int64.random(in: 0...(delay - delay / 2))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max / 4 : product + attoseconds / 1_000_000_000_000_000
    }
}
