import AsyncHTTPClient
import PakitConcurrency
import PakitCore
import PakitJobs
import PakitZK

/// Sealing: the content goes to a prover, its tree comes back, is checked against the content
/// and kept durably before the commitment is marked done.
extension ProofJobWork {
    /// Runs a seal job to its end (done, or a `JobEnd`/error for `work` to record).
    func seal(_ job: ProofJobRow, context: JobContext) async throws {
        // Blocks this node lacks are fetched from the providers of the content.
        let reader = self.reader.fetching(under: job.cid)
        let node = try await reader.node(job.cid)
        guard let size = node.fileSize else {
            throw JobEnd.failed("\(job.cid) is not a file")
        }
        guard size > 0, size <= UInt64(StorageProofParameters.byteCapacity) else {
            throw JobEnd.failed("\(job.cid) has \(size) bytes; a commitment covers 1…\(StorageProofParameters.byteCapacity)")
        }
        let byteCount = Int(size)
        let maximumTree = Self.serializedTreeSize(byteCount: byteCount)
        let client = self.client
        let executors = self.executors
        let cid = job.cid
        let (tree, bytes) = try await withAttempts(job, context: context) { prover in
            let failure = FileContentStream.FailureBox()
            let body = HTTPClientRequest.Body.stream(FileContentStream(reader: reader, root: node, failure: failure),
                                                     length: .known(Int64(byteCount)))
            let answer: (tree: [UInt8], root: String?, chunkCount: Int?, byteCount: Int?)
            do {
                answer = try await client.seal(prover, body: body, byteCount: byteCount, maximumTreeBytes: maximumTree)
            } catch {
                if let unreadable = failure.error { throw JobEnd.failed("the content of \(cid) cannot be read: \(unreadable.serviceError.message)") }
                throw error
            }
            // Parsing recomputes every node (Poseidon): compute threads.
            let tree = try await executors.compute.run { () throws(ProverCallError) -> CommitmentTree in
                do {
                    return try CommitmentTree(serialized: answer.tree)
                } catch {
                    throw ProverCallError(kind: .badAnswer, message: "\(prover) returned an invalid commitment tree: \(error)")
                }
            }
            guard tree.byteCount == byteCount else {
                throw ProverCallError(kind: .badAnswer, message: "\(prover) sealed \(tree.byteCount) bytes, not \(byteCount)")
            }
            if let root = answer.root, root != tree.root.decimalString {
                throw ProverCallError(kind: .badAnswer, message: "\(prover)'s Pakit-Commitment-Root differs from its tree's root")
            }
            if let chunks = answer.chunkCount, chunks != tree.chunkCount {
                throw ProverCallError(kind: .badAnswer, message: "\(prover)'s Pakit-Chunk-Count differs from its tree")
            }
            try await Self.spotCheck(tree, node: node, size: size, reader: reader, executors: executors, prover: prover)
            return (tree, answer.tree)
        }
        let file = try await files.write(bytes, for: job.cid)
        guard try await store.finishSeal(context, cid: job.cid, root: tree.root.decimalString,
                                         chunkCount: tree.chunkCount, byteCount: tree.byteCount,
                                         treeFile: file.name, treeSHA256: file.sha256)
        else { throw JobEnd.claimLost }
        StorageMetrics.sealsDone.increment()
        logger.info("sealed", metadata: ["cid": "\(job.cid)", "chunks": "\(tree.chunkCount)", "root": "\(tree.root.decimalString)"])
    }

    /// Length of the serialized tree for `byteCount` bytes of content.
    static func serializedTreeSize(byteCount: Int) -> Int {
        var count = ChunkEncoding.chunkCount(forByteCount: byteCount)
        var nodes = count
        for _ in 0..<StorageProofParameters.treeDepth {
            count = (count + 3) / 4
            nodes += count
        }
        return 20 + 32 * nodes + 32
    }

    /// Checks a few leaves of a prover's tree against the stored content (first, last and
    /// random chunks): the tree is internally consistent by now, this binds it to our bytes.
    static func spotCheck(_ tree: CommitmentTree, node: DecodedNode, size: UInt64, reader: DAGReader, executors: ServiceExecutors,
                          prover: String) async throws {
        let chunks = UInt64(tree.chunkCount)
        var indices: Set<UInt64> = [0, chunks - 1]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 { indices.insert(UInt64.random(in: 0..<chunks, using: &generator)) }
        let width = UInt64(StorageProofParameters.chunkByteCount)
        for index in indices.sorted() {
            let bytes: [UInt8]
            do {
                bytes = try await reader.bytes(of: node, range: index * width..<min((index + 1) * width, size))
            } catch let error as StorageError {
                throw JobEnd.failed("the content cannot be read: \(error.serviceError.message)")
            }
            try await executors.compute.run { () throws(ProverCallError) in
                do {
                    _ = try tree.opening(ofChunk: index, bytes: bytes)
                } catch {
                    throw ProverCallError(kind: .badAnswer, message: "\(prover)'s tree does not commit to this content (chunk \(index): \(error))")
                }
            }
        }
    }
}
