import PakitContracts
import PakitCore
import PakitZK

/// A validated `ProofRequest`: which blocks, which chunks, which circuit. The chunk indices
/// come from the shared derivation (`StorageChallenge`), so anyone can recompute them.
struct ProofChallenge: Sendable {
    let beacon: [UInt8]
    let blocks: [UInt64]
    let chunkIndices: [UInt64]
    let circuit: StorageCircuit

    /// Validates `request` against a sealed commitment (`root`, `chunkCount`) and the node's
    /// batch size; every refusal is a 400 naming the field.
    init(_ request: ProofRequest, root: Fr, chunkCount: Int, batchSize: Int) throws(StorageError) {
        guard let beacon = Hex.decode(request.beacon) else {
            throw .invalidParameter("beacon must be hex (an even number of 0-9a-f digits, optionally 0x-prefixed)")
        }
        guard StorageChallenge.beaconLengths.contains(beacon.count) else {
            throw .invalidParameter("beacon must be \(StorageChallenge.beaconLengths.lowerBound)…\(StorageChallenge.beaconLengths.upperBound) bytes, got \(beacon.count)")
        }
        let allowed = Set([1, batchSize])
        let allowedText = batchSize == 1 ? "1" : "1 or \(batchSize)"
        let blockCount = StorageChallenge.blockCount(chunkCount: chunkCount)
        let blocks: [UInt64]
        let indices: [UInt64]
        do {
            switch (request.blocks, request.count) {
            case (nil, nil), (.some, .some):
                throw StorageError.invalidParameter("give either blocks or count")
            case (nil, .some(let count)):
                guard allowed.contains(count) else {
                    throw StorageError.invalidParameter("count must be \(allowedText) (this node's batch size is \(batchSize)), got \(count)")
                }
                blocks = try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: chunkCount, count: count)
                indices = try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: chunkCount, count: count)
            case (.some(let requested), nil):
                guard allowed.contains(requested.count) else {
                    throw StorageError.invalidParameter("blocks must name \(allowedText) blocks (this node's batch size is \(batchSize)), got \(requested.count)")
                }
                if let outside = requested.first(where: { $0 >= UInt64(blockCount) }) {
                    throw StorageError.invalidParameter("block \(outside) is out of range: the content has \(blockCount) block\(blockCount == 1 ? "" : "s") (0…\(blockCount - 1))")
                }
                // The n-th occurrence of a block uses counter n, as in StorageChallenge.chunkIndices.
                var occurrences: [UInt64: UInt32] = [:]
                var derived: [UInt64] = []
                for block in requested {
                    let counter = occurrences[block, default: 0]
                    occurrences[block] = counter + 1
                    derived.append(try StorageChallenge.chunkIndex(beacon: beacon, root: root, chunkCount: chunkCount, block: block, counter: counter))
                }
                blocks = requested
                indices = derived
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw .invalidParameter("challenge: \(error)")
        }
        self.beacon = beacon
        self.blocks = blocks
        self.chunkIndices = indices
        self.circuit = StorageCircuit(challenges: indices.count)
    }
}

