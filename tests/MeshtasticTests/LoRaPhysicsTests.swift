import Testing
@testable import PakitMeshtastic

@Suite("LoRa physics: time on air and presets")
struct LoRaModulationTests {
    /// Section 9.2: preset, then ToA of 255 B, 29 B (ACK) and 87 B (64 B app payload) in ms,
    /// CSMA slot in ms and preamble in ms, as printed (rounded) in the reference table.
    static let table: [(LoRaModulation, toa255: Double, toa29: Double, toa87: Double, slot: Double, preamble: Double)] = [
        (.shortTurbo, 102, 19, 41, 8.2, 5.2),
        (.shortFast, 204, 38, 81, 8.9, 10.4),
        (.shortSlow, 362, 70, 147, 10.2, 20.7),
        (.mediumFast, 642, 130, 263, 12.7, 41.5),
        (.mediumSlow, 1181, 239, 484, 17.8, 82.9),
        (.longTurbo, 1656, 312, 640, 17.8, 82.9),
        (.longFast, 2157, 477, 887, 28.1, 165.9),
        (.longModerate, 7934, 1380, 3084, 48.6, 331.8),
        (.longSlow, 14295, 2499, 5644, 89.5, 663.6),
        (.veryLongSlow, 28590, 4997, 11289, 171, 1327),
    ]

    @Test("Unit anchors of section 9.2")
    func unitAnchors() {
        #expect(abs(LoRaModulation.longFast.timeOnAirMs(payloadBytes: 255) - 2156.5) <= 0.1)
        #expect(abs(LoRaModulation.shortFast.timeOnAirMs(payloadBytes: 255) - 203.9) <= 0.1)
        #expect(abs(LoRaModulation.mediumSlow.timeOnAirMs(payloadBytes: 255) - 1180.7) <= 0.1)
        #expect(abs(LoRaModulation.longFast.timeOnAirMs(payloadBytes: 29) - 477) <= 0.5)
        // 165.9 ms preamble + 243 symbols of 8.192 ms.
        #expect(abs(LoRaModulation.longFast.preambleTimeMs - 165.9) <= 0.05)
        #expect(LoRaModulation.longFast.payloadSymbols(payloadBytes: 255) == 243)
        #expect(abs(LoRaModulation.longFast.symbolTimeMs - 8.192) < 1e-9)
        #expect(abs(LoRaModulation.longFast.slotTimeMs - 28.08) < 1e-9)
        #expect(abs(LoRaModulation.longFast.bitRate - 1074.2) < 0.1)
        #expect(abs(LoRaModulation.shortTurbo.bitRate - 21_875) < 0.001)
    }

    @Test("Every row of the preset table within 1 ms (rounding of the printed values)")
    func presetTable() {
        for row in Self.table {
            let modulation = row.0
            let name = "SF\(modulation.spreadingFactor)/\(modulation.bandwidthHz / 1000) kHz"
            #expect(abs(modulation.timeOnAirMs(payloadBytes: 255) - row.toa255) <= 1, "ToA 255 B for \(name)")
            #expect(abs(modulation.timeOnAirMs(payloadBytes: 29) - row.toa29) <= 1, "ToA 29 B for \(name)")
            #expect(abs(modulation.timeOnAirMs(payloadBytes: 87) - row.toa87) <= 1, "ToA 87 B for \(name)")
            #expect(abs(modulation.slotTimeMs - row.slot) <= 0.5, "slot for \(name)")
            #expect(abs(modulation.preambleTimeMs - row.preamble) <= 0.5, "preamble for \(name)")
        }
    }

