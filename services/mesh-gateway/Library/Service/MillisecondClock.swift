/// Milliseconds since the clock was made, on the monotonic clock: the time the membership and
/// the announcement router run on (both state machines take `now` as a number).
struct MillisecondClock: Sendable {
    private let start = ContinuousClock.now

    var now: UInt64 {
        let elapsed = ContinuousClock.now - start
        return UInt64(elapsed.components.seconds) * 1_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Milliseconds from now until `deadline` (0 once it has passed), at most a minute.
    func milliseconds(until deadline: UInt64) -> Int64 {
        let now = self.now
        return deadline <= now ? 0 : Int64(min(deadline - now, 60_000))
    }
}
