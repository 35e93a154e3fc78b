import NIOCore
import NIOEmbedded
@testable import PakitHTTP2
import PakitCore
import Testing

/// `WholeFrameReads` sits between TLS and the HTTP/2 decoder: whatever way the bytes of a
/// connection are split into reads, it passes all of them on, in order, and no read it passes
/// ends inside a frame header, right after one, or inside a frame other than an unpadded DATA
/// payload.
@Suite("HTTP/2 whole-frame reads")
struct WholeFrameReadsTests {
    struct Frame {
        let type: UInt8
        let flags: UInt8
        let payload: [UInt8]
        var bytes: [UInt8] {
            [UInt8(payload.count >> 16 & 0xff), UInt8(payload.count >> 8 & 0xff), UInt8(payload.count & 0xff), type, flags, 0, 0, 0, 1] + payload
        }
    }

    /// The client preface, SETTINGS, HEADERS, DATA (unpadded, padded, empty), PING, and more DATA.
    static func connectionBytes() -> (bytes: [UInt8], frames: [(start: Int, header: Int, end: Int, unpaddedData: Bool)]) {
        var random = SplitMix64(seed: 42)
        func payload(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let frames = [
            Frame(type: 4, flags: 0, payload: payload(18)), Frame(type: 1, flags: 4, payload: payload(40)),
            Frame(type: 0, flags: 0, payload: payload(16_384)), Frame(type: 0, flags: 0x8, payload: [10] + payload(300) + [UInt8](repeating: 0, count: 10)),
            Frame(type: 0, flags: 0, payload: []), Frame(type: 6, flags: 0, payload: payload(8)),
            Frame(type: 0, flags: 0, payload: payload(5_000)), Frame(type: 0, flags: 1, payload: payload(16_384)),
        ]
        var bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        var layout: [(Int, Int, Int, Bool)] = []
        for frame in frames {
            let start = bytes.count
            bytes += frame.bytes
            layout.append((start, start + 9, bytes.count, frame.type == 0 && frame.flags & 0x8 == 0))
        }
        return (bytes, layout)
    }

    @Test("every split of a connection into reads comes out whole, in order, cut only where the decoder copes", arguments: [1, 7, 9, 10, 1_000, 16_393, 40_000])
    func splits(chunk: Int) throws {
        let (bytes, frames) = Self.connectionBytes()
        let channel = EmbeddedChannel(handler: WholeFrameReads())
        var random = SplitMix64(seed: UInt64(chunk))
        var offset = 0
        while offset < bytes.count {
            // Alternate fixed and random sizes so cuts land everywhere.
            let size = random.next() % 2 == 0 ? chunk : Int(random.next() % UInt64(chunk * 2 + 1)) + 1
            let end = min(bytes.count, offset + size)
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        var received: [UInt8] = []
        while let read = try channel.readInbound(as: ByteBuffer.self) {
            received += Array(read.readableBytesView)
            let cut = received.count
            guard cut > 24 else { continue }
            let allowed = frames.contains { $0.end == cut || ($0.unpaddedData && cut > $0.header && cut < $0.end) }
            #expect(allowed, "a read ended at byte \(cut), inside a header or a frame the decoder would copy")
        }
        #expect(received == bytes)
        _ = try channel.finish()
    }

    @Test("a frame announcing more than the largest accepted size is passed on at once, not held")
    func oversizedFrame() throws {
        let channel = EmbeddedChannel(handler: WholeFrameReads())
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        let header: [UInt8] = [0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 1]
        try channel.writeInbound(ByteBuffer(bytes: preface + header + [1, 2, 3]))
        var received: [UInt8] = []
        while let read = try channel.readInbound(as: ByteBuffer.self) { received += Array(read.readableBytesView) }
        #expect(received == preface + header + [1, 2, 3])
        _ = try channel.finish()
    }
}
