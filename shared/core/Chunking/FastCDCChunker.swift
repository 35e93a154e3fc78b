/// Content-defined chunking with FastCDC (Xia et al., USENIX ATC 2016).
///
/// A Gear rolling hash `h = (h << 1) &+ G[byte]` runs over the stream; a chunk ends after a
/// byte whose hash has all the bits of a mask clear. The rules, per chunk:
///
/// - No cut test before ``minimumChunkSize`` bytes (cut-point skipping). The hash restarts at
///   zero 64 bytes before that point: a Gear hash only remembers the last 64 bytes, so every
///   cut test sees a full window and depends only on those bytes, not on where the chunk began.
/// - Normalized chunking: below ``averageChunkSize`` the test uses a stricter mask with
///   `log2(average) + normalizationLevel` one bits, from there on a looser one with
///   `log2(average) - normalizationLevel`, which narrows the chunk-size distribution.
/// - The masks select the hash's *high* bits, which mix in the whole 64-byte window
///   (bit `k` of a Gear hash depends only on the last `k + 1` bytes).
/// - A chunk is cut unconditionally at ``maximumChunkSize`` bytes.
///
/// The scan rolls two bytes per step, as in the 2020 FastCDC paper (Xia et al., IEEE TPDS),
/// with results identical to the byte-at-a-time rule above.
///
/// Boundaries are a pure function of the content and of the four parameters, and are frozen:
/// the Gear table is derived from a fixed seed (see ``gearSeed``).
public struct FastCDCChunker: Chunker {
    /// Shortest chunk, except for the final one.
    public let minimumChunkSize: Int
    /// Chunk length at which the cut test switches from the strict mask to the loose one.
    public let averageChunkSize: Int
    /// Longest chunk; a cut is forced here.
    public let maximumChunkSize: Int
    /// Normalization level NC: how many bits the masks differ from `log2(averageChunkSize)`.
    public let normalizationLevel: Int

    /// Mask tested below the average size (more one bits, so cuts are rarer).
    private let strictMask: UInt64
    /// Mask tested from the average size on (fewer one bits, so cuts are likelier).
    private let looseMask: UInt64
    /// Chunk offset where the Gear hash (re)starts from zero: one full window before the minimum.
    private let hashStart: Int

    /// Bytes of the chunk in progress (always fewer than ``maximumChunkSize``).
    private var pending: [UInt8] = []
    /// Gear hash over the scanned tail of `pending`.
    private var hash: UInt64 = 0

    /// 16 KiB minimum, 64 KiB average, 256 KiB maximum, normalization level 1.
    public static let default64KiB = FastCDCChunker(
        validatedMinimum: 16 << 10, average: 64 << 10, maximum: 256 << 10, normalizationLevel: 1)

    /// Seed of the SplitMix64 sequence whose first 256 outputs form the Gear table:
    /// the ASCII bytes of "PAKITCDC". Changing it changes every chunk boundary.
    public static let gearSeed: UInt64 = 0x5041_4B49_5443_4443

    /// Creates a chunker with the given size bounds.
    ///
    /// - Throws: ``CoreError`` of kind `.chunker` unless `1 <= minSize <= averageSize <= maxSize`,
    ///   `normalizationLevel` is in `0...3`, and both masks keep between 1 and 48 one bits
    ///   (`log2(averageSize)` means the exponent of the power of two nearest to it).
    public init(minSize: Int, averageSize: Int, maxSize: Int, normalizationLevel: Int = 1) throws(CoreError) {
        guard 1 <= minSize, minSize <= averageSize, averageSize <= maxSize else {
            throw CoreError(.chunker, "FastCDC needs 1 <= min <= average <= max, got \(minSize)/\(averageSize)/\(maxSize)")
        }
        guard (0...3).contains(normalizationLevel) else {
            throw CoreError(.chunker, "FastCDC normalization level must be 0...3, got \(normalizationLevel)")
        }
        let bits = Self.roundedLog2(averageSize)
        guard bits - normalizationLevel >= 1, bits + normalizationLevel <= 48 else {
            throw CoreError(.chunker, "FastCDC average size \(averageSize) is out of range for normalization level \(normalizationLevel)")
        }
        self.init(validatedMinimum: minSize, average: averageSize, maximum: maxSize,
                  normalizationLevel: normalizationLevel)
    }

    private init(validatedMinimum minimum: Int, average: Int, maximum: Int, normalizationLevel: Int) {
        minimumChunkSize = minimum
        averageChunkSize = average
        maximumChunkSize = maximum
        self.normalizationLevel = normalizationLevel
        let bits = Self.roundedLog2(average)
        strictMask = Self.highBitsMask(count: bits + normalizationLevel)
        looseMask = Self.highBitsMask(count: bits - normalizationLevel)
        hashStart = max(0, minimum - Self.windowSize)
    }

