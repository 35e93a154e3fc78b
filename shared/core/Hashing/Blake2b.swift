/// BLAKE2b as specified by RFC 7693: unkeyed, with any digest length from 1 to 64 bytes.
///
/// Use the one-shot ``hash(_:outputLength:)`` / ``hash256(_:)`` for whole buffers, or feed data
/// incrementally with ``update(_:)`` and read the digest with ``finalize()``. `hash256` is the
/// 32-byte digest Substrate calls `blake2_256`.
///
/// The type is a small value (no heap storage): copying a hasher forks the computation, so
/// ``finalize()`` does not consume it and more data may be added afterwards.
public struct Blake2b: Sendable {
    /// Bytes per compression block.
    public static let blockSize = 128
    /// The largest digest length BLAKE2b can produce, in bytes.
    public static let maximumOutputLength = 64

    /// Digest length in bytes, 1...64.
    public let outputLength: Int

    private var chain: ChainValue
    /// Holds the newest 0...128 input bytes; a full block stays here until more input arrives,
    /// because the final block must be compressed with the finalization flag set.
    private var pending: BlockStorage
    private var pendingCount: Int
    /// Bytes already compressed (the RFC's counter `t`, which is 128 bits wide).
    private var compressedCount: UInt128

    /// Creates a hasher producing `outputLength`-byte digests.
    ///
    /// - Precondition: `outputLength` is in `1...64` (a programmer error otherwise).
    public init(outputLength: Int = Blake2b.maximumOutputLength) {
        precondition((1...Self.maximumOutputLength).contains(outputLength),
                     "BLAKE2b output length must be 1...64, got \(outputLength)")
        self.outputLength = outputLength
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1 (RFC 7693 §2.5).
        chain = ChainValue.initial(parameterWord: 0x0101_0000 ^ UInt64(outputLength))
        pending = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        pendingCount = 0
        compressedCount = 0
    }

    /// Hashes `bytes` in one call.
    ///
    /// - Precondition: `outputLength` is in `1...64`.
    public static func hash(_ bytes: some Collection<UInt8>, outputLength: Int = maximumOutputLength) -> [UInt8] {
        var hasher = Blake2b(outputLength: outputLength)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// BLAKE2b with a 32-byte digest: Substrate's `blake2_256`.
    public static func hash256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        hash(bytes, outputLength: 32)
    }

    /// BLAKE2b-256 of `first ‖ second` without building the concatenation.
    static func hash256(_ first: [UInt8], _ second: [UInt8]) -> [UInt8] {
        var hasher = Blake2b(outputLength: 32)
        hasher.update(first)
        hasher.update(second)
        return hasher.finalize()
    }

    /// Absorbs the next bytes of the message.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let absorbed: Void? = bytes.withContiguousStorageIfAvailable { absorb(UnsafeRawBufferPointer($0)) }
        if absorbed == nil {
            Array(bytes).withUnsafeBytes { absorb($0) }
        }
    }

    /// The digest of everything absorbed so far. The hasher itself is left unchanged.
    public func finalize() -> [UInt8] {
        var chain = self.chain
        var lastBlock = pending
        let counter = compressedCount &+ UInt128(pendingCount)
        withUnsafeMutableBytes(of: &lastBlock) { block in
            // The final block is zero-padded; the counter covers only real message bytes.
            for index in pendingCount..<Self.blockSize {
                block[index] = 0
            }
            if let base = block.baseAddress {
                Self.compress(&chain, block: UnsafeRawPointer(base), counter: counter, isFinal: true)
            }
        }
        return chain.littleEndianBytes(count: outputLength)
    }

    private mutating func absorb(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var offset = 0
        let total = input.count

        // Top up a partially filled block; compress it only if more input follows it.
        if pendingCount > 0 {
            let take = min(Self.blockSize - pendingCount, total)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress?.advanced(by: pendingCount).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            offset = take
            guard offset < total else { return }
            compressedCount &+= UInt128(Self.blockSize)
            let counter = compressedCount
            withUnsafeBytes(of: &pending) { block in
                if let blockBase = block.baseAddress {
                    Self.compress(&chain, block: blockBase, counter: counter, isFinal: false)
                }
            }
            pendingCount = 0
        }

        // Compress straight from the caller's memory, always keeping at least one byte back.
        while total - offset > Self.blockSize {
            compressedCount &+= UInt128(Self.blockSize)
            Self.compress(&chain, block: base + offset, counter: compressedCount, isFinal: false)
            offset += Self.blockSize
        }

        let rest = total - offset
        withUnsafeMutableBytes(of: &pending) { block in
            block.baseAddress?.copyMemory(from: base + offset, byteCount: rest)
        }
        pendingCount = rest
    }

    /// The compression function F (RFC 7693 §3.2) on one 128-byte block.
    private static func compress(_ chain: inout ChainValue, block: UnsafeRawPointer,
                                 counter: UInt128, isFinal: Bool) {
        @inline(__always) func word(_ index: Int) -> UInt64 {
            UInt64(littleEndian: block.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self))
        }
        let m0 = word(0), m1 = word(1), m2 = word(2), m3 = word(3)
        let m4 = word(4), m5 = word(5), m6 = word(6), m7 = word(7)
        let m8 = word(8), m9 = word(9), m10 = word(10), m11 = word(11)
        let m12 = word(12), m13 = word(13), m14 = word(14), m15 = word(15)

        var v = WorkingVector(
            chain: chain,
            counterLow: UInt64(truncatingIfNeeded: counter),
            counterHigh: UInt64(truncatingIfNeeded: counter >> 64),
            isFinal: isFinal)

        // Twelve rounds; each passes the message words in the order of SIGMA[round % 10].
        v.round(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15)
        v.round(m14, m10, m4, m8, m9, m15, m13, m6, m1, m12, m0, m2, m11, m7, m5, m3)
        v.round(m11, m8, m12, m0, m5, m2, m15, m13, m10, m14, m3, m6, m7, m1, m9, m4)
        v.round(m7, m9, m3, m1, m13, m12, m11, m14, m2, m6, m5, m10, m4, m0, m15, m8)
        v.round(m9, m0, m5, m7, m2, m4, m10, m15, m14, m1, m11, m12, m6, m8, m3, m13)
        v.round(m2, m12, m6, m10, m0, m11, m8, m3, m4, m13, m7, m5, m15, m14, m1, m9)
        v.round(m12, m5, m1, m15, m14, m13, m4, m10, m0, m7, m6, m3, m9, m2, m8, m11)
        v.round(m13, m11, m7, m14, m12, m1, m3, m9, m5, m0, m15, m4, m8, m6, m2, m10)
        v.round(m6, m15, m14, m9, m11, m3, m0, m8, m12, m2, m13, m7, m1, m4, m10, m5)
        v.round(m10, m2, m8, m4, m7, m6, m1, m5, m15, m11, m9, m14, m3, m12, m13, m0)
        v.round(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15)
        v.round(m14, m10, m4, m8, m9, m15, m13, m6, m1, m12, m0, m2, m11, m7, m5, m3)

        chain.h0 ^= v.v0 ^ v.v8
        chain.h1 ^= v.v1 ^ v.v9
        chain.h2 ^= v.v2 ^ v.v10
        chain.h3 ^= v.v3 ^ v.v11
        chain.h4 ^= v.v4 ^ v.v12
        chain.h5 ^= v.v5 ^ v.v13
        chain.h6 ^= v.v6 ^ v.v14
        chain.h7 ^= v.v7 ^ v.v15
    }
}

