import Testing
@testable import PakitCore

@Suite("Chunkers")
struct ChunkerTests {
    // MARK: Fixed size

    @Test("Fixed-size boundaries fall at multiples of the chunk size whatever the push sizes")
    func fixedBoundaries() throws {
        var random = Random(seed: 11)
        let stream = random.bytes(10_000)
        for chunkSize in [1, 7, 1000, 4096, 10_000, 20_000] {
            for _ in 0..<5 {
                var chunker = try FixedSizeChunker(chunkSize: chunkSize)
                let chunks = Self.chunkAll(&chunker, stream, pushSizes: &random)
                #expect(chunks.dropLast().allSatisfy { $0.count == chunkSize })
                #expect(chunks.last.map { (1...chunkSize).contains($0.count) } == true)
                #expect(chunks.count == (stream.count + chunkSize - 1) / chunkSize)
                #expect(Array(chunks.joined()) == stream)
            }
        }
    }

    @Test("Fixed-size: empty stream yields nothing, exact multiples leave nothing pending")
    func fixedEdges() throws {
        var chunker = try FixedSizeChunker(chunkSize: 4)
        #expect(chunker.maximumChunkSize == 4)
        #expect(chunker.push([]).isEmpty)
        #expect(chunker.finish() == nil)
        #expect(chunker.push([1, 2, 3]).isEmpty)
        #expect(chunker.push([4, 5, 6, 7, 8, 9]) == [[1, 2, 3, 4], [5, 6, 7, 8]])
        #expect(chunker.push([10, 11, 12]) == [[9, 10, 11, 12]])
        #expect(chunker.finish() == nil)
        #expect(chunker.push([1, 2, 3, 4]) == [[1, 2, 3, 4]])
        #expect(chunker.push([5]).isEmpty)
        #expect(chunker.finish() == [5])
        #expect(chunker.finish() == nil)
    }

    @Test("Fixed-size rejects non-positive sizes")
    func fixedValidation() {
        #expect(throws: CoreError.self) { try FixedSizeChunker(chunkSize: 0) }
        #expect(throws: CoreError.self) { try FixedSizeChunker(chunkSize: -5) }
    }

    // MARK: FastCDC

    @Test("FastCDC rejects inconsistent parameters")
    func fastCDCValidation() {
        #expect(throws: CoreError.self) { try FastCDCChunker(minSize: 0, averageSize: 8, maxSize: 16) }
        #expect(throws: CoreError.self) { try FastCDCChunker(minSize: 9, averageSize: 8, maxSize: 16) }
        #expect(throws: CoreError.self) { try FastCDCChunker(minSize: 4, averageSize: 32, maxSize: 16) }
        #expect(throws: CoreError.self) { try FastCDCChunker(minSize: 4, averageSize: 8, maxSize: 16, normalizationLevel: 4) }
        #expect(throws: CoreError.self) { try FastCDCChunker(minSize: 1, averageSize: 2, maxSize: 16, normalizationLevel: 1) }
        #expect(throws: Never.self) { try FastCDCChunker(minSize: 1, averageSize: 4, maxSize: 4, normalizationLevel: 1) }
        let defaults = FastCDCChunker.default64KiB
        #expect(defaults.minimumChunkSize == 16 << 10)
        #expect(defaults.averageChunkSize == 64 << 10)
        #expect(defaults.maximumChunkSize == 256 << 10)
        #expect(defaults.normalizationLevel == 1)
    }

    /// Frozen output: if this changes, every previously stored file would re-chunk differently.
    @Test("FastCDC boundaries of a fixed 4 MiB input are pinned")
    func fastCDCPinnedBoundaries() {
        var random = Random(seed: 0x4D_4942_4F55_4E44)
        let stream = random.bytes(4 << 20)
        var chunker = FastCDCChunker.default64KiB
        let lengths = Self.chunkAll(&chunker, stream, pushSize: 1 << 20).map(\.count)
        #expect(lengths == Self.pinnedDefaultLengths)
    }