    public mutating func push(_ bytes: [UInt8]) -> [[UInt8]] {
        guard !bytes.isEmpty else { return [] }
        var chunks: [[UInt8]] = []
        bytes.withUnsafeBufferPointer { input in
            Self.gearTable.withUnsafeBufferPointer { gear in
                var chunkStart = 0
                var length = pending.count
                var hash = self.hash
                while let cut = findCut(in: input, from: chunkStart, length: &length, hash: &hash, gear: gear) {
                    if pending.isEmpty {
                        // A push that is exactly one chunk is handed back without copying.
                        chunks.append(chunkStart == 0 && cut == input.count
                            ? bytes : Array(UnsafeBufferPointer(rebasing: input[chunkStart..<cut])))
                    } else {
                        pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[chunkStart..<cut]))
                        chunks.append(pending)
                        pending = []
                    }
                    chunkStart = cut
                }
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[chunkStart...]))
                self.hash = hash
            }
        }
        return chunks
    }

    public mutating func finish() -> [UInt8]? {
        hash = 0
        guard !pending.isEmpty else { return nil }
        defer { pending = [] }
        return pending
    }

    /// Scans `input[start...]`, which continues a chunk already `length` bytes long, for the
    /// next cut. Returns the index just past the chunk's last byte (and resets `length` and
    /// `hash` for the next chunk), or nil when the input ends first (`length`/`hash` then
    /// describe the scanned prefix so the next push resumes exactly here).
    @inline(__always)
    private func findCut(in input: UnsafeBufferPointer<UInt8>, from start: Int, length: inout Int,
                         hash: inout UInt64, gear: UnsafeBufferPointer<UInt64>) -> Int? {
        let end = input.count
        // Input index of the chunk's first byte (negative when it began in an earlier push),
        // so chunk offset k sits at input index `origin + k`. The loops below each cover one
        // phase of the chunk; the byte at offset k is the last one of a chunk of length k + 1.
        let origin = start - length
        var index = max(start, min(end, origin + hashStart))
        var h = hash

        let warmEnd = min(end, origin + minimumChunkSize - 1)
        while index < warmEnd {
            h = (h &<< 1) &+ gear[Int(input[index])]
            index &+= 1
        }

        let strictEnd = min(end, origin + averageChunkSize - 1)
        if Self.roll(input, gear, index: &index, end: strictEnd, hash: &h, mask: strictMask) {
            return cut(after: index, length: &length, hash: &hash)
        }

        let looseEnd = min(end, origin + maximumChunkSize - 1)
        if Self.roll(input, gear, index: &index, end: looseEnd, hash: &h, mask: looseMask) {
            return cut(after: index, length: &length, hash: &hash)
        }

        // Reaching offset maximum - 1 with input left means the chunk is full.
        if index < end {
            return cut(after: index, length: &length, hash: &hash)
        }
        length = end - origin
        hash = h
        return nil
    }

    /// Rolls the hash over `input[index..<end]` until it has all `mask` bits clear. Returns
    /// true with `index` at the byte that ends the chunk, or false with `index == end`.
    @inline(__always)
    private static func roll(_ input: UnsafeBufferPointer<UInt8>, _ gear: UnsafeBufferPointer<UInt64>,
                             index: inout Int, end: Int, hash h: inout UInt64, mask: UInt64) -> Bool {
        var i = index
        // Two bytes per step: after bytes b0 b1 the hash is 4h + (2·G[b0] + G[b1]). The pair
        // term is loaded one step ahead, so the loop-carried dependency is a single
        // shift-add per two bytes instead of two (the compiler would otherwise re-associate
        // it back into the serial form).
        if i &+ 1 < end {
            var g0 = gear[Int(input[i])]
            var pair = (g0 &<< 1) &+ gear[Int(input[i &+ 1])]
            while true {
                let first = (h &<< 1) &+ g0
                let second = (h &<< 2) &+ pair
                if (first & mask == 0) || (second & mask == 0) {
                    if first & mask == 0 {
                        h = first
                        index = i
                    } else {
                        h = second
                        index = i &+ 1
                    }
                    return true
                }
                h = second
                i &+= 2
                guard i &+ 1 < end else { break }
                g0 = gear[Int(input[i])]
                pair = (g0 &<< 1) &+ gear[Int(input[i &+ 1])]
            }
        }
        if i < end {
            h = (h &<< 1) &+ gear[Int(input[i])]
            if h & mask == 0 {
                index = i
                return true
            }
            i &+= 1
        }
        index = i
        return false
    }

    @inline(__always)
    private func cut(after index: Int, length: inout Int, hash: inout UInt64) -> Int {
        length = 0
        hash = 0
        return index + 1
    }
}

extension FastCDCChunker {
    /// A Gear hash forgets a byte after 64 shifts.
    private static let windowSize = 64

    /// The 256 random 64-bit Gear values: consecutive SplitMix64 outputs from ``gearSeed``.
    private static let gearTable: [UInt64] = {
        var generator = SplitMix64(seed: gearSeed)
        return (0..<256).map { _ in generator.next() }
    }()

    /// A mask of the `count` most significant bits.
    private static func highBitsMask(count: Int) -> UInt64 {
        count == 0 ? 0 : ~UInt64(0) << UInt64(64 - count)
    }

    /// The exponent of the power of two nearest to `value` (ties round up), so averages that
    /// are not powers of two still get sensible masks.
    private static func roundedLog2(_ value: Int) -> Int {
        let floorLog = Int.bitWidth - 1 - value.leadingZeroBitCount
        let lower = 1 << floorLog
        // From 1.5 · 2^k on, 2^(k+1) is the nearer power (written to avoid overflow).
        return value - lower >= (lower + 1) / 2 ? floorLog + 1 : floorLog
    }
}