    @Test("Low-data-rate optimisation switches on above 16 ms symbols (LongModerate)")
    func lowDataRateOptimisation() throws {
        #expect(!LoRaModulation.longFast.lowDataRateOptimize)
        #expect(LoRaModulation.longModerate.lowDataRateOptimize)
        #expect(LoRaModulation.longSlow.lowDataRateOptimize)
        // Exactly 16 ms (SF11 at 128 kHz) is not above the threshold.
        let boundary = try LoRaModulation(spreadingFactor: 11, bandwidthHz: 128_000, codingRateDenominator: 8)
        #expect(boundary.symbolTimeMs == 16)
        #expect(!boundary.lowDataRateOptimize)
        // DE is what makes LongModerate 7934 ms: without it the payload would take 384 symbols, not 464.
        #expect(LoRaModulation.longModerate.payloadSymbols(payloadBytes: 255) == 464)
        #expect(boundary.payloadSymbols(payloadBytes: 255) == 384)
    }

    @Test("SF5/SF6 use the SX126x variant: 6.25 sync symbols and no extra header byte")
    func sx126xLowSpreadingFactors() throws {
        let sf6 = try LoRaModulation(spreadingFactor: 6, bandwidthHz: 125_000, codingRateDenominator: 5)
        #expect(abs(sf6.preambleTimeMs - 22.25 * sf6.symbolTimeMs) < 1e-9)
        // 8·10 − 24 + 16 (CRC) + 20 (header) = 92 bits over 24 per block ⇒ 4 blocks of 5 symbols.
        #expect(sf6.payloadSymbols(payloadBytes: 10) == 28)
        let sf7 = try LoRaModulation(spreadingFactor: 7, bandwidthHz: 125_000, codingRateDenominator: 5)
        #expect(abs(sf7.preambleTimeMs - 20.25 * sf7.symbolTimeMs) < 1e-9)
    }

    @Test("Preset codes follow the ModemPreset enum numbers")
    func presetCodes() {
        #expect(LoRaModulation.preset(code: 0) == .longFast)
        #expect(LoRaModulation.preset(code: 1) == .longSlow)
        #expect(LoRaModulation.preset(code: 2) == .veryLongSlow)
        #expect(LoRaModulation.preset(code: 3) == .mediumSlow)
        #expect(LoRaModulation.preset(code: 4) == .mediumFast)
        #expect(LoRaModulation.preset(code: 5) == .shortSlow)
        #expect(LoRaModulation.preset(code: 6) == .shortFast)
        #expect(LoRaModulation.preset(code: 7) == .longModerate)
        #expect(LoRaModulation.preset(code: 8) == .shortTurbo)
        #expect(LoRaModulation.preset(code: 9) == .longTurbo)
        #expect(LoRaModulation.preset(code: 10) == .liteFast)
        #expect(LoRaModulation.preset(code: 11) == .liteSlow)
        #expect(LoRaModulation.preset(code: 12) == .narrowFast)
        #expect(LoRaModulation.preset(code: 13) == .narrowSlow)
        #expect(LoRaModulation.preset(code: 14) == nil)
        #expect(LoRaModulation.preset(code: -1) == nil)
        #expect(Set((0 ... 13).compactMap { LoRaModulation.preset(code: $0) }).count == 14)
    }

    @Test("LITE and NARROW presets use the parameters noted under the table")
    func newerPresets() {
        #expect(LoRaModulation.liteFast == (try? LoRaModulation(spreadingFactor: 9, bandwidthHz: 125_000, codingRateDenominator: 5)))
        #expect(LoRaModulation.liteSlow == (try? LoRaModulation(spreadingFactor: 10, bandwidthHz: 125_000, codingRateDenominator: 5)))
        #expect(LoRaModulation.narrowFast == (try? LoRaModulation(spreadingFactor: 7, bandwidthHz: 62_500, codingRateDenominator: 6)))
        #expect(LoRaModulation.narrowSlow == (try? LoRaModulation(spreadingFactor: 8, bandwidthHz: 62_500, codingRateDenominator: 6)))
        #expect(LoRaModulation.longFast.preambleSymbols == 16)
    }

