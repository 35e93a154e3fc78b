import Foundation

/// The Meshtastic stream API framing used on serial and TCP (port 4403):
/// `0x94 0xC3 LEN_HI LEN_LO` followed by LEN bytes of protobuf (`ToRadio` towards the device,
/// `FromRadio` back). LEN is big-endian and at most 512 (`MAX_TO_FROM_RADIO_SIZE`).
public enum StreamFraming {
    /// First magic byte of every frame header.
    public static let start1: UInt8 = 0x94
    /// Second magic byte of every frame header.
    public static let start2: UInt8 = 0xC3
    /// The firmware rejects longer payloads, so we never emit them.
    public static let maximumPayloadLength = 512
    /// Two magic bytes plus the 16-bit length.
    public static let headerLength = 4

    /// Wraps one encoded protobuf message in a stream frame.
    ///
    /// - Throws: `.payloadTooLarge` when the payload exceeds ``maximumPayloadLength``; the
    ///   device would discard such a header and resynchronise, silently losing the message.
    public static func frame(_ payload: some Collection<UInt8>) throws(StreamFramingError) -> [UInt8] {
        let length = payload.count
        guard length <= maximumPayloadLength else { throw .payloadTooLarge(length) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerLength + length)
        bytes.append(start1)
        bytes.append(start2)
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
        bytes.append(contentsOf: payload)
        return bytes
    }
}

/// Errors from building stream frames.
public enum StreamFramingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload length (bytes) was above ``StreamFraming/maximumPayloadLength``.
    case payloadTooLarge(Int)

    public var description: String {
        switch self {
        case .payloadTooLarge(let length):
            "stream frame payload of \(length) bytes exceeds \(StreamFraming.maximumPayloadLength)"
        }
    }
}

/// Incremental decoder for a Meshtastic byte stream.
///
/// Feed bytes with ``append(_:)`` as they arrive, then call ``nextFrame()`` until it returns
/// `nil`. Bytes outside frames (the device's serial debug text, line noise) are discarded:
/// - bytes before a `0x94` are dropped;
/// - a `0x94` not followed by `0xC3` is dropped alone, and the hunt restarts at the next byte
///   (which may itself be a `0x94`);
/// - a header whose LEN exceeds 512 drops only its `0x94`, and the hunt restarts at the next byte.
///
/// The firmware's parser (`StreamAPI.cpp`) also throws away the byte that broke the match or
/// the whole bad header; restarting one byte later recovers every frame it would, plus frames
/// that start inside the rejected bytes (for example `94 94 C3 …`).
///
/// Once drained, the decoder holds at most one incomplete frame (≤ 4 + 512 bytes).
public struct StreamFrameDecoder: Sendable {
    /// Bytes received; everything before `head` is already consumed or discarded.
    private var buffer: [UInt8] = []
    /// Read position in `buffer`; advancing it instead of removing bytes keeps consumption O(1).
    private var head = 0

    /// Bytes thrown away while hunting for a frame header (debug text, noise, bad headers).
    public private(set) var discardedByteCount = 0

    /// Bytes held that are not yet part of a returned frame.
    public var bufferedByteCount: Int { buffer.count - head }

    /// Size of the internal storage including the consumed prefix; lets tests check compaction.
    var storageByteCount: Int { buffer.count }

    public init() {}

    /// Adds received bytes. Leading noise is discarded at once, so a device that only prints
    /// debug text never grows the buffer.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
        _ = synchronise()
    }

    /// Returns the next complete payload (`[]` for a LEN 0 frame), or `nil` when more bytes are needed.
    public mutating func nextFrame() -> [UInt8]? {
        guard let length = synchronise() else { return nil }
        let start = head + StreamFraming.headerLength
        guard buffer.count - start >= length else { return nil }
        let payload = Array(buffer[start ..< start + length])
        head = start + length
        compact()
        return payload
    }

    /// Skips to a plausible header and returns its payload length, or `nil` if the buffered bytes
    /// do not yet contain a complete, valid header.
    private mutating func synchronise() -> Int? {
        while true {
            guard let start = buffer[head...].firstIndex(of: StreamFraming.start1) else {
                discard(buffer.count - head)
                return nil
            }
            discard(start - head)
            let available = buffer.count - head
            guard available >= 2 else { return nil }
            guard buffer[head + 1] == StreamFraming.start2 else {
                discard(1)
                continue
            }
            guard available >= StreamFraming.headerLength else { return nil }
            let length = Int(buffer[head + 2]) << 8 | Int(buffer[head + 3])
            guard length <= StreamFraming.maximumPayloadLength else {
                discard(1)
                continue
            }
            return length
        }
    }

    private mutating func discard(_ count: Int) {
        head += count
        discardedByteCount += count
    }

    /// Drops the consumed prefix only once it is at least as large as what remains, so each byte
    /// is moved a bounded number of times (amortised O(1), no O(n²) on long streams).
    private mutating func compact() {
        guard head > 0 else { return }
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= buffer.count - head {
            buffer.removeSubrange(0 ..< head)
            head = 0
        }
    }
}
