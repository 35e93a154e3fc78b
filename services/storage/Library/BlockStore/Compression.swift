import CZstd

/// zstd at rest, used only when it saves space: CIDs always hash the uncompressed bytes.
enum BlockCompression {
    /// Level 1: about the disk's sustained write speed on one core, so it costs CPU, not throughput.
    static let level: Int32 = 1

    /// The compressed form when it is at least 1/16 smaller, else nil (store plain).
    static func compressIfWorthwhile(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 512 else { return nil }
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in
                ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, level)
            }
        }
        guard ZSTD_isError(written) == 0, written < bytes.count - bytes.count / 16 else { return nil }
        output.removeSubrange(written...)
        return output
    }

    static func decompress(_ bytes: ArraySlice<UInt8>, expectedSize: Int? = nil) throws(BlockStoreError) -> [UInt8] {
        let size = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest values; our frames always record their size.
        guard size < UInt64.max - 1, size <= 64 << 20 else { throw BlockStoreError.corrupt("zstd frame without a valid content size") }
        var output = [UInt8](repeating: 0, count: Int(size))
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count) }
        }
        guard ZSTD_isError(written) == 0, written == Int(size) else { throw BlockStoreError.corrupt("zstd frame does not decompress") }
        return output
    }
}
