import Foundation
@testable import LoRaBridgeService
import PakitCore
import PakitMeshtastic
import Testing

@Suite("LoRa frames and fragment coding")
struct LoRaFrameTests {
    static let cid = CID.raw(sha256Of: Array("pakit".utf8))

    @Test("every frame type round-trips, and the sizes fit the unicast limit")
    func roundTrip() throws {
        var have = FragmentSet()
        have.insert(0)
        have.insert(63)
        let messages: [LoRaMessage] = [
            .fetchRequest(.init(session: 0xBEEF, lossPercent: 30, have: have, cid: Self.cid)),
            .fragment(.init(session: 7, index: 4, parity: 2, blockSize: 1024, bytes: Array(repeating: 9, count: 1024 - 4 * LoRaMessage.fragmentDataLength))),
            .fragment(.init(session: 7, index: 5, parity: 2, blockSize: 1024, bytes: Array(repeating: 1, count: LoRaMessage.fragmentDataLength))),
            .refusal(session: 9, reason: .notFound),
            .busy(session: 9, minutes: 12),
        ]
        for message in messages {
            let bytes = message.encoded()
            #expect(bytes.count <= PayloadLimits.privateAppMaximumPayload(pki: true))
            #expect(bytes[0] >> 5 == 1)
            #expect(try LoRaMessage.decode(bytes) == message)
        }
        // A full fragment is exactly the unicast maximum: 219 bytes.
        #expect(messages[2].encoded().count == 219)
        #expect(LoRaMessage.fragmentDataLength == 212)
        // A request for a raw CIDv1 fits in one small frame.
        #expect(messages[0].encoded().count == 1 + 2 + 1 + 8 + 1 + 36)
    }

    @Test("truncated, oversized, inconsistent and unknown frames are refused with an error")
    func badFrames() throws {
        let request = LoRaMessage.fetchRequest(.init(session: 1, lossPercent: 0, have: .init(), cid: Self.cid)).encoded()
        for length in 0..<request.count {
            #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(Array(request.prefix(length))) }
        }
        #expect(throws: LoRaMessageError.malformed("trailing bytes after the CID")) { try LoRaMessage.decode(request + [0]) }
        #expect(throws: LoRaMessageError.unsupportedVersion(2)) { try LoRaMessage.decode([0x41]) }
        #expect(throws: LoRaMessageError.unknownType(31)) { try LoRaMessage.decode([0x3F]) }
        #expect(throws: LoRaMessageError.malformed("busy")) { try LoRaMessage.decode([0x24, 0, 1, 0]) }
        #expect(throws: LoRaMessageError.malformed("busy")) { try LoRaMessage.decode([0x24, 0, 1, 61]) }
        // A fragment whose length disagrees with the block size it claims.
        let fragment = LoRaMessage.fragment(.init(session: 1, index: 0, parity: 0, blockSize: 100, bytes: Array(repeating: 0, count: 100))).encoded()
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(fragment + [1]) }
        // An index past the fragment count, and a block too large for 64 fragments.
        var beyond = fragment
        beyond[3] = 1
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(beyond) }
        var huge = fragment
        huge[5] = 0xFF
        huge[6] = 0xFF
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(huge) }
    }

    @Test("random bytes never crash the decoder")
    func fuzz() {
        var random = SplitMix64(seed: 42)
        var decoded = 0
        for _ in 0..<50_000 {
            let length = Int(random.next() % 240)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if !bytes.isEmpty, random.next() % 2 == 0 { bytes[0] = 0x20 | UInt8(random.next() % 4) }
            if (try? LoRaMessage.decode(bytes)) != nil { decoded += 1 }
        }
        // Some random frames are well-formed refusals or fragments; most are refused.
        #expect(decoded < 50_000)
    }

    @Test("parity rebuilds one lost data fragment per group; two lost in a group need another round")
    func parity() throws {
        for size in [1, 212, 213, 1024, 5000] {
            let block = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let data = FragmentCoding.dataFragments(of: block)
            #expect(data.count == LoRaMessage.dataFragmentCount(blockSize: size))
            let parityCount = min(2, data.count)
            let parity = FragmentCoding.parityFragments(of: data, count: parityCount)
            var fragments: [Int: [UInt8]] = [:]
            for (index, fragment) in data.enumerated() { fragments[index] = fragment }
            for (index, fragment) in parity.enumerated() { fragments[data.count + index] = fragment }
            #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: fragments) == block)
            // Lose the last data fragment (the short one): rebuilt and trimmed.
            var lost = fragments
            lost[data.count - 1] = nil
            #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: lost) == block)
            if data.count >= 4 {
                // Two of the same group (0 and 2 with two groups): not recoverable.
                var twice = fragments
                twice[0] = nil
                twice[2] = nil
                #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: twice) == nil)
            }
        }
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0) == 0)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.1) == 0)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.2) == 1)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.35) == 2)
    }
}
