import Foundation

/// Regional transmit duty-cycle limits as the firmware enforces them (`RadioInterface.cpp regions[]`).
public struct RegionDutyCycle: Sendable {
    /// Percent of each rolling hour a node may transmit for a `Config.LoRaConfig.RegionCode` number.
    ///
    /// EU_433, EU_868, UA_433 and TH are 10 %, UA_868 is 1 %, every other region is 100 %, which the
    /// firmware treats as "no limit". In particular US has no firmware limit, although LoRaWAN's
    /// US902-928 rules cap dwell time at 400 ms per channel; Meshtastic neither hops nor enforces
    /// that, so a conservative client must add its own cap.
    public static func percent(regionCode: Int) -> Double {
        switch regionCode {
        case 2, 3, 12, 14: 10  // EU_433, EU_868, TH, UA_433
        case 15: 1  // UA_868
        default: 100
        }
    }
}

/// A ring of fixed-length time buckets, each remembering which period it holds so a bucket is
/// treated as empty once its period has scrolled out, however far time jumps.
struct RollingBuckets: Sendable {
    let periodMs: Double
    private var amounts: [Double]
    /// Period number each slot holds; `nil` = never used.
    private var periods: [Int?]
    /// Latest time recorded; earlier times are clamped to it because the clock never runs backwards.
    private var latestMs = -Double.infinity

    init(count: Int, periodMs: Double) {
        self.periodMs = periodMs
        amounts = Array(repeating: 0, count: count)
        periods = Array(repeating: nil, count: count)
    }

    var count: Int { amounts.count }
    var windowMs: Double { Double(count) * periodMs }

    /// Adds `amount` to the bucket of the period containing `nowMs`, starting it afresh if it last
    /// held an older period (the firmware zeroes a bucket when its period begins again).
    mutating func add(_ amount: Double, at nowMs: Double) {
        let time = effectiveTime(nowMs)
        latestMs = time
        guard amount.isFinite, amount > 0 else { return }
        let period = period(of: time)
        let slot = slot(of: period)
        if periods[slot] != period {
            periods[slot] = period
            amounts[slot] = 0
        }
        amounts[slot] += amount
    }

    /// Sum over the current period and the `count − 1` before it.
    func sum(at nowMs: Double) -> Double {
        let current = period(of: effectiveTime(nowMs))
        return (0 ..< count).reduce(0) { $0 + amount(inPeriod: current - $1) }
    }

    /// What was recorded in period `period`, or 0 if that bucket now holds another period.
    func amount(inPeriod period: Int) -> Double {
        let slot = slot(of: period)
        return periods[slot] == period ? amounts[slot] : 0
    }

    /// The period number containing `nowMs` (after clamping to the latest recorded time).
    func currentPeriod(at nowMs: Double) -> Int { period(of: effectiveTime(nowMs)) }

    private func effectiveTime(_ nowMs: Double) -> Double {
        let time = nowMs.isNaN ? latestMs : max(nowMs, latestMs)
        // ±2^53 ms is ~285,000 years; the clamp keeps the Int conversion below from trapping.
        let limit = 9_007_199_254_740_992.0
        return time.isFinite ? min(max(time, -limit), limit) : (time > 0 ? limit : -limit)
    }

    private func period(of timeMs: Double) -> Int { Int((timeMs / periodMs).rounded(.down)) }

    private func slot(of period: Int) -> Int {
        let remainder = period % count
        return remainder < 0 ? remainder + count : remainder
    }
}

/// The firmware's own-transmit airtime accounting (`airtime.cpp utilizationTX`): 60 one-minute
/// buckets in a ring indexed by minute, summed over the rolling hour.
///
/// Times are caller-supplied monotonic or simulated milliseconds; there is no clock inside, so a
/// simulator can jump hours ahead and tests are deterministic.
public struct AirtimeLedger: Sendable {
    /// Milliseconds in the accounting window (`MS_IN_HOUR`).
    public static let hourMs = 3_600_000.0
    /// Bucket length (`MS_IN_MINUTE`).
    public static let minuteMs = 60_000.0

    private var buckets = RollingBuckets(count: 60, periodMs: AirtimeLedger.minuteMs)

    public init() {}

    /// Books a finished own transmission of `transmitMs` at time `nowMs` (the firmware logs it when TX completes).
    public mutating func record(transmitMs: Double, at nowMs: Double) {
        buckets.add(transmitMs, at: nowMs)
    }

    /// Own airtime over the last 60 minute-buckets, the current partial minute included.
    public func usedMs(at nowMs: Double) -> Double { buckets.sum(at: nowMs) }

    /// `utilizationTXPercent`: used airtime as a percentage of one hour.
    public func utilizationPercent(at nowMs: Double) -> Double {
        usedMs(at: nowMs) / Self.hourMs * 100
    }

