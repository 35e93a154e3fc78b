import Foundation

/// LoRa modulation parameters and the airtime arithmetic that follows from them.
///
/// Time on air uses the Semtech formula (SX1276 datasheet §4.1.1.7, SX126x §6.1.4) with
/// Meshtastic's choices: explicit header, CRC on, low-data-rate optimisation when a symbol is
/// longer than 16 ms. SF5 and SF6 (SX126x only) use the SX126x variant of the formula.
public struct LoRaModulation: Sendable, Hashable {
    /// Spreading factor, 5…12.
    public let spreadingFactor: Int
    /// Channel bandwidth in hertz.
    public let bandwidthHz: Double
    /// Denominator of the coding rate 4/x, 5…8 (the firmware's `cr`, i.e. the formula's CR + 4).
    public let codingRateDenominator: Int
    /// Programmed preamble length in symbols; Meshtastic uses 16.
    public let preambleSymbols: Int

    /// Meshtastic's preamble length (`RadioInterface.h preambleLength`).
    public static let meshtasticPreambleSymbols = 16

    /// Validates the parameters so the arithmetic below can never divide by zero or overflow.
    public init(
        spreadingFactor: Int,
        bandwidthHz: Double,
        codingRateDenominator: Int,
        preambleSymbols: Int = LoRaModulation.meshtasticPreambleSymbols
    ) throws(LoRaModulationError) {
        guard (5 ... 12).contains(spreadingFactor) else { throw .spreadingFactorOutOfRange(spreadingFactor) }
        guard bandwidthHz.isFinite, bandwidthHz >= 1_000, bandwidthHz <= 2_000_000 else {
            throw .bandwidthOutOfRange(bandwidthHz)
        }
        guard (5 ... 8).contains(codingRateDenominator) else {
            throw .codingRateOutOfRange(codingRateDenominator)
        }
        guard (0 ... 65_535).contains(preambleSymbols) else { throw .preambleOutOfRange(preambleSymbols) }
        self.init(unchecked: spreadingFactor, bandwidthHz, codingRateDenominator, preambleSymbols)
    }

    /// For the presets, whose constants are known to be valid.
    private init(unchecked spreadingFactor: Int, _ bandwidthHz: Double, _ codingRateDenominator: Int, _ preambleSymbols: Int) {
        self.spreadingFactor = spreadingFactor
        self.bandwidthHz = bandwidthHz
        self.codingRateDenominator = codingRateDenominator
        self.preambleSymbols = preambleSymbols
    }

    // MARK: Derived quantities

    /// Chips per symbol, 2^SF.
    private var chipsPerSymbol: Double { Double(1 << spreadingFactor) }

    /// Duration of one symbol, 2^SF / BW, in milliseconds.
    public var symbolTimeMs: Double { chipsPerSymbol / bandwidthHz * 1_000 }

    /// Low-data-rate optimisation (DE), which the radios require once a symbol exceeds 16 ms.
    public var lowDataRateOptimize: Bool { symbolTimeMs > 16 }

    /// SF5/SF6 exist only on SX126x and use a longer sync and no extra header bits.
    private var isSX126xLowSpreadingFactor: Bool { spreadingFactor < 7 }

    /// Preamble duration: (N + 4.25) symbols, or (N + 6.25) at SF5/SF6.
    public var preambleTimeMs: Double {
        let syncSymbols = isSX126xLowSpreadingFactor ? 6.25 : 4.25
        return (Double(preambleSymbols) + syncSymbols) * symbolTimeMs
    }

    /// Symbols after the preamble for a PHY payload of `payloadBytes` (header + CRC included).
    public func payloadSymbols(payloadBytes: Int) -> Int {
        // LoRa PHY payloads are at most 255 B; the clamp only keeps hostile input from overflowing.
        let bytes = min(max(payloadBytes, 0), 65_535)
        let crcBits = 16
        let explicitHeaderBits = 20
        // The SX127x "+ 28" is 8 bits of the explicit header plus 20; SF5/SF6 have no such 8 bits.
        let extraBits = isSX126xLowSpreadingFactor ? 0 : 8
        let numerator = 8 * bytes - 4 * spreadingFactor + extraBits + crcBits + explicitHeaderBits
        let denominator = 4 * (spreadingFactor - (lowDataRateOptimize ? 2 : 0))
        let blocks = numerator > 0 ? (numerator + denominator - 1) / denominator : 0
        return 8 + blocks * codingRateDenominator
    }

