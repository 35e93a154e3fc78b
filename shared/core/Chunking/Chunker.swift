/// Splits a byte stream into chunks, fed incrementally; memory stays bounded by the maximum chunk size.
///
/// Chunk boundaries depend only on the stream's content, never on how it was divided between
/// ``push(_:)`` calls. Concatenating every returned chunk, then ``finish()``'s result,
/// reproduces the stream exactly.
public protocol Chunker: Sendable {
    /// Feed the next bytes; returns the chunks they complete, in order.
    mutating func push(_ bytes: [UInt8]) -> [[UInt8]]
    /// The final partial chunk, or nil when nothing is pending (an empty stream yields no chunks at all).
    ///
    /// Afterwards the chunker is empty again and may start a new stream.
    mutating func finish() -> [UInt8]?
    /// No chunk is ever longer than this many bytes.
    var maximumChunkSize: Int { get }
}