    /// The firmware's check in `Router::send`: refused only when usage already exceeds the limit
    /// before this packet, so the packet that crosses the limit still goes out. Limits of 100 % or
    /// more mean "no limit".
    public func firmwareAllowsSend(at nowMs: Double, dutyCyclePercent: Double) -> Bool {
        guard dutyCyclePercent < 100 else { return true }
        return !exceeds(usedMs(at: nowMs), dutyCyclePercent)
    }

    /// Airtime that still fits so that usage after the send stays within the limit; keeping to
    /// it means the firmware never answers `DUTY_CYCLE_LIMIT`. Infinite for limits of 100 % or more.
    public func headroomMs(at nowMs: Double, dutyCyclePercent: Double) -> Double {
        guard dutyCyclePercent < 100 else { return .infinity }
        return max(0, Self.limitMs(dutyCyclePercent) - usedMs(at: nowMs))
    }

    /// Minute boundaries to wait until old buckets expire enough for the firmware to accept a send
    /// again (0 if it accepts now), in the spirit of the firmware's `getSilentMinutes`.
    ///
    /// The firmware walks its ring by array index rather than by age, so its notification can
    /// differ; this walks from the oldest minute. The wait is at most this many minutes.
    public func silentMinutes(at nowMs: Double, dutyCyclePercent: Double) -> Int {
        guard let minute = resumeMinute(at: nowMs, dutyCyclePercent: dutyCyclePercent) else { return 0 }
        return minute - buckets.currentPeriod(at: nowMs)
    }

    /// The earliest time at which ``firmwareAllowsSend(at:dutyCyclePercent:)`` turns true again
    /// (`nowMs` itself if it already is).
    public func sendAllowedAtMs(at nowMs: Double, dutyCyclePercent: Double) -> Double {
        guard let minute = resumeMinute(at: nowMs, dutyCyclePercent: dutyCyclePercent) else { return nowMs }
        return Double(minute) * Self.minuteMs
    }

    /// Whether `airtimeMs` fits in `fraction` of the region's budget; 0.5 is the firmware's
    /// "polite" share for non-essential traffic. Regions without a limit always allow.
    public func canSend(airtimeMs: Double, at nowMs: Double, dutyCyclePercent: Double, fraction: Double = 1) -> Bool {
        guard dutyCyclePercent < 100 else { return true }
        let share = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        return max(airtimeMs, 0) <= headroomMs(at: nowMs, dutyCyclePercent: dutyCyclePercent * share)
    }

    /// The minute at whose start enough old buckets have expired, or `nil` if sending is allowed now.
    private func resumeMinute(at nowMs: Double, dutyCyclePercent: Double) -> Int? {
        guard !firmwareAllowsSend(at: nowMs, dutyCyclePercent: dutyCyclePercent) else { return nil }
        let current = buckets.currentPeriod(at: nowMs)
        var remaining = usedMs(at: nowMs)
        // Minute `current − 60 + k` leaves the window when minute `current + k` begins.
        for k in 1 ..< buckets.count {
            remaining -= buckets.amount(inPeriod: current - buckets.count + k)
            if !exceeds(remaining, dutyCyclePercent) { return current + k }
        }
        return current + buckets.count
    }

    private static func limitMs(_ dutyCyclePercent: Double) -> Double {
        max(dutyCyclePercent, 0) * hourMs / 100
    }

    /// Compares `used · 100` with `limit · hour` so that whole-millisecond values compare exactly
    /// (a percentage in binary floating point would put 360,000 ms a hair above or below 10 %).
    private func exceeds(_ usedMs: Double, _ dutyCyclePercent: Double) -> Bool {
        usedMs * 100 > dutyCyclePercent * Self.hourMs
    }
}

/// Channel utilisation as the firmware measures it (`airtime.cpp channelUtilization`): all airtime
/// heard or sent (RX + TX) over the last 60 s in six 10-second buckets. It drives the contention
/// window (``MACTiming/contentionWindow(channelUtilizationPercent:)``) and the polite-traffic gate.
public struct ChannelActivity: Sendable {
    /// The firmware defers non-essential traffic at or above this utilisation.
    public static let politeUtilizationPercent = 25.0
    /// The firmware's non-polite ceiling: traffic that checks channel utilisation waits at or above it.
    public static let maximumUtilizationPercent = 40.0

    private var buckets = RollingBuckets(count: 6, periodMs: 10_000)

    public init() {}

    /// Books `airtimeMs` of channel activity (own TX or any RX) at `nowMs`.
    public mutating func record(airtimeMs: Double, at nowMs: Double) {
        buckets.add(airtimeMs, at: nowMs)
    }

    /// Busy airtime over the last six 10-second buckets as a percentage of 60 s.
    public func utilizationPercent(at nowMs: Double) -> Double {
        buckets.sum(at: nowMs) / buckets.windowMs * 100
    }

    /// `isTxAllowedChannelUtil`: below 25 % for polite traffic, below 40 % otherwise.
    public func allowsTransmit(at nowMs: Double, polite: Bool) -> Bool {
        utilizationPercent(at: nowMs) < (polite ? Self.politeUtilizationPercent : Self.maximumUtilizationPercent)
    }
}