    @Test("Invalid parameters are rejected")
    func validation() {
        #expect(throws: LoRaModulationError.spreadingFactorOutOfRange(13)) {
            try LoRaModulation(spreadingFactor: 13, bandwidthHz: 125_000, codingRateDenominator: 5)
        }
        #expect(throws: LoRaModulationError.codingRateOutOfRange(4)) {
            try LoRaModulation(spreadingFactor: 7, bandwidthHz: 125_000, codingRateDenominator: 4)
        }
        #expect(throws: LoRaModulationError.bandwidthOutOfRange(0)) {
            try LoRaModulation(spreadingFactor: 7, bandwidthHz: 0, codingRateDenominator: 5)
        }
        #expect(throws: (any Error).self) {
            try LoRaModulation(spreadingFactor: 7, bandwidthHz: .nan, codingRateDenominator: 5)
        }
    }
}

@Suite("Firmware MAC timing")
struct MACTimingTests {
    @Test("Contention window from channel utilisation follows Arduino map (integer, truncating)")
    func contentionWindowFromUtilisation() {
        let cases: [(Double, Int)] = [(-5, 3), (0, 3), (19.9, 3), (20, 4), (39.9, 4), (50, 5), (99, 7), (100, 8), (250, 8)]
        for (util, window) in cases {
            #expect(MACTiming.contentionWindow(channelUtilizationPercent: util) == window, "utilisation \(util)%")
        }
    }

    @Test("Contention window from SNR maps −20…+10 dB onto 3…8, clamped")
    func contentionWindowFromSNR() {
        let cases: [(Double, Int)] = [(-40, 3), (-20, 3), (-15, 3), (-14, 4), (-5, 5), (0, 6), (9.9, 7), (10, 8), (30, 8)]
        for (snr, window) in cases {
            #expect(MACTiming.contentionWindow(snr: snr) == window, "SNR \(snr) dB")
        }
    }

    @Test("Own transmit delay draws from 0..<2^CW slots")
    func ownTransmitDelay() {
        var ranges: [Range<Int>] = []
        let idle = MACTiming.ownTransmitDelayMs(modulation: .longFast, channelUtilizationPercent: 0) { range in
            ranges.append(range)
            return range.upperBound - 1
        }
        #expect(ranges == [0 ..< 8])
        #expect(abs(idle - 7 * 28.08) < 1e-9)
        let busy = MACTiming.ownTransmitDelayMs(modulation: .longFast, channelUtilizationPercent: 100) { range in
            ranges.append(range)
            return 0
        }
        #expect(ranges.last == 0 ..< 256)
        #expect(busy == 0)
        // A misbehaving random source is clamped into the window.
        let clamped = MACTiming.ownTransmitDelayMs(modulation: .longFast, channelUtilizationPercent: 0) { _ in 1_000 }
        #expect(abs(clamped - 7 * 28.08) < 1e-9)
    }

    @Test("Mean own delay at idle on LongFast is about 3.5 slots ≈ 98 ms")
    func meanIdleDelay() {
        var rng = SplitMix64(seed: 7)
        let samples = 20_000
        var total = 0.0
        for _ in 0 ..< samples {
            total += MACTiming.ownTransmitDelayMs(modulation: .longFast, channelUtilizationPercent: 0, using: &rng)
        }
        #expect(abs(total / Double(samples) - 98.3) < 3)
    }

    @Test("Rebroadcast delay: clients wait 2·CWmax slots first, routers draw from 2·CW slots")
    func rebroadcastDelay() {
        let slot = LoRaModulation.longFast.slotTimeMs
        var seen: Range<Int>?
        let clientMin = MACTiming.rebroadcastDelayMs(modulation: .longFast, snr: 10, isRouter: false) { seen = $0; return 0 }
        #expect(abs(clientMin - 449.28) < 0.01)  // the reference's "0.45 s"
        #expect(seen == 0 ..< 256)
        let clientMax = MACTiming.rebroadcastDelayMs(modulation: .longFast, snr: 10, isRouter: false) { $0.upperBound - 1 }
        #expect(abs(clientMax - (16 + 255) * slot) < 1e-9)  // "+ 0–7 s"
        let weak = MACTiming.rebroadcastDelayMs(modulation: .longFast, snr: -20, isRouter: false) { seen = $0; return $0.upperBound - 1 }
        #expect(seen == 0 ..< 8)
        #expect(weak < clientMax)
        let router = MACTiming.rebroadcastDelayMs(modulation: .longFast, snr: 10, isRouter: true) { seen = $0; return $0.upperBound - 1 }
        #expect(seen == 0 ..< 16)
        #expect(abs(router - 15 * slot) < 1e-9)
    }

