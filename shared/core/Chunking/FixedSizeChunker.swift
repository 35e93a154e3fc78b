/// Cuts a stream into chunks of exactly ``chunkSize`` bytes; only the final chunk may be shorter.
///
/// Boundaries fall at every multiple of ``chunkSize`` in the stream, whatever the sizes of the
/// pieces handed to ``push(_:)``.
public struct FixedSizeChunker: Chunker {
    /// The length of every chunk but the last.
    public let chunkSize: Int
    /// The bytes of the chunk in progress, always fewer than ``chunkSize``.
    private var pending: [UInt8] = []

    /// No chunk exceeds ``chunkSize``.
    public var maximumChunkSize: Int { chunkSize }

    /// Creates a chunker cutting every `chunkSize` bytes.
    ///
    /// - Throws: ``CoreError`` of kind `.chunker` when `chunkSize` is not positive.
    public init(chunkSize: Int) throws(CoreError) {
        guard chunkSize > 0 else {
            throw CoreError(.chunker, "fixed chunk size must be positive, got \(chunkSize)")
        }
        self.chunkSize = chunkSize
    }

    public mutating func push(_ bytes: [UInt8]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var offset = 0

        if !pending.isEmpty {
            let take = min(chunkSize - pending.count, bytes.count)
            pending.append(contentsOf: bytes[..<take])
            offset = take
            guard pending.count == chunkSize else { return [] }
            chunks.append(pending)
            pending = []
        }

        // A push of exactly one aligned chunk is handed back without copying.
        if offset == 0 && bytes.count == chunkSize {
            return [bytes]
        }
        chunks.reserveCapacity(chunks.count + (bytes.count - offset) / chunkSize)
        while bytes.count - offset >= chunkSize {
            chunks.append(Array(bytes[offset ..< offset + chunkSize]))
            offset += chunkSize
        }
        pending.append(contentsOf: bytes[offset...])
        return chunks
    }

    public mutating func finish() -> [UInt8]? {
        guard !pending.isEmpty else { return nil }
        defer { pending = [] }
        return pending
    }
}
