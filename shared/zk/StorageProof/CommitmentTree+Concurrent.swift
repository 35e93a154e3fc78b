/// Sealing on several cores: leaf hashing (≈ 95% of the work) is split into contiguous chunk
/// ranges, one child task each; the internal levels are then built on the calling task.
extension CommitmentTree {
    /// The same tree as `CommitmentTree(content:)`, with leaves hashed by `taskCount` tasks
    /// (default 2, the build machine's core count). Throws `emptyContent` or `contentTooLarge`.
    public static func sealConcurrently(
        content: [UInt8], taskCount: Int = 2
    ) async throws(StorageProofError) -> CommitmentTree {
        guard !content.isEmpty else { throw .emptyContent }
        guard content.count <= StorageProofParameters.byteCapacity else {
            throw .contentTooLarge(byteCount: UInt64(content.count))
        }
        return CommitmentTree(byteCount: content.count, leaves: await leaves(of: content, taskCount: taskCount))
    }

    /// The leaves of every chunk of `content` (the last may be short), hashed by up to
    /// `taskCount` child tasks over contiguous ranges and returned in chunk order.
    static func leaves(of content: [UInt8], taskCount: Int) async -> [Fr] {
        let chunkCount = ChunkEncoding.chunkCount(forByteCount: content.count)
        let tasks = max(1, min(taskCount, chunkCount))
        guard tasks > 1 else { return leaves(of: content, chunks: 0..<chunkCount) }
        let perTask = (chunkCount + tasks - 1) / tasks
        let parts = await withTaskGroup(of: (Int, [Fr]).self) { group in
            for task in 0..<tasks {
                let range = (task * perTask)..<min((task + 1) * perTask, chunkCount)
                guard !range.isEmpty else { continue }
                group.addTask { (task, leaves(of: content, chunks: range)) }
            }
            var parts = [[Fr]](repeating: [], count: tasks)
            for await (task, leaves) in group { parts[task] = leaves }
            return parts
        }
        return parts.flatMap { $0 }
    }

    /// Leaves of the chunks in `range` of `content`, on the calling task.
    static func leaves(of content: [UInt8], chunks range: Range<Int>) -> [Fr] {
        let hasher = CommitmentHasher.shared
        let size = StorageProofParameters.chunkByteCount
        var scratch = CommitmentHasher.Scratch()
        var leaves = [Fr]()
        leaves.reserveCapacity(range.count)
        content.withUnsafeBytes { raw in
            for chunk in range {
                let start = chunk * size
                let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<min(start + size, raw.count)])
                leaves.append(hasher.leaf(chunk: bytes, scratch: &scratch))
            }
        }
        return leaves
    }
}