    @Test("Retransmission timeout for a 255 B LongFast packet at idle is about 10.4 s")
    func retransmissionTimeout() {
        let toa = LoRaModulation.longFast.timeOnAirMs(payloadBytes: 255)
        let timeout = MACTiming.retransmissionTimeoutMs(modulation: .longFast, packetTimeOnAirMs: toa, channelUtilizationPercent: 0)
        // 2 · 2156.5 + (8 + 16 + 32) · 28.08 + 4500
        #expect(abs(timeout - 10_385.6) < 0.1)
        let busy = MACTiming.retransmissionTimeoutMs(modulation: .longFast, packetTimeOnAirMs: toa, channelUtilizationPercent: 100)
        #expect(abs(busy - timeout - (256 - 8) * 28.08) < 1e-6)
    }

    @Test("Firmware constants")
    func constants() {
        #expect(MACTiming.reliableAttempts == 3)
        #expect(MACTiming.defaultHopLimit == 3)
        #expect(MACTiming.maximumHopLimit == 7)
        #expect(MACTiming.maximumContentionWindow == 8)
        #expect(MACTiming.processingTimeMs == 4_500)
    }
}

@Suite("Meshtastic payload limits")
struct PayloadLimitsTests {
    @Test("Encoded Data limits are 239 B on a channel and 227 B with PKI")
    func encodedDataLimits() {
        #expect(PayloadLimits.maximumEncodedData(pki: false) == 239)
        #expect(PayloadLimits.maximumEncodedData(pki: true) == 227)
        #expect(PayloadLimits.onAirBytes(encodedDataLength: 239, pki: false) == 255)
        #expect(PayloadLimits.onAirBytes(encodedDataLength: 227, pki: true) == 255)
        #expect(PayloadLimits.headerBytes == 16 && PayloadLimits.pkiOverheadBytes == 12)
    }

    @Test("PRIVATE_APP with bitfield carries 231 B broadcast and 219 B unicast (PKI)")
    func privateAppLimits() {
        #expect(PayloadLimits.privateAppMaximumPayload(pki: false) == 231)
        #expect(PayloadLimits.privateAppMaximumPayload(pki: true) == 219)
        // 3 (portnum 256) + 1 + 2 + 231 (payload) + 2 (bitfield) = 239; one byte more is TOO_LARGE.
        #expect(PayloadLimits.encodedDataLength(payloadLength: 231) == 239)
        #expect(PayloadLimits.encodedDataLength(payloadLength: 232) == 240)
    }

    @Test("Other rows of the section 6 table")
    func otherLimits() {
        #expect(PayloadLimits.maximumAppPayload(portNumber: 256, pki: false, requestID: true) == 226)
        #expect(PayloadLimits.maximumAppPayload(portNumber: 256, pki: true, requestID: true) == 214)
        #expect(PayloadLimits.maximumAppPayload(portNumber: 1, pki: false) == 232)
        #expect(PayloadLimits.maximumAppPayload(portNumber: 1, pki: true) == 220)
        // Without the bitfield the 233 B DATA_PAYLOAD_LEN cap is what binds.
        #expect(PayloadLimits.maximumAppPayload(portNumber: 1, pki: false, bitfield: false) == 233)
    }

    @Test("A routing ACK is 13 B of Data, 29 B on air, about 0.48 s on LongFast")
    func ackSize() {
        // Routing{error_reason: NONE} is 2 B (a oneof member is emitted even at its default).
        let data = PayloadLimits.encodedDataLength(payloadLength: 2, portNumber: 5, requestID: true)
        #expect(data == 13)
        let onAir = PayloadLimits.onAirBytes(encodedDataLength: data, pki: false)
        #expect(onAir == 29)
        #expect(abs(LoRaModulation.longFast.timeOnAirMs(payloadBytes: onAir) - 477) < 0.5)
    }

