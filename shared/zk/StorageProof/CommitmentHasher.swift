/// Native Poseidon for the commitment tree: Poseidon(16) leaves and Poseidon(4) nodes through
/// `PoseidonKernel`, looked up once. The public `Poseidon.hash` takes a lock and allocates per
/// call, which would dominate a tree of a million leaves.
///
/// The results equal `Poseidon.hash` exactly; tests check that.
struct CommitmentHasher: Sendable {
    /// Width 17 (16 inputs): leaves.
    let leafKernel: PoseidonKernel
    /// Width 5 (4 inputs): internal nodes.
    let nodeKernel: PoseidonKernel

    /// The process-wide hasher.
    static let shared = CommitmentHasher()

    private init() {
        // Both widths are supported by the cache and the kernel; failing here is a build defect,
        // not something a request can cause.
        guard let leaf = PoseidonParameterCache.instance(width: StorageProofParameters.elementsPerChunk + 1)?.schedule,
              let node = PoseidonParameterCache.instance(width: StorageProofParameters.treeArity + 1)?.schedule,
              let leafKernel = PoseidonKernel(leaf), let nodeKernel = PoseidonKernel(node)
        else { preconditionFailure("Poseidon schedules for widths 17 and 5 are available") }
        self.leafKernel = leafKernel
        self.nodeKernel = nodeKernel
    }

    /// Reusable permutation state and scratch (2 × 17 elements), one per hashing loop.
    struct Scratch {
        var buffer = [Fr](repeating: .zero, count: 2 * (StorageProofParameters.elementsPerChunk + 1))
        init() {}
    }

    /// Poseidon(16) of a chunk's elements (chunk ≤ 496 bytes, zero-padded).
    @inline(__always)
    func leaf(chunk: UnsafeRawBufferPointer, scratch: inout Scratch) -> Fr {
        let kernel = leafKernel
        return scratch.buffer.withUnsafeMutableBufferPointer { buffer in
            guard let state = buffer.baseAddress else { return .zero }
            state[0] = .zero
            ChunkEncoding.encode(chunk: chunk, into: UnsafeMutableBufferPointer(start: state + 1, count: 16))
            kernel.permute(state)
            return state[0]
        }
    }

    /// Poseidon(16) of 16 given elements.
    func leaf(elements: [Fr]) -> Fr {
        var scratch = Scratch()
        let kernel = leafKernel
        return scratch.buffer.withUnsafeMutableBufferPointer { buffer in
            guard let state = buffer.baseAddress else { return .zero }
            state[0] = .zero
            for (offset, element) in elements.prefix(16).enumerated() { state[1 + offset] = element }
            kernel.permute(state)
            return state[0]
        }
    }

    /// Poseidon(4) of four children.
    @inline(__always)
    func node(_ a: Fr, _ b: Fr, _ c: Fr, _ d: Fr, scratch: inout Scratch) -> Fr {
        let kernel = nodeKernel
        return scratch.buffer.withUnsafeMutableBufferPointer { buffer in
            guard let state = buffer.baseAddress else { return .zero }
            state[0] = .zero; state[1] = a; state[2] = b; state[3] = c; state[4] = d
            kernel.permute(state)
            return state[0]
        }
    }

    /// Poseidon(4) of four children given as an array (exactly four).
    func node(_ children: [Fr]) -> Fr {
        var scratch = Scratch()
        return node(children[0], children[1], children[2], children[3], scratch: &scratch)
    }
}
