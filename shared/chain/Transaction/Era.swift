/// A transaction's validity window (`sp_runtime::generic::Era`). A mortal transaction is valid
/// from its birth block for `period` blocks and names the birth block's hash in what it signs,
/// so it can never be replayed after that (not even once its account is reaped and refunded).
public enum Era: Sendable, Equatable {
    case immortal
    case mortal(period: UInt64, phase: UInt64)

    /// A mortal era of at least `period` blocks (rounded up to a power of two in 4…65536)
    /// starting near block `current`, with the phase quantised as the runtime does.
    public static func mortal(period: UInt64, current: UInt64) -> Era {
        let wanted = min(max(period, 4), 1 << 16)
        let rounded = UInt64(1) << (64 - (wanted - 1).leadingZeroBitCount)
        let quantum = max(rounded >> 12, 1)
        let phase = current % rounded / quantum * quantum
        return .mortal(period: rounded, phase: phase)
    }

    /// The first block this era is valid in, for a transaction signed at block `current`;
    /// its hash is what the signature covers. The genesis block for an immortal era.
    public func birth(current: UInt64) -> UInt64 {
        switch self {
        case .immortal: return 0
        case .mortal(let period, let phase): return (max(current, phase) - phase) / period * period + phase
        }
    }

    /// The first block this era is no longer valid in.
    public func death(current: UInt64) -> UInt64 {
        switch self {
        case .immortal: return .max
        case .mortal(let period, _): return birth(current: current) + period
        }
    }

    /// One byte `00` for immortal, else a `u16` LE: `clamp(log2(period) − 1, 1, 15) | (phase / q) ≪ 4`.
    public func encode(into writer: inout ScaleWriter) {
        switch self {
        case .immortal:
            writer.u8(0)
        case .mortal(let period, let phase):
            let quantum = max(period >> 12, 1)
            let low = UInt16(min(max(period.trailingZeroBitCount - 1, 1), 15))
            writer.u16(low | UInt16(truncatingIfNeeded: (phase / quantum) << 4))
        }
    }

    public static func decode(from reader: inout ScaleReader) throws(ChainError) -> Era {
        let first = try reader.u8()
        if first == 0 { return .immortal }
        let encoded = UInt16(first) | UInt16(try reader.u8()) << 8
        let period = UInt64(2) << (encoded % (1 << 4))
        let quantum = max(period >> 12, 1)
        let phase = UInt64(encoded >> 4) * quantum
        guard period >= 4, phase < period else {
            throw ChainError(.extrinsic, "era bytes \(encoded) give phase \(phase) outside period \(period)")
        }
        return .mortal(period: period, phase: phase)
    }
}