    /// Airtime of 1024 B of file data cut into fragments of `dataPerFragment` bytes, each with a
    /// 4-byte fragment header, sent as PRIVATE_APP packets.
    static func kilobyteAirtimeMs(_ modulation: LoRaModulation, dataPerFragment: Int, pki: Bool) -> (Int, Double) {
        var remaining = 1024
        var fragments = 0
        var total = 0.0
        while remaining > 0 {
            let data = min(remaining, dataPerFragment)
            let encoded = PayloadLimits.encodedDataLength(payloadLength: data + 4)
            total += modulation.timeOnAirMs(payloadBytes: PayloadLimits.onAirBytes(encodedDataLength: encoded, pki: pki))
            remaining -= data
            fragments += 1
        }
        return (fragments, total)
    }

    @Test("1 KB over one LongFast hop reproduces the section 9.4 row (9.92 s channel, 10.41 s PKI)")
    func kilobyteRow() {
        // "227 B fragments" are 227 B of file data: + 4 B header = 231 B app payload, the channel
        // maximum, so four fragments fill the 255 B frame and the fifth carries 116 B (+4 = 120 B
        // app ⇒ 127 B Data ⇒ 143 B on air). The PKI column works the same with 215 B (+4 = 219).
        let channel = Self.kilobyteAirtimeMs(.longFast, dataPerFragment: 227, pki: false)
        #expect(channel.0 == 5)
        #expect(abs(channel.1 / 1000 - 9.92) < 0.005)
        let pki = Self.kilobyteAirtimeMs(.longFast, dataPerFragment: 215, pki: true)
        #expect(pki.0 == 5)
        #expect(abs(pki.1 / 1000 - 10.41) < 0.005)
        // Column "5 raw LoRa frames": 4 × 255 B + 4 B.
        let raw = 4 * LoRaModulation.longFast.timeOnAirMs(payloadBytes: 255) + LoRaModulation.longFast.timeOnAirMs(payloadBytes: 4)
        #expect(abs(raw / 1000 - 8.90) < 0.005)
        // ShortFast row: 0.94 s.
        #expect(abs(Self.kilobyteAirtimeMs(.shortFast, dataPerFragment: 227, pki: false).1 / 1000 - 0.94) < 0.005)
    }
}

@Suite("Duty cycle and airtime accounting")
struct DutyCycleTests {
    static let minute = 60_000.0
    static let eu868 = RegionDutyCycle.percent(regionCode: 3)

    @Test("Region duty cycles of section 9.5")
    func regionTable() {
        #expect(RegionDutyCycle.percent(regionCode: 2) == 10)  // EU_433
        #expect(RegionDutyCycle.percent(regionCode: 3) == 10)  // EU_868
        #expect(RegionDutyCycle.percent(regionCode: 12) == 10)  // TH
        #expect(RegionDutyCycle.percent(regionCode: 14) == 10)  // UA_433
        #expect(RegionDutyCycle.percent(regionCode: 15) == 1)  // UA_868
        for other in [0, 1, 4, 5, 13, 29, 32, 99, -1] {
            #expect(RegionDutyCycle.percent(regionCode: other) == 100, "region \(other)")
        }
    }

    @Test("EU_868 allows 360,000 ms per hour")
    func euBudget() {
        let ledger = AirtimeLedger()
        #expect(ledger.headroomMs(at: 0, dutyCyclePercent: Self.eu868) == 360_000)
        #expect(AirtimeLedger().headroomMs(at: 0, dutyCyclePercent: RegionDutyCycle.percent(regionCode: 15)) == 36_000)
    }