    @Test("FastCDC matches a byte-at-a-time restatement of its documented rule", arguments: [
        (16 << 10, 64 << 10, 256 << 10, 1),
        (2048, 8192, 32768, 2),
        (1000, 3000, 7000, 3),
        (16, 64, 100, 0),
        (1, 256, 4096, 1),
        (100, 100, 100, 1),
    ])
    func fastCDCMatchesReference(minSize: Int, averageSize: Int, maxSize: Int, level: Int) throws {
        var random = Random(seed: UInt64(minSize * 31 + averageSize))
        let stream = random.bytes(1 << 20)
        var chunker = try FastCDCChunker(minSize: minSize, averageSize: averageSize, maxSize: maxSize,
                                         normalizationLevel: level)
        let lengths = Self.chunkAll(&chunker, stream, pushSize: 65_537).map(\.count)
        #expect(lengths == Self.referenceLengths(stream, minSize: minSize, averageSize: averageSize,
                                                 maxSize: maxSize, level: level))
    }

    @Test("FastCDC boundaries do not depend on push sizes")
    func fastCDCSplitInvariance() throws {
        var random = Random(seed: 99)
        let stream = random.bytes(3 << 20)
        let configurations = [
            FastCDCChunker.default64KiB,
            try FastCDCChunker(minSize: 2048, averageSize: 8192, maxSize: 32768, normalizationLevel: 2),
            try FastCDCChunker(minSize: 16, averageSize: 64, maxSize: 100, normalizationLevel: 0),
        ]
        for configuration in configurations {
            var whole = configuration
            let reference = Self.chunkAll(&whole, stream, pushSize: stream.count)
            for _ in 0..<3 {
                var chunker = configuration
                #expect(Self.chunkAll(&chunker, stream, pushSizes: &random) == reference)
            }
            var byteWise = configuration
            #expect(Self.chunkAll(&byteWise, Array(stream.prefix(100_000)), pushSize: 1)
                == Self.chunkAll(&whole, Array(stream.prefix(100_000)), pushSize: 100_000))
        }
    }

    @Test("FastCDC chunk sizes stay within bounds and reassemble the stream")
    func fastCDCBounds() throws {
        var random = Random(seed: 5)
        let stream = random.bytes(2 << 20)
        for configuration in [
            FastCDCChunker.default64KiB,
            try FastCDCChunker(minSize: 1000, averageSize: 3000, maxSize: 7000, normalizationLevel: 3),
        ] {
            var chunker = configuration
            let chunks = Self.chunkAll(&chunker, stream, pushSizes: &random)
            let bounds = configuration.minimumChunkSize...configuration.maximumChunkSize
            #expect(chunks.dropLast().allSatisfy { bounds.contains($0.count) })
            #expect(chunks.allSatisfy { (1...configuration.maximumChunkSize).contains($0.count) })
            #expect(Array(chunks.joined()) == stream)
            // Content-defined cuts dominate: the mean lies between the minimum and maximum.
            let mean = stream.count / chunks.count
            #expect(mean > configuration.minimumChunkSize && mean < configuration.maximumChunkSize)
        }
    }

    @Test("FastCDC cuts content without cut points at the maximum size")
    func fastCDCForcedCuts() {
        var chunker = FastCDCChunker.default64KiB
        let chunks = Self.chunkAll(&chunker, [UInt8](repeating: 0, count: (1 << 20) + 5), pushSize: 100_000)
        #expect(chunks.map(\.count) == [262_144, 262_144, 262_144, 262_144, 5])
    }

    @Test("FastCDC: an empty stream yields no chunks")
    func fastCDCEmpty() {
        var chunker = FastCDCChunker.default64KiB
        #expect(chunker.push([]).isEmpty)
        #expect(chunker.finish() == nil)
        #expect(chunker.push([42]).isEmpty)
        #expect(chunker.finish() == [42])
        #expect(chunker.finish() == nil)
    }

    @Test("FastCDC is content-defined: an insertion near the start changes only the first chunks")
    func fastCDCInsertion() {
        var random = Random(seed: 2016)
        let original = random.bytes(8 << 20)
        var edited = original
        edited.insert(contentsOf: [0xDE, 0xAD, 0xBE, 0xEF, 0x42], at: 1_000)

        var chunker = FastCDCChunker.default64KiB
        let before = Self.chunkAll(&chunker, original, pushSize: 1 << 20).map { Blake2b.hash256($0) }
        let after = Self.chunkAll(&chunker, edited, pushSize: 1 << 20).map { Blake2b.hash256($0) }
        let beforeSet = Set(before)
        let changed = after.enumerated().filter { !beforeSet.contains($0.element) }.map(\.offset)
        #expect(before.count > 60)
        #expect(changed.count <= 2)
        #expect(changed.allSatisfy { $0 < 2 })
        #expect(Array(after.dropFirst(2)) == Array(before.dropFirst(before.count - after.count + 2)))
    }
}

