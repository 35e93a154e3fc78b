import NIOCore

/// Hands NIOHTTP2's frame decoder (a server's or a client's) only reads that end at a frame boundary or inside the payload
/// of an unpadded DATA frame; the bytes of a frame cut short anywhere else (inside its 9-byte
/// header, right after it, inside any other frame) wait for the next read.
///
/// Why: swift-nio-http2 (1.46) appends each read to the decoder's own buffer. During an upload
/// the DATA frames sliced from that buffer are still held by the stream, so each append copies
/// the buffer's whole storage; and when a read ended at one of the places above, the buffer
/// also grew by the read and never shrank. AsyncHTTPClient's TLS writes put every DATA frame's
/// header in a record of its own, so about every other read ended right after a header: the
/// decoder's buffer grew to megabytes and every read copied all of it — 9–11 s of server CPU
/// and 40–60 MB/s for a 512 MiB upload on one stream with 1 MiB or larger windows (curl, whose
/// records hold whole frames, was unaffected). Measured and profiled in docs/benchmarks.md,
/// "One HTTP/2 stream".
///
/// At most one frame is held (9 bytes + the largest frame the server accepts); a frame that
/// announces more than that is passed on at once, for the decoder to refuse.
public final class WholeFrameReads: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    static let prefaceLength = 24
    static let headerLength = 9
    private static let dataFrame: UInt8 = 0x0
    private static let paddedFlag: UInt8 = 0x8

    private let maximumFrameSize: Int
    private var held: ByteBuffer?
    private var prefaceRemaining: Int
    /// Bytes of a frame already partly passed on that are still to come (a DATA payload, or an
    /// oversized frame the decoder will refuse).
    private var passThroughRemaining = 0

    /// - Parameters:
    ///   - maximumFrameSize: the SETTINGS_MAX_FRAME_SIZE this side advertised (16 KiB unless
    ///     changed).
    ///   - clientPreface: true on a server, whose first inbound bytes are the client's 24-byte
    ///     connection preface; false on a client (the server starts with a SETTINGS frame).
    public init(maximumFrameSize: Int = 1 << 14, clientPreface: Bool = true) {
        self.maximumFrameSize = maximumFrameSize
        self.prefaceRemaining = clientPreface ? Self.prefaceLength : 0
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var held {
            self.held = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        let readable = buffer.readableBytes
        let cut = boundary(in: buffer)
        if cut == 0 {
            // Nothing may go on yet (a frame arriving a few bytes at a time): keep it as it is.
            held = buffer
            return
        }
        if cut < readable, let rest = buffer.getSlice(at: buffer.readerIndex + cut, length: readable - cut) {
            // A copy of its own, with room for the rest of the frame: the next read appends to it.
            var copy = context.channel.allocator.buffer(capacity: max(rest.readableBytes, 1 << 16))
            copy.writeImmutableBuffer(rest)
            held = copy
        }
        if cut == readable {
            context.fireChannelRead(wrapInboundOut(buffer))
        } else if let head = buffer.getSlice(at: buffer.readerIndex, length: cut) {
            context.fireChannelRead(wrapInboundOut(head))
        }
    }

    /// How many of `buffer`'s readable bytes may go on now; updates the preface and
    /// pass-through counters for them.
    private func boundary(in buffer: ByteBuffer) -> Int {
        let readable = buffer.readableBytes
        let start = buffer.readerIndex
        var offset = min(passThroughRemaining, readable)
        passThroughRemaining -= offset
        if passThroughRemaining > 0 { return readable }
        if prefaceRemaining > 0 {
            let preface = min(prefaceRemaining, readable - offset)
            prefaceRemaining -= preface
            offset += preface
            if prefaceRemaining > 0 { return readable }
        }
        while offset < readable {
            let available = readable - offset
            // Length (24 bits), type, flags: read in place, no allocation per frame.
            guard available >= Self.headerLength,
                  let high = buffer.getInteger(at: start + offset, as: UInt8.self),
                  let low = buffer.getInteger(at: start + offset + 1, as: UInt16.self),
                  let type = buffer.getInteger(at: start + offset + 3, as: UInt8.self),
                  let flags = buffer.getInteger(at: start + offset + 4, as: UInt8.self) else { return offset }
            let length = Int(high) << 16 | Int(low)
            let total = Self.headerLength + length
            if available >= total {
                offset += total
                continue
            }
            let unpaddedData = type == Self.dataFrame && flags & Self.paddedFlag == 0
            if length > maximumFrameSize || (unpaddedData && available > Self.headerLength) {
                // Oversized (refused downstream), or DATA with some payload here: the decoder
                // can stop inside it without growing its buffer.
                passThroughRemaining = total - available
                return readable
            }
            return offset
        }
        return readable
    }
}
