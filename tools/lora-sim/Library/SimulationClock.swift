import Foundation

/// Simulated time: milliseconds since the simulation started, running `speed` times faster
/// than the wall clock. Clients connect in real time; everything on the simulated air (time on
/// air, MAC delays, retransmission timers, duty-cycle hours) runs in simulated time. A bridge
/// that talks to a fast simulator is told the same speed (`--radio-time-scale`).
public struct SimulationClock: Sendable {
    public let speed: Double
    private let origin: ContinuousClock.Instant
    /// Unix time at simulated zero, for `rx_time` and notifications.
    public let epochAtStart: Double

    public init(speed: Double) {
        self.speed = speed
        origin = ContinuousClock.now
        epochAtStart = Date().timeIntervalSince1970
    }

    /// Simulated milliseconds now.
    public func now() -> Double {
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds * 1000 * speed
    }

    /// Real seconds until simulated time `milliseconds` (≤ 0 when it has passed).
    public func realSeconds(until milliseconds: Double) -> Double {
        (milliseconds - now()) / 1000 / speed
    }

    /// Unix seconds at simulated time `milliseconds`.
    public func unixSeconds(at milliseconds: Double) -> UInt32 {
        UInt32(clamping: Int64((epochAtStart + milliseconds / 1000).rounded(.down)))
    }
}