extension ChunkerTests {
    /// Chunk lengths of the pinned 4 MiB input under ``FastCDCChunker/default64KiB``.
    static let pinnedDefaultLengths: [Int] = [
        150819, 96313, 92472, 79897, 124497, 111568, 82612, 27731,
        89059, 69002, 54853, 48365, 48350, 38100, 73994, 173088,
        92210, 36616, 52306, 19391, 70769, 91170, 91770, 105403,
        151873, 68756, 84030, 73977, 67404, 111943, 128110, 98534,
        113752, 17506, 79252, 90469, 61635, 91761, 88047, 73635,
        27610, 89189, 69386, 209383, 88467, 191385, 148571, 49274,
    ]

    /// FastCDC restated from its doc comment, one byte at a time: Gear table from SplitMix64
    /// at `gearSeed`, hash restarted 64 bytes before the minimum, strict mask below the
    /// average, loose mask from there, forced cut at the maximum.
    static func referenceLengths(_ stream: [UInt8], minSize: Int, averageSize: Int, maxSize: Int,
                                 level: Int) -> [Int] {
        var generator = Random(seed: FastCDCChunker.gearSeed)
        let gear = (0..<256).map { _ in generator.next() }
        var bits = 0
        while (1 << (bits + 1)) - averageSize <= averageSize - (1 << bits) { bits += 1 }
        let strict = ~UInt64(0) << UInt64(64 - bits - level)
        let loose = ~UInt64(0) << UInt64(64 - bits + level)

        var lengths: [Int] = []
        var start = 0
        while start < stream.count {
            var hash: UInt64 = 0
            var length = min(maxSize, stream.count - start)
            for offset in 0..<length {
                if offset + 1 == maxSize { break }
                guard offset >= minSize - 64 else { continue }
                hash = (hash << 1) &+ gear[Int(stream[start + offset])]
                guard offset + 1 >= minSize else { continue }
                if hash & (offset + 1 < averageSize ? strict : loose) == 0 {
                    length = offset + 1
                    break
                }
            }
            lengths.append(length)
            start += length
        }
        return lengths
    }

    /// Feeds `stream` in `pushSize` pieces and collects every chunk, including the final one.
    static func chunkAll(_ chunker: inout some Chunker, _ stream: [UInt8], pushSize: Int) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + pushSize)
            chunks += chunker.push(Array(stream[offset..<end]))
            offset = end
        }
        if let last = chunker.finish() { chunks.append(last) }
        return chunks
    }

    /// Like ``chunkAll(_:_:pushSize:)`` with random push sizes, including empty and one-byte pushes.
    static func chunkAll(_ chunker: inout some Chunker, _ stream: [UInt8], pushSizes random: inout Random) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let size: Int
            switch random.next() % 4 {
            case 0: size = Int(random.next() % 2)
            case 1: size = Int(random.next() % 300)
            default: size = Int(random.next() % 300_000)
            }
            let end = min(stream.count, offset + size)
            chunks += chunker.push(Array(stream[offset..<end]))
            offset = end
        }
        if let last = chunker.finish() { chunks.append(last) }
        return chunks
    }

    /// Deterministic SplitMix64 test input, so failures reproduce.
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func bytes(_ count: Int) -> [UInt8] {
            var result = [UInt8](repeating: 0, count: count)
            result.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < count {
                    var word = next().littleEndian
                    let take = min(8, count - offset)
                    withUnsafeBytes(of: &word) { wordBytes in
                        for index in 0..<take { buffer[offset + index] = wordBytes[index] }
                    }
                    offset += take
                }
            }
            return result
        }
    }
}