    /// Time on air of a PHY payload of `payloadBytes` bytes (Meshtastic: 16 B header + encrypted `Data`,
    /// + 12 B with PKI), in milliseconds.
    public func timeOnAirMs(payloadBytes: Int) -> Double {
        preambleTimeMs + Double(payloadSymbols(payloadBytes: payloadBytes)) * symbolTimeMs
    }

    /// Raw PHY bit rate in bits per second: SF · (4 / (CR + 4)) · BW / 2^SF.
    public var bitRate: Double {
        Double(spreadingFactor) * 4 / Double(codingRateDenominator) * bandwidthHz / chipsPerSymbol
    }

    /// CSMA slot time of the firmware MAC: max(2.25, NUM_SYM_CAD + 0.5) symbols for channel activity
    /// detection, plus 7.6 ms of propagation (0.2), turnaround (0.4) and MAC processing (7).
    public var slotTimeMs: Double {
        let cadSymbols = 2.0
        let propagationTurnaroundMACMs = 0.2 + 0.4 + 7
        return max(2.25, cadSymbols + 0.5) * symbolTimeMs + propagationTurnaroundMACMs
    }
}

/// Invalid LoRa modulation parameters.
public enum LoRaModulationError: Error, Sendable, Equatable {
    case spreadingFactorOutOfRange(Int)
    case bandwidthOutOfRange(Double)
    case codingRateOutOfRange(Int)
    case preambleOutOfRange(Int)
}

// MARK: Presets

extension LoRaModulation {
    /// Firmware presets (`MeshRadio.h modemPresetToParams`), sub-GHz bandwidths.
    public static let shortTurbo = LoRaModulation(unchecked: 7, 500_000, 5, meshtasticPreambleSymbols)
    public static let shortFast = LoRaModulation(unchecked: 7, 250_000, 5, meshtasticPreambleSymbols)
    public static let shortSlow = LoRaModulation(unchecked: 8, 250_000, 5, meshtasticPreambleSymbols)
    public static let mediumFast = LoRaModulation(unchecked: 9, 250_000, 5, meshtasticPreambleSymbols)
    public static let mediumSlow = LoRaModulation(unchecked: 10, 250_000, 5, meshtasticPreambleSymbols)
    public static let longTurbo = LoRaModulation(unchecked: 11, 500_000, 8, meshtasticPreambleSymbols)
    /// The firmware default.
    public static let longFast = LoRaModulation(unchecked: 11, 250_000, 5, meshtasticPreambleSymbols)
    public static let longModerate = LoRaModulation(unchecked: 11, 125_000, 8, meshtasticPreambleSymbols)
    /// Deprecated upstream; kept because old configs still name it.
    public static let longSlow = LoRaModulation(unchecked: 12, 125_000, 8, meshtasticPreambleSymbols)
    /// Removed upstream; kept because old configs still name it.
    public static let veryLongSlow = LoRaModulation(unchecked: 12, 62_500, 8, meshtasticPreambleSymbols)
    public static let liteFast = LoRaModulation(unchecked: 9, 125_000, 5, meshtasticPreambleSymbols)
    public static let liteSlow = LoRaModulation(unchecked: 10, 125_000, 5, meshtasticPreambleSymbols)
    public static let narrowFast = LoRaModulation(unchecked: 7, 62_500, 6, meshtasticPreambleSymbols)
    public static let narrowSlow = LoRaModulation(unchecked: 8, 62_500, 6, meshtasticPreambleSymbols)

    /// The preset for a `Config.LoRaConfig.ModemPreset` enum number, or `nil` for an unknown number.
    public static func preset(code: Int) -> LoRaModulation? {
        switch code {
        case 0: longFast
        case 1: longSlow
        case 2: veryLongSlow
        case 3: mediumSlow
        case 4: mediumFast
        case 5: shortSlow
        case 6: shortFast
        case 7: longModerate
        case 8: shortTurbo
        case 9: longTurbo
        case 10: liteFast
        case 11: liteSlow
        case 12: narrowFast
        case 13: narrowSlow
        default: nil
        }
    }
}