    @Test("The firmware refuses only once usage exceeds the limit, before the packet")
    func firmwareRefusal() {
        var ledger = AirtimeLedger()
        // 180 packets of 2 s spread over the first 30 minutes: exactly 360 s.
        for index in 0 ..< 180 {
            ledger.record(transmitMs: 2_000, at: Double(index) * 10_000)
        }
        let now = 30 * Self.minute
        #expect(ledger.usedMs(at: now) == 360_000)
        #expect(ledger.utilizationPercent(at: now) == 10)
        #expect(ledger.firmwareAllowsSend(at: now, dutyCyclePercent: Self.eu868))
        #expect(ledger.headroomMs(at: now, dutyCyclePercent: Self.eu868) == 0)
        #expect(!ledger.canSend(airtimeMs: 1, at: now, dutyCyclePercent: Self.eu868))
        // The firmware still sends this one (usage was not above the limit) …
        ledger.record(transmitMs: 2_156.5, at: now)
        // … and refuses the next.
        #expect(!ledger.firmwareAllowsSend(at: now, dutyCyclePercent: Self.eu868))
        #expect(ledger.silentMinutes(at: now, dutyCyclePercent: Self.eu868) > 0)
    }

    @Test("Headroom and the polite share")
    func headroom() {
        var ledger = AirtimeLedger()
        ledger.record(transmitMs: 100_000, at: 5 * Self.minute)
        let now = 6 * Self.minute
        #expect(ledger.headroomMs(at: now, dutyCyclePercent: Self.eu868) == 260_000)
        #expect(ledger.canSend(airtimeMs: 260_000, at: now, dutyCyclePercent: Self.eu868))
        #expect(!ledger.canSend(airtimeMs: 260_001, at: now, dutyCyclePercent: Self.eu868))
        // Non-essential traffic keeps to half the budget: 180,000 − 100,000.
        #expect(ledger.canSend(airtimeMs: 80_000, at: now, dutyCyclePercent: Self.eu868, fraction: 0.5))
        #expect(!ledger.canSend(airtimeMs: 80_001, at: now, dutyCyclePercent: Self.eu868, fraction: 0.5))
    }

    @Test("A minute bucket leaves the window when its minute comes round again, 60 minutes later")
    func bucketExpiry() {
        var ledger = AirtimeLedger()
        ledger.record(transmitMs: 1_000, at: 30_000)  // minute 0
        ledger.record(transmitMs: 500, at: 90_000)  // minute 1
        #expect(ledger.usedMs(at: 60 * Self.minute - 1) == 1_500)
        #expect(ledger.usedMs(at: 60 * Self.minute) == 500)
        #expect(ledger.usedMs(at: 61 * Self.minute) == 0)
        // A new record in a reused slot starts from zero.
        ledger.record(transmitMs: 250, at: 61 * Self.minute + 1)
        #expect(ledger.usedMs(at: 61 * Self.minute + 2) == 250)
    }

    @Test("Silent minutes count down to when old buckets have expired enough")
    func silentMinutes() {
        var ledger = AirtimeLedger()
        ledger.record(transmitMs: 200_000, at: 0)  // minute 0
        ledger.record(transmitMs: 200_000, at: 10 * Self.minute)  // minute 10
        let now = 20 * Self.minute + 30_000
        #expect(!ledger.firmwareAllowsSend(at: now, dutyCyclePercent: Self.eu868))
        // Minute 0 expires when minute 60 begins; then 200 s remain, within the 360 s limit.
        #expect(ledger.silentMinutes(at: now, dutyCyclePercent: Self.eu868) == 40)
        #expect(ledger.sendAllowedAtMs(at: now, dutyCyclePercent: Self.eu868) == 60 * Self.minute)
        #expect(!ledger.firmwareAllowsSend(at: 60 * Self.minute - 1, dutyCyclePercent: Self.eu868))
        #expect(ledger.firmwareAllowsSend(at: 60 * Self.minute, dutyCyclePercent: Self.eu868))
        #expect(ledger.silentMinutes(at: 60 * Self.minute, dutyCyclePercent: Self.eu868) == 0)
        // Both buckets must go before UA_868's 36 s fits: minute 10 expires at minute 70.
        #expect(ledger.silentMinutes(at: now, dutyCyclePercent: 1) == 50)
    }

