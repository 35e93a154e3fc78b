import Foundation

/// The firmware's CSMA/flooding timing (`RadioInterface.cpp`, `ReliableRouter`, `NextHopRouter`),
/// so a simulated node waits and retries exactly as a real one would.
public enum MACTiming {
    /// Smallest contention window exponent (`CWmin`).
    public static let minimumContentionWindow = 3
    /// Largest contention window exponent (`CWmax`).
    public static let maximumContentionWindow = 8
    /// Attempts for a `want_ack` packet (`NUM_RELIABLE_RETX`).
    public static let reliableAttempts = 3
    /// Default hop limit (`HOP_RELIABLE`).
    public static let defaultHopLimit = 3
    /// Largest hop limit: the header has three bits for it (`HOP_MAX`).
    public static let maximumHopLimit = 7
    /// Allowance for the receiver to process and answer (`PROCESSING_TIME_MSEC`).
    public static let processingTimeMs = 4_500.0

    /// Lowest and highest SNR (dB) the firmware maps onto the contention window.
    static let snrRange = -20 ... 10

    // MARK: Contention window

    /// CW for own transmissions: `map(util, 0, 100, CWmin, CWmax)`.
    ///
    /// Arduino `map` works on `long`, so the percentage is truncated and the division rounds
    /// toward zero; the input is clamped because a measured utilisation can overshoot 100.
    public static func contentionWindow(channelUtilizationPercent: Double) -> Int {
        arduinoMap(channelUtilizationPercent, from: 0 ... 100)
    }

    /// CW for rebroadcasts: `map(snr, -20, 10, CWmin, CWmax)`, so nodes that hear the sender
    /// weakly (likely farther away) relay first.
    public static func contentionWindow(snr: Double) -> Int {
        arduinoMap(snr, from: snrRange)
    }

    private static func arduinoMap(_ value: Double, from range: ClosedRange<Int>) -> Int {
        let clamped = value.isNaN ? Double(range.lowerBound)
            : min(max(value, Double(range.lowerBound)), Double(range.upperBound))
        let x = Int(clamped.rounded(.towardZero))
        let span = maximumContentionWindow - minimumContentionWindow
        return (x - range.lowerBound) * span / (range.upperBound - range.lowerBound) + minimumContentionWindow
    }

    // MARK: Delays

    /// Delay before an own transmission: `random(0, 2^CW) · slot`.
    ///
    /// - Parameter random: returns a value in the given range (Arduino `random(min, max)` excludes
    ///   `max`); injected so simulations are reproducible. Out-of-range answers are clamped.
    public static func ownTransmitDelayMs(
        modulation: LoRaModulation,
        channelUtilizationPercent: Double,
        random: (Range<Int>) -> Int
    ) -> Double {
        let window = contentionWindow(channelUtilizationPercent: channelUtilizationPercent)
        return Double(draw(0 ..< 1 << window, random)) * modulation.slotTimeMs
    }

    /// ``ownTransmitDelayMs(modulation:channelUtilizationPercent:random:)`` with a generator.
    public static func ownTransmitDelayMs(
        modulation: LoRaModulation,
        channelUtilizationPercent: Double,
        using generator: inout some RandomNumberGenerator
    ) -> Double {
        ownTransmitDelayMs(modulation: modulation, channelUtilizationPercent: channelUtilizationPercent) {
            Int.random(in: $0, using: &generator)
        }
    }

    /// Delay before relaying a received flood packet (`getTxDelayMsecWeighted`).
    ///
    /// Clients wait out every router first, `2 · CWmax` slots, then `random(0, 2^CW(snr))` slots;
    /// routers draw `random(0, 2 · CW(snr))` slots (the firmware multiplies, it does not exponentiate).
    public static func rebroadcastDelayMs(
        modulation: LoRaModulation,
        snr: Double,
        isRouter: Bool,
        random: (Range<Int>) -> Int
    ) -> Double {
        let window = contentionWindow(snr: snr)
        let slot = modulation.slotTimeMs
        if isRouter {
            return Double(draw(0 ..< 2 * window, random)) * slot
        }
        return Double(2 * maximumContentionWindow) * slot + Double(draw(0 ..< 1 << window, random)) * slot
    }

    /// ``rebroadcastDelayMs(modulation:snr:isRouter:random:)`` with a generator.
    public static func rebroadcastDelayMs(
        modulation: LoRaModulation,
        snr: Double,
        isRouter: Bool,
        using generator: inout some RandomNumberGenerator
    ) -> Double {
        rebroadcastDelayMs(modulation: modulation, snr: snr, isRouter: isRouter) {
            Int.random(in: $0, using: &generator)
        }
    }

    /// How long a sender waits for an ACK before retrying (`getRetransmissionMsec`):
    /// `2 · ToA + (2^CW + 2 · CWmax + 2^((CWmin + CWmax) / 2)) · slot + 4500 ms`.
    /// The firmware budgets the packet and its ACK as two packet times, the longest own backoff,
    /// the relay wait of a client, and a mid-range SNR backoff.
    public static func retransmissionTimeoutMs(
        modulation: LoRaModulation,
        packetTimeOnAirMs: Double,
        channelUtilizationPercent: Double
    ) -> Double {
        let window = contentionWindow(channelUtilizationPercent: channelUtilizationPercent)
        let midWindow = (minimumContentionWindow + maximumContentionWindow) / 2
        let slots = (1 << window) + 2 * maximumContentionWindow + (1 << midWindow)
        return 2 * packetTimeOnAirMs + Double(slots) * modulation.slotTimeMs + processingTimeMs
    }

    private static func draw(_ range: Range<Int>, _ random: (Range<Int>) -> Int) -> Int {
        min(max(random(range), range.lowerBound), range.upperBound - 1)
    }
}
