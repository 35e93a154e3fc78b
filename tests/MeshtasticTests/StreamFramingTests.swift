import Testing
@testable import PakitMeshtastic

@Suite("Meshtastic stream framing")
struct StreamFramingTests {
    // MARK: Encoding

    /// Section 2 of the reference: frames verified by encoding the protobufs.
    static let examples: [(payload: [UInt8], frame: [UInt8])] = [
        ([0x18, 0xAC, 0x9E, 0x04], [0x94, 0xC3, 0x00, 0x04, 0x18, 0xAC, 0x9E, 0x04]),  // ToRadio.want_config_id
        ([0x3A, 0x00], [0x94, 0xC3, 0x00, 0x02, 0x3A, 0x00]),  // ToRadio.heartbeat {}
        ([0x38, 0xAC, 0x9E, 0x04], [0x94, 0xC3, 0x00, 0x04, 0x38, 0xAC, 0x9E, 0x04]),  // FromRadio.config_complete_id
    ]

    @Test("Reference frame examples encode byte for byte")
    func encodesReferenceExamples() throws {
        for example in Self.examples {
            #expect(try StreamFraming.frame(example.payload) == example.frame)
        }
    }

    @Test("Reference frame examples decode from one concatenated stream")
    func decodesReferenceExamples() {
        var decoder = StreamFrameDecoder()
        decoder.append(Self.examples.flatMap(\.frame))
        for example in Self.examples {
            #expect(decoder.nextFrame() == example.payload)
        }
        #expect(decoder.nextFrame() == nil)
        #expect(decoder.discardedByteCount == 0)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("Length is big-endian and 512 is the largest payload", arguments: [0, 1, 127, 128, 255, 256, 300, 511, 512])
    func roundTrip(length: Int) throws {
        let payload = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let frame = try StreamFraming.frame(payload)
        #expect(frame.count == length + StreamFraming.headerLength)
        #expect(frame[2] == UInt8(length >> 8))
        #expect(frame[3] == UInt8(length & 0xFF))
        var decoder = StreamFrameDecoder()
        decoder.append(frame)
        #expect(decoder.nextFrame() == payload)
        #expect(decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("Payloads above 512 bytes are refused")
    func refusesOversizedPayload() {
        #expect(throws: StreamFramingError.payloadTooLarge(513)) {
            try StreamFraming.frame([UInt8](repeating: 0, count: 513))
        }
        #expect(throws: Never.self) { try StreamFraming.frame([UInt8](repeating: 0, count: 512)) }
    }

    // MARK: Resynchronisation

    @Test("Debug text before and between frames is discarded and counted")
    func discardsDebugText() throws {
        let before = Array("INFO  | ??:??:?? 0 Booting\r\n".utf8)
        let between = Array("DEBUG | Sending packet\r\n".utf8)
        var decoder = StreamFrameDecoder()
        decoder.append(before + (try StreamFraming.frame([1, 2, 3])) + between + (try StreamFraming.frame([4])))
        #expect(decoder.nextFrame() == [1, 2, 3])
        #expect(decoder.nextFrame() == [4])
        #expect(decoder.nextFrame() == nil)
        #expect(decoder.discardedByteCount == before.count + between.count)
    }

    @Test("Noise alone is discarded as it arrives, so the buffer does not grow")
    func noiseDoesNotAccumulate() {
        var decoder = StreamFrameDecoder()
        for _ in 0 ..< 100 {
            decoder.append(Array("log line without a frame\n".utf8))
            #expect(decoder.bufferedByteCount == 0)
        }
        #expect(decoder.discardedByteCount == 2_500)
        #expect(decoder.nextFrame() == nil)
    }

    @Test("0x94 followed by something other than 0xC3 drops only the 0x94")
    func startByteWithoutSecondMagic() {
        var decoder = StreamFrameDecoder()
        decoder.append([0x94, 0x41, 0x94, 0xC3, 0x00, 0x01, 0x7F])
        #expect(decoder.nextFrame() == [0x7F])
        #expect(decoder.discardedByteCount == 2)
    }

    @Test("94 94 C3 …: the second 0x94 starts the frame")
    func doubledStartByte() {
        var decoder = StreamFrameDecoder()
        decoder.append([0x94, 0x94, 0xC3, 0x00, 0x02, 0x3A, 0x00])
        #expect(decoder.nextFrame() == [0x3A, 0x00])
        #expect(decoder.discardedByteCount == 1)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("A header with LEN 513 is discarded and the following frame decodes")
    func oversizedHeaderSkipped() throws {
        var decoder = StreamFrameDecoder()
        decoder.append([0x94, 0xC3, 0x02, 0x01] + (try StreamFraming.frame([9, 8, 7])))
        #expect(decoder.nextFrame() == [9, 8, 7])
        #expect(decoder.nextFrame() == nil)
        // The bad header's four bytes: 0x94 dropped, then C3, 02, 01 hunted past.
        #expect(decoder.discardedByteCount == 4)
    }

    @Test("LEN 0 is a valid empty frame")
    func emptyFrame() {
        var decoder = StreamFrameDecoder()
        decoder.append([0x94, 0xC3, 0x00, 0x00, 0x94, 0xC3, 0x00, 0x01, 0x05])
        #expect(decoder.nextFrame() == [])
        #expect(decoder.nextFrame() == [0x05])
        #expect(decoder.nextFrame() == nil)
    }

    @Test("A stream fed one byte at a time yields each frame exactly when its last byte arrives")
    func byteAtATime() throws {
        let payloads: [[UInt8]] = [[0x18, 0xAC, 0x9E, 0x04], [], Array(repeating: 0x94, count: 40), [0xC3]]
        var stream: [UInt8] = Array("boot\n".utf8)
        var frameEnds: [Int] = []
        for payload in payloads {
            stream += try StreamFraming.frame(payload)
            frameEnds.append(stream.count - 1)
        }
        var decoder = StreamFrameDecoder()
        var received: [[UInt8]] = []
        for (index, byte) in stream.enumerated() {
            decoder.append(CollectionOfOne(byte))
            if let frame = decoder.nextFrame() {
                #expect(frameEnds.contains(index), "frame completed at byte \(index), not at a frame end")
                received.append(frame)
            }
            #expect(decoder.nextFrame() == nil)
        }
        #expect(received == payloads)
    }

    @Test("An incomplete header is kept across appends")
    func partialHeaderKept() {
        var decoder = StreamFrameDecoder()
        decoder.append([0x94])
        #expect(decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 1)
        decoder.append([0xC3, 0x00])
        #expect(decoder.bufferedByteCount == 3)
        decoder.append([0x01, 0xFF])
        #expect(decoder.nextFrame() == [0xFF])
        #expect(decoder.discardedByteCount == 0)
    }

    // MARK: Fuzz

    @Test("Frames after 0x94-free garbage are all recovered, in order, with a bounded buffer")
    func fuzzRecoversEveryFrame() throws {
        var rng = SplitMix64(seed: 0x5EED_F4A3)
        var decoder = StreamFrameDecoder()
        var expected: [[UInt8]] = []
        var received: [[UInt8]] = []
        var garbageBytes = 0
        var pending: [UInt8] = []
        for _ in 0 ..< 2_000 {
            let garbage = (0 ..< Int.random(in: 0 ... 64, using: &rng)).map { _ in
                var byte = UInt8.random(in: 0 ... 255, using: &rng)
                if byte == StreamFraming.start1 { byte = 0x20 }
                return byte
            }
            garbageBytes += garbage.count
            let payload = (0 ..< Int.random(in: 0 ... 512, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            expected.append(payload)
            pending += garbage + (try StreamFraming.frame(payload))
            // Deliver in random chunk sizes, as serial reads do.
            while !pending.isEmpty, Bool.random(using: &rng) {
                let cut = Int.random(in: 1 ... pending.count, using: &rng)
                decoder.append(pending[..<cut])
                pending.removeFirst(cut)
                while let frame = decoder.nextFrame() { received.append(frame) }
                #expect(decoder.bufferedByteCount <= StreamFraming.headerLength + StreamFraming.maximumPayloadLength)
            }
        }
        decoder.append(pending)
        while let frame = decoder.nextFrame() { received.append(frame) }
        #expect(received.count == expected.count)
        #expect(received == expected)
        #expect(decoder.discardedByteCount == garbageBytes)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("Arbitrary bytes never crash, every byte is accounted for and the buffer stays bounded")
    func fuzzArbitraryBytes() throws {
        var rng = SplitMix64(seed: 42)
        var decoder = StreamFrameDecoder()
        var fed = 0
        var framedBytes = 0
        for round in 0 ..< 2_000 {
            // Bias towards the magic bytes so headers, bad lengths and near-misses are common.
            var chunk = (0 ..< Int.random(in: 0 ... 700, using: &rng)).map { _ -> UInt8 in
                switch Int.random(in: 0 ..< 8, using: &rng) {
                case 0: StreamFraming.start1
                case 1: StreamFraming.start2
                case 2: UInt8.random(in: 0 ... 3, using: &rng)
                default: UInt8.random(in: 0 ... 255, using: &rng)
                }
            }
            if round % 3 == 0 { chunk += try StreamFraming.frame([UInt8](repeating: 0xAB, count: round % 513)) }
            fed += chunk.count
            decoder.append(chunk)
            while let frame = decoder.nextFrame() {
                #expect(frame.count <= StreamFraming.maximumPayloadLength)
                framedBytes += StreamFraming.headerLength + frame.count
            }
            #expect(decoder.bufferedByteCount <= StreamFraming.headerLength + StreamFraming.maximumPayloadLength)
            #expect(decoder.discardedByteCount + framedBytes + decoder.bufferedByteCount == fed)
        }
    }

    @Test("Consumed bytes are compacted away; storage stays proportional to what is held")
    func storageIsCompacted() throws {
        var decoder = StreamFrameDecoder()
        let frame = try StreamFraming.frame([UInt8](repeating: 0x11, count: 100))
        var stream: [UInt8] = []
        for _ in 0 ..< 1_000 { stream += frame }
        // Small chunks: storage never holds more than twice the live bytes plus one chunk.
        var count = 0
        var offset = 0
        while offset < stream.count {
            let end = min(offset + 37, stream.count)
            decoder.append(stream[offset ..< end])
            offset = end
            while decoder.nextFrame() != nil { count += 1 }
            #expect(decoder.storageByteCount <= 2 * decoder.bufferedByteCount + 37)
        }
        #expect(count == 1_000)
        // One large append drained completely leaves no storage behind.
        decoder.append(stream)
        while decoder.nextFrame() != nil { count += 1 }
        #expect(count == 2_000)
        #expect(decoder.storageByteCount == 0)
    }
}

/// Deterministic generator so fuzz failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