/// 128 bytes of inline storage for one block (a tuple, so the hasher needs no heap memory).
private typealias BlockStorage = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

/// The eight-word chaining value `h`, kept in named fields so it lives in registers.
private struct ChainValue: Sendable {
    var h0, h1, h2, h3, h4, h5, h6, h7: UInt64

    /// The BLAKE2b IV (the SHA-512 initial hash values, RFC 7693 §2.6).
    static let iv: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1,
        0x510E_527F_ADE6_82D1, 0x9B05_688C_2B3E_6C1F, 0x1F83_D9AB_FB41_BD6B, 0x5BE0_CD19_137E_2179)

    static func initial(parameterWord: UInt64) -> ChainValue {
        ChainValue(h0: iv.0 ^ parameterWord, h1: iv.1, h2: iv.2, h3: iv.3,
                   h4: iv.4, h5: iv.5, h6: iv.6, h7: iv.7)
    }

    /// The first `count` bytes of `h0 ‖ … ‖ h7`, each word little-endian.
    func littleEndianBytes(count: Int) -> [UInt8] {
        var words = (h0.littleEndian, h1.littleEndian, h2.littleEndian, h3.littleEndian,
                     h4.littleEndian, h5.littleEndian, h6.littleEndian, h7.littleEndian)
        return withUnsafeBytes(of: &words) { Array($0.prefix(count)) }
    }
}

/// The sixteen-word working vector `v` of the compression function.
private struct WorkingVector {
    var v0, v1, v2, v3, v4, v5, v6, v7: UInt64
    var v8, v9, v10, v11, v12, v13, v14, v15: UInt64

    @inline(__always)
    init(chain: ChainValue, counterLow: UInt64, counterHigh: UInt64, isFinal: Bool) {
        let iv = ChainValue.iv
        v0 = chain.h0; v1 = chain.h1; v2 = chain.h2; v3 = chain.h3
        v4 = chain.h4; v5 = chain.h5; v6 = chain.h6; v7 = chain.h7
        v8 = iv.0; v9 = iv.1; v10 = iv.2; v11 = iv.3
        v12 = iv.4 ^ counterLow
        v13 = iv.5 ^ counterHigh
        v14 = isFinal ? ~iv.6 : iv.6
        v15 = iv.7
    }

    /// One round: four column mixes, then four diagonal mixes (RFC 7693 §3.2).
    /// The message words arrive already permuted by SIGMA.
    @inline(__always)
    mutating func round(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64,
                        _ s4: UInt64, _ s5: UInt64, _ s6: UInt64, _ s7: UInt64,
                        _ s8: UInt64, _ s9: UInt64, _ s10: UInt64, _ s11: UInt64,
                        _ s12: UInt64, _ s13: UInt64, _ s14: UInt64, _ s15: UInt64) {
        Self.mix(&v0, &v4, &v8, &v12, s0, s1)
        Self.mix(&v1, &v5, &v9, &v13, s2, s3)
        Self.mix(&v2, &v6, &v10, &v14, s4, s5)
        Self.mix(&v3, &v7, &v11, &v15, s6, s7)
        Self.mix(&v0, &v5, &v10, &v15, s8, s9)
        Self.mix(&v1, &v6, &v11, &v12, s10, s11)
        Self.mix(&v2, &v7, &v8, &v13, s12, s13)
        Self.mix(&v3, &v4, &v9, &v14, s14, s15)
    }

    /// The mixing function G with rotation constants 32, 24, 16, 63 (RFC 7693 §3.1).
    @inline(__always)
    static func mix(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64,
                    _ x: UInt64, _ y: UInt64) {
        a = a &+ b &+ x
        d = rotateRight(d ^ a, 32)
        c = c &+ d
        b = rotateRight(b ^ c, 24)
        a = a &+ b &+ y
        d = rotateRight(d ^ a, 16)
        c = c &+ d
        b = rotateRight(b ^ c, 63)
    }

    @inline(__always)
    static func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &>> count) | (value &<< (64 &- count))
    }
}
