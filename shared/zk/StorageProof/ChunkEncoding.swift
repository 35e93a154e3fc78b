/// Bytes → field elements for storage proofs (zk.md §4).
///
/// A chunk is 496 bytes = 16 elements; element j is bytes [31·j, 31·j + 31) read as a
/// little-endian integer. 31 bytes are < 2²⁴⁸ < r, so the map is injective without any
/// reduction and the circuit never has to range-check data. A chunk shorter than 496 bytes
/// (only the last one of some content) is zero-padded to 496 bytes; the content length is
/// therefore not bound by the elements themselves (see `CommitmentTree.byteCount`).
public enum ChunkEncoding {
    /// The 16 elements of one chunk of at most 496 bytes (zero-padded when shorter).
    public static func elements(ofChunk bytes: some Collection<UInt8>) throws(StorageProofError) -> [Fr] {
        let length = bytes.count
        guard length <= StorageProofParameters.chunkByteCount else { throw .chunkTooLong(byteCount: length) }
        var result = [Fr](repeating: .zero, count: StorageProofParameters.elementsPerChunk)
        // The pointer is used only inside the closure that lends it.
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            result.withUnsafeMutableBufferPointer { encode(chunk: UnsafeRawBufferPointer(buffer), into: $0) }
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { raw in
                result.withUnsafeMutableBufferPointer { encode(chunk: raw, into: $0) }
            }
        }
        return result
    }

    /// All chunks of `bytes` in order, each as its 16 elements; empty input gives no chunks.
    public static func chunks(of bytes: [UInt8]) -> [[Fr]] {
        let size = StorageProofParameters.chunkByteCount
        return stride(from: 0, to: bytes.count, by: size).map { start in
            var elements = [Fr](repeating: .zero, count: StorageProofParameters.elementsPerChunk)
            bytes.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[start..<min(start + size, bytes.count)])
                elements.withUnsafeMutableBufferPointer { encode(chunk: chunk, into: $0) }
            }
            return elements
        }
    }

    /// Number of chunks that `byteCount` bytes occupy: ⌈byteCount / 496⌉.
    public static func chunkCount(forByteCount byteCount: Int) -> Int {
        (byteCount + StorageProofParameters.chunkByteCount - 1) / StorageProofParameters.chunkByteCount
    }

    /// The element for up to 31 bytes read little-endian (missing high bytes are zero).
    public static func element(littleEndian bytes: some Collection<UInt8>) -> Fr? {
        guard bytes.count <= StorageProofParameters.bytesPerElement else { return nil }
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (offset, byte) in bytes.enumerated() {
            let shifted = UInt64(byte) << UInt64(8 * (offset & 7))
            switch offset >> 3 {
            case 0: limbs.0 |= shifted
            case 1: limbs.1 |= shifted
            case 2: limbs.2 |= shifted
            default: limbs.3 |= shifted
            }
        }
        return Fr(reducedStandard: UInt256(limbs.0, limbs.1, limbs.2, limbs.3))
    }

    // MARK: Hot path

    /// Writes the 16 elements of `chunk` (≤ 496 bytes, zero-padded) into `output[0..<16]`.
    /// Used by tree sealing: no allocation, one Montgomery conversion per element.
    static func encode(chunk: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Fr>) {
        let width = StorageProofParameters.bytesPerElement
        if chunk.count == StorageProofParameters.chunkByteCount {
            for j in 0..<StorageProofParameters.elementsPerChunk {
                output[j] = fullElement(chunk, at: j * width)
            }
            return
        }
        for j in 0..<StorageProofParameters.elementsPerChunk {
            let start = j * width
            if start >= chunk.count {
                output[j] = .zero
            } else if start + width <= chunk.count {
                output[j] = fullElement(chunk, at: start)
            } else {
                var padded: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                withUnsafeMutableBytes(of: &padded) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[start...]))
                }
                output[j] = Fr(reducedStandard: UInt256(
                    UInt64(littleEndian: padded.0), UInt64(littleEndian: padded.1),
                    UInt64(littleEndian: padded.2), UInt64(littleEndian: padded.3)
                ))
            }
        }
    }

    /// The element for the 31 bytes at `offset` (which must all be inside `bytes`).
    @inline(__always)
    static func fullElement(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Fr {
        let l0 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let l1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        let l2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
        // Bytes 24…30: load 8 bytes ending at byte 30 and drop the one that precedes them.
        let tail = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 23, as: UInt64.self))
        return Fr(reducedStandard: UInt256(l0, l1, l2, tail >> 8))
    }
}