    @Test("A jump of three hours empties the ledger")
    func timeJump() {
        var ledger = AirtimeLedger()
        for index in 0 ..< 60 {
            ledger.record(transmitMs: 7_000, at: Double(index) * Self.minute)
        }
        #expect(!ledger.firmwareAllowsSend(at: 59 * Self.minute, dutyCyclePercent: Self.eu868))
        let later = 3 * 60 * Self.minute + 12_345
        #expect(ledger.usedMs(at: later) == 0)
        #expect(ledger.firmwareAllowsSend(at: later, dutyCyclePercent: Self.eu868))
        #expect(ledger.headroomMs(at: later, dutyCyclePercent: Self.eu868) == 360_000)
        // Slots reused after the jump do not resurrect the old minutes.
        ledger.record(transmitMs: 1_000, at: later)
        #expect(ledger.usedMs(at: later) == 1_000)
    }

    @Test("Time never runs backwards: an earlier timestamp is booked at the latest time")
    func clockClamp() {
        var ledger = AirtimeLedger()
        ledger.record(transmitMs: 1_000, at: 10 * Self.minute)
        ledger.record(transmitMs: 1_000, at: 5 * Self.minute)  // clamped into minute 10
        // At minute 65 a minute-5 record would have expired; the clamped one has not.
        #expect(ledger.usedMs(at: 65 * Self.minute) == 2_000)
        #expect(ledger.usedMs(at: 70 * Self.minute) == 0)
        // Querying the past answers for the latest time seen.
        #expect(ledger.usedMs(at: 0) == 2_000)
    }

    @Test("US has no firmware limit: never refused, unlimited headroom")
    func unlimitedRegion() {
        let us = RegionDutyCycle.percent(regionCode: 1)
        #expect(us == 100)
        var ledger = AirtimeLedger()
        for index in 0 ..< 120 {
            ledger.record(transmitMs: 60_000, at: Double(index) * 30_000)
        }
        let now = 59 * Self.minute
        #expect(ledger.utilizationPercent(at: now) > 100)
        #expect(ledger.firmwareAllowsSend(at: now, dutyCyclePercent: us))
        #expect(ledger.headroomMs(at: now, dutyCyclePercent: us) == .infinity)
        #expect(ledger.canSend(airtimeMs: 10_000, at: now, dutyCyclePercent: us, fraction: 0.5))
        #expect(ledger.silentMinutes(at: now, dutyCyclePercent: us) == 0)
    }

    @Test("Non-finite and negative inputs are ignored")
    func hostileInputs() {
        var ledger = AirtimeLedger()
        ledger.record(transmitMs: -5, at: 0)
        ledger.record(transmitMs: .nan, at: 0)
        ledger.record(transmitMs: .infinity, at: 0)
        ledger.record(transmitMs: 10, at: .nan)
        ledger.record(transmitMs: 10, at: 1e300)
        #expect(ledger.usedMs(at: 1e300) == 10)
        #expect(ledger.usedMs(at: .infinity) == 10)
    }

    @Test("Channel utilisation: RX+TX airtime over six 10 s buckets")
    func channelActivity() {
        var activity = ChannelActivity()
        activity.record(airtimeMs: 6_000, at: 0)
        #expect(activity.utilizationPercent(at: 0) == 10)
        #expect(activity.utilizationPercent(at: 59_999) == 10)
        #expect(activity.utilizationPercent(at: 60_000) == 0)
        activity.record(airtimeMs: 9_000, at: 61_000)
        activity.record(airtimeMs: 6_000, at: 75_000)
        #expect(activity.utilizationPercent(at: 75_000) == 25)
        #expect(!activity.allowsTransmit(at: 75_000, polite: true))
        #expect(activity.allowsTransmit(at: 75_000, polite: false))
        #expect(MACTiming.contentionWindow(channelUtilizationPercent: activity.utilizationPercent(at: 75_000)) == 4)
    }
}
