import Foundation
import Logging
import PakitContracts
import PakitCore
import PakitMeshtastic

/// Serving blocks to radio peers that ask: the answer's fragments in order, parity on a lossy
/// first request, `busy` when the duty cycle or the channel has no room (docs/lora-bridge.md, "Transfers").
extension LoRaBridge {

    func serve(_ request: LoRaMessage.FetchRequest, to peer: UInt32, relays: Int) async {
        let key = ServedKey(peer: peer, session: request.session)
        // Exactly as many relays as the request passed: any more and nodes beyond the
        // requester relay the fragments too, spending airtime and colliding.
        let hopLimit = UInt32(min(relays, MACTiming.maximumHopLimit))
        if served[key] == nil {
            let block: [UInt8]?
            do { block = try await blocks.localBlock(request.cid) } catch {
                logger.warning("storage unavailable for a LoRa request", metadata: ["error": "\(error)"])
                await refuse(request.session, .unavailable, to: peer, hopLimit: hopLimit)
                return
            }
            guard let block else {
                await refuse(request.session, .notFound, to: peer, hopLimit: hopLimit)
                return
            }
            guard !block.isEmpty, block.count <= LoRaMessage.maximumBlockSize else {
                await refuse(request.session, .tooLarge, to: peer, hopLimit: hopLimit)
                return
            }
            let data = FragmentCoding.dataFragments(of: block)
            let parityCount = request.have.bits == 0
                ? FragmentCoding.parityCount(dataCount: data.count, estimatedLoss: Double(request.lossPercent) / 100) : 0
            served[key] = ServedBlock(
                cid: request.cid, blockSize: block.count, data: data,
                parity: FragmentCoding.parityFragments(of: data, count: parityCount), lastUsedMs: nowMs()
            )
            evictServed()
        }
        guard var entry = served[key], entry.cid == request.cid else {
            await refuse(request.session, .badRequest, to: peer, hopLimit: hopLimit)
            return
        }
        // A request that repeats while its answer is still going out (or queued in the device)
        // is answered by that: sending it all again would only congest the channel.
        guard !entry.sending, entry.answeringUntilMs <= nowMs() else { return }
        BridgeMetrics.requestsServed.increment()
        entry.sending = true
        entry.lastUsedMs = nowMs()
        served[key] = entry
        defer { served[key]?.sending = false }
        let dataCount = entry.data.count
        var indices = (0..<dataCount).filter { !request.have.contains($0) }
        if request.have.bits == 0 { indices += (0..<entry.parity.count).map { dataCount + $0 } }
        // Only an answer that fits the duty cycle's bulk share now is started; otherwise say
        // when to ask again, so the requester does not spend its own airtime asking.
        let answerAirtime = indices.reduce(0.0) { total, index in
            let length = index < dataCount ? entry.data[index].count : LoRaMessage.fragmentDataLength
            return total + airtimeMs(payloadLength: length + LoRaMessage.fragmentHeaderLength, unicast: true)
        }
        // Others keep the channel busy: the answer waits a minute, and the requester is told so
        // rather than left to spend its requests on silence.
        if busyChannelPercent() >= ChannelActivity.politeUtilizationPercent {
            _ = try? await send(.busy(session: request.session, minutes: 1), to: peer, hopLimit: hopLimit, bulk: false)
            BridgeMetrics.busyChannelDeferrals.increment()
            return
        }
        if !fitsDutyCycle(airtimeMs: answerAirtime, at: nowMs(), fraction: settings.bulkShare) {
            let minutes = bulkWaitMinutes(for: answerAirtime)
            _ = try? await send(.busy(session: request.session, minutes: minutes), to: peer, hopLimit: hopLimit, bulk: false)
            BridgeMetrics.busyAnswers.increment()
            return
        }
        let pacing = pacingMs(relays: relays)
        logger.debug("serving", metadata: ["peer": "\(LoRaNodeText.id(peer))", "session": "\(request.session)", "have": "\(String(request.have.bits, radix: 2))", "sending": "\(indices)"])
        for (position, index) in indices.enumerated() {
            let bytes = index < dataCount ? entry.data[index] : entry.parity[index - dataCount]
            let fragment = LoRaMessage.Fragment(
                session: request.session, index: UInt8(index), parity: UInt8(entry.parity.count),
                blockSize: UInt16(entry.blockSize), bytes: bytes
            )
            do { try await send(.fragment(fragment), to: peer, hopLimit: hopLimit, bulk: true) } catch {
                logger.info("fragment not sent", metadata: ["peer": "\(LoRaNodeText.id(peer))", "error": "\(error)"])
                return
            }
            BridgeMetrics.fragmentsSent.increment()
            let airtime = airtimeMs(payloadLength: bytes.count + LoRaMessage.fragmentHeaderLength, unicast: true)
            let until = max(served[key]?.answeringUntilMs ?? 0, nowMs()) + airtime + busyOwnDelayMs / 2
            served[key]?.answeringUntilMs = until
            if pacing > 0, position + 1 < indices.count { guard await sleep(deviceMs: pacing) else { return } }
        }
    }

    func refuse(_ session: UInt16, _ reason: LoRaMessage.RefusalReason, to peer: UInt32, hopLimit: UInt32) async {
        BridgeMetrics.refusalsSent.increment()
        _ = try? await send(.refusal(session: session, reason: reason), to: peer, hopLimit: hopLimit, bulk: false)
    }

    func evictServed() {
        while served.count > 64, let oldest = served.filter({ !$0.value.sending }).min(by: { $0.value.lastUsedMs < $1.value.lastUsedMs })?.key {
            served[oldest] = nil
        }
    }

    /// Pause between fragments so relays can pass each one on before the next arrives: a relay
    /// cannot hear while it transmits, and relays two hops apart do not hear each other.
    func pacingMs(relays: Int) -> Double {
        guard relays > 0 else { return 0 }
        return Double(relays) * (fullFrameMs + meanRebroadcastDelayMs)
    }

    /// A full fragment on air (255 bytes).
    var fullFrameMs: Double { modulation.timeOnAirMs(payloadBytes: PayloadLimits.maximumLoRaPayload) }
    /// A relay waits 2·CWmax slots, then a random 0..<2^CW(snr) slots: its mean and its worst.
    var meanRebroadcastDelayMs: Double {
        Double(2 * MACTiming.maximumContentionWindow + (1 << (MACTiming.maximumContentionWindow - 1))) * modulation.slotTimeMs
    }
    var worstRebroadcastDelayMs: Double {
        Double(2 * MACTiming.maximumContentionWindow + (1 << MACTiming.maximumContentionWindow)) * modulation.slotTimeMs
    }
    /// A sender's own random delay before a transmission: up to 2^CW slots, CW rising from 3 to 8
    /// with channel use, estimated from what this radio hears and sends (plus a margin: the peer
    /// may hear more). `busy` is the delay at a well-used channel (CW 6), for the server's own pace.
    var busyOwnDelayMs: Double { 64 * modulation.slotTimeMs }
    var channelOwnDelayMs: Double {
        let window = MACTiming.contentionWindow(channelUtilizationPercent: channel.utilizationPercent(at: nowMs()) + 15)
        return Double(1 << window) * modulation.slotTimeMs
    }
}
