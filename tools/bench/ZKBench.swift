import ArgumentParser
import Foundation
import PakitCore
import PakitFiles
import PakitZK

/// `pakit-bench zk`: the zero-knowledge figures of issue 3, each beside a peer measured in the
/// same run where one is installed (native mcl through PyPI `mclbn256`, arkworks through PyPI
/// `groth16py` proving the very same `.r1cs`/`.wtns` files) or beside the target.
struct ZKBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zk", abstract: "Zero-knowledge proof benchmark.")

    @Option(help: "Comma-separated sections: primitives,seal,single,batch.") var sections = "primitives,seal,single,batch"
    @Option(help: "Challenges in the batch circuit.") var batchSize = StorageProofParameters.defaultBatchSize
    @Option(name: .customLong("seal-mib"), help: "Content sealed for the throughput figure, MiB.") var sealMiB = 16
    @Option(name: .customLong("repeat"), help: "Repetitions of each timed proof.") var repetitions = 5
    @Flag(help: "Do not run the Python peers (mcl, groth16py).") var skipPeers = false
    @Flag(help: "Also run groth16py (arkworks) on the batch circuit: its setup alone takes minutes.") var batchPeer = false

    func enabled(_ name: String) -> Bool { sections.split(separator: ",").contains { $0 == name } }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench zk` for meaningful numbers")
        #endif
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; times are wall clock (CPU in parentheses)")
        say("peers marked \"same run\" are measured now on this machine; figures marked \"reference\" are quoted from their source, not measured here")
        let work = NSTemporaryDirectory() + "/pakit-bench-zk-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let mcl = skipPeers || !enabled("primitives") ? nil : Peer.run(["tests/compat/mcl_peer.py", "--msm-sizes", "4096,65536", "--repeat", "3"])
        if enabled("primitives") { try await primitives(mcl: mcl) }
        if enabled("seal") { try await seal() }
        if enabled("single") { try await single(work: work) }
        if enabled("batch") { try await batch(work: work) }
    }

    // MARK: Primitives

    func primitives(mcl: [String: Any]?) async throws {
        Report.header("field and group primitives")
        var generator = SystemRandomNumberGenerator()
        let chain = 5_000_000
        var fq = Fq.random(using: &generator)
        let fqFactor = Fq.random(using: &generator)
        let fqTime = Measure.time { for _ in 0..<chain { fq *= fqFactor } }
        var fr = Fr.random(using: &generator)
        let frFactor = Fr.random(using: &generator)
        let frTime = Measure.time { for _ in 0..<chain { fr *= frFactor } }
        // Printing the results keeps the loops from being optimised away.
        let sink = fq.isZero || fr.isZero ? " " : ""
        Report.line("Fq multiplication", String(format: "%.1f ns%@", fqTime.wall / Double(chain) * 1e9, sink),
                    reference: Peer.figure(mcl, "fr_mul_ns", "ns", label: "mcl Fr mul+add in C, same run"), target: "≤ 20 ns", met: fqTime.wall / Double(chain) * 1e9 <= 20)
        Report.line("Fr multiplication", String(format: "%.1f ns", frTime.wall / Double(chain) * 1e9),
                    reference: Peer.figure(mcl, "fr_mul_ns", "ns", label: "mcl Fr mul+add in C, same run"), target: "≤ 20 ns", met: frTime.wall / Double(chain) * 1e9 <= 20)

        let g1Table = FixedBaseTable(base: G1Affine.generator)
        let g2Table = FixedBaseTable(base: G2Affine.generator)
        for logSize in [12, 16] {
            let scalars = (0..<(1 << logSize)).map { _ in Fr.random(using: &generator) }
            let points = await g1Table.multiplyAll(scalars.shuffled())
            let time = try Measure.median(3) { _ = try MSM.multiScalarMultiply(points, scalars) }
            Report.line("G1 MSM 2^\(logSize)", time.text, reference: Peer.figure(mcl, "g1_msm_ms.\(1 << logSize)", "ms", label: "mcl, same run"))
        }
        do {
            let scalars = (0..<4096).map { _ in Fr.random(using: &generator) }
            let points = await g2Table.multiplyAll(scalars.shuffled())
            let time = try Measure.median(3) { _ = try MSM.multiScalarMultiply(points, scalars) }
            Report.line("G2 MSM 2^12", time.text, reference: Peer.figure(mcl, "g2_msm_ms.4096", "ms", label: "mcl, same run"))
        }
        for logSize in [12, 16] {
            guard let domain = EvaluationDomain(size: 1 << logSize) else { continue }
            var values = (0..<domain.size).map { _ in Fr.random(using: &generator) }
            let time = Measure.median(5) { domain.fft(&values) }
            Report.line("FFT 2^\(logSize)", time.text,
                        reference: "reference, not this run: C -O3 radix-2 NTT \(logSize == 12 ? "0.88" : "18.8") ms, ../shared/reference/zk.md §7.3")
        }
        let p = (g1Table.multiply(Fr.random(using: &generator))).toAffine()
        let q = (g2Table.multiply(Fr.random(using: &generator))).toAffine()
        let pairing = Measure.median(5) { _ = BN254Pairing.pairing(p, q) }
        Report.line("pairing", pairing.text, reference: Peer.figure(mcl, "pairing_ms", "ms", label: "mcl, same run"))
        let pairs = Array(repeating: (p, q), count: 4)
        let multi = Measure.median(5) { _ = BN254Pairing.multiPairing(pairs) }
        Report.line("4-pair multi-pairing", multi.text, reference: Peer.figure(mcl, "miller_final_4_ms", "ms", label: "mcl, same run"))
    }

    // MARK: Sealing

    func seal() async throws {
        Report.header("sealing (Poseidon(16) leaves, 4-ary Poseidon(4) tree)")
        let content = randomBytes(sealMiB << 20, seed: 7)
        let single = try Measure.time { _ = try CommitmentTree(content: content) }
        Report.line("seal, one core", String(format: "%.2f MB/s", Double(content.count) / 1e6 / single.wall) + " (\(sealMiB) MiB)",
                    reference: "Poseidon(16) per 496 B chunk")
        let start = Measure.now()
        _ = try await CommitmentTree.sealConcurrently(content: content, taskCount: 2)
        let both = Measure.now() - start
        Report.line("seal, two tasks", String(format: "%.2f MB/s", Double(content.count) / 1e6 / both.wall))
    }

    // MARK: Single-block proof

    func single(work: String) async throws {
        Report.header("single-block storage proof (public R, i)")
        let circuit = SingleChunkCircuit()
        let content = randomBytes(64 * 496 * 3, seed: 11)
        let tree = try CommitmentTree(content: content)
        let index: UInt64 = 77
        let chunk = content[Int(index) * 496..<Int(index + 1) * 496]
        let witness = SingleChunkWitness(root: tree.root, opening: try tree.opening(ofChunk: index, bytes: chunk))
        let system = try circuit.synthesize(witness)
        Report.line("constraints", "\(system.constraintCount) (domain \(R1CSShape(system).domainSize))", target: "≤ 4,093", met: system.constraintCount <= 4093)
        try await prove(circuit: "storage-single", system: system, setup: circuit.synthesizeForSetup(), work: work,
                        target: 200, runPeer: !skipPeers)
    }

    // MARK: Batch proof

    func batch(work: String) async throws {
        Report.header("batch proof: \(batchSize) challenges under one root")
        let circuit = try BatchChunkCircuit(count: batchSize)
        let chunkCount = 64 * (batchSize + 1)
        let content = randomBytes(chunkCount * 496, seed: 13)
        let tree = try CommitmentTree(content: content)
        let indices = try StorageChallenge.chunkIndices(
            beacon: Array("bench".utf8), root: tree.root, chunkCount: chunkCount, count: batchSize)
        let openings = try indices.map { index throws(StorageProofError) in
            try tree.opening(ofChunk: index, bytes: content[Int(index) * 496..<Int(index + 1) * 496])
        }
        let synthesis = try Measure.time { _ = try circuit.synthesize(BatchChunkWitness(root: tree.root, openings: openings)) }
        let system = try circuit.synthesize(BatchChunkWitness(root: tree.root, openings: openings))
        Report.line("constraints", "\(system.constraintCount) (domain \(R1CSShape(system).domainSize)); witness synthesis \(synthesis.text)")
        try await prove(circuit: "storage-batch-\(batchSize)", system: system, setup: circuit.synthesizeForSetup(),
                        work: work, target: nil, runPeer: !skipPeers && batchPeer, repetitions: 1)
    }

    /// Setup, proving-key size, prove (median), verify (median), proof sizes, arkworks ratio.
    func prove(
        circuit: String, system: ConstraintSystem, setup: ConstraintSystem, work: String,
        target: Double?, runPeer: Bool, repetitions: Int? = nil
    ) async throws {
        let setupStart = Measure.now()
        let key = try await Groth16.developmentSetup(for: setup, seed: "bench/\(circuit)")
        Report.line("development setup", (Measure.now() - setupStart).text)
        let keyBytes = key.serialized()
        Report.line("proving key", String(format: "%.1f MB", Double(keyBytes.count) / 1e6))
        let loadPath = "\(work)/\(circuit).pk"
        try AtomicFile.write(key.serialized(), to: loadPath)
        let load = try Measure.time { _ = try Groth16ProvingKey(contentsOf: loadPath) }
        Report.line("proving key load", load.text)

        var proof: Groth16Proof?
        var samples: [Measure.Sample] = []
        for _ in 0..<(repetitions ?? self.repetitions) {
            let start = Measure.now()
            proof = try await Groth16.prove(key, system)
            samples.append(Measure.now() - start)
        }
        guard let proof else { return }
        let prepared = try Groth16PreparedVerifyingKey(key.verifyingKey)
        let verify = try Measure.median(10) {
            guard try Groth16.verify(proof, publicInputs: system.publicValues, key: prepared) else { throw BenchError("proof did not verify") }
        }

        var peer: [String: Any]?
        if runPeer {
            let r1cs = "\(work)/\(circuit).r1cs", wtns = "\(work)/\(circuit).wtns"
            try AtomicFile.write(R1CSFile(system).serialized(), to: r1cs)
            try AtomicFile.write(WitnessFile(system).serialized(), to: wtns)
            peer = Peer.run(["tests/compat/groth16py_run.py", "--r1cs", r1cs, "--wtns", wtns, "--repeat", "\(repetitions ?? self.repetitions)"])
        }
        // Wall and CPU medians are taken separately, on both sides.
        let wall = Spread(samples.map { $0.wall * 1000 })
        let cpu = Spread(samples.map { $0.cpu * 1000 })
        Report.line("prove", "wall " + wall.text("%.1f", "ms") + "; CPU " + cpu.text("%.1f", "ms"),
                    target: target.map { "< \(Int($0)) ms" }, met: target.map { wall.median < $0 })
        if let peer, let peerWall = Peer.numbers(peer, "prove_ms").map(Spread.init), let peerCPU = Peer.numbers(peer, "prove_cpu_ms").map(Spread.init) {
            if let setupWall = Peer.number(peer, "setup_ms"), let setupCPU = Peer.number(peer, "setup_cpu_ms") {
                Report.line("  arkworks (groth16py) setup, same run", String(format: "%.0f ms (%.0f CPU)", setupWall, setupCPU))
            }
            Report.line("  arkworks (groth16py) prove, same run, same .r1cs/.wtns",
                        "wall " + peerWall.text("%.1f", "ms") + "; CPU " + peerCPU.text("%.1f", "ms"))
            let wallRatio = wall.median / peerWall.median
            let cpuRatio = cpu.median / peerCPU.median
            Report.line("  Swift / arkworks prove time",
                        String(format: "%.2f× wall-for-wall, %.2f× CPU-for-CPU", wallRatio, cpuRatio),
                        reference: "ratios of medians; below 1: Swift takes less", target: "faster than arkworks (wall)", met: wallRatio < 1)
        } else if runPeer {
            Report.line("  arkworks (groth16py)", "not measured (see above)")
        } else {
            Report.line("  arkworks (groth16py)", skipPeers ? "not run (--skip-peers)" : "not run (--batch-peer runs it on the batch circuit)")
        }
        Report.line("verify", verify.text, target: "< 5 ms", met: verify.wall * 1000 < 5)
        Report.line("proof size", "\(proof.eip197Bytes.count) B (EIP-197), \(proof.compressedBytes.count) B compressed", target: "≤ 1 KB", met: proof.eip197Bytes.count <= 1024)
    }
}

/// Wall and CPU time of a piece of work.
enum Measure {
    struct Sample {
        var wall: Double
        var cpu: Double

        static func - (lhs: Sample, rhs: Sample) -> Sample { Sample(wall: lhs.wall - rhs.wall, cpu: lhs.cpu - rhs.cpu) }

        var text: String {
            wall < 1 ? String(format: "%.2f ms (%.2f CPU)", wall * 1000, cpu * 1000) : String(format: "%.2f s (%.2f CPU)", wall, cpu)
        }

        static func median(_ samples: [Sample]) -> Sample {
            let sorted = samples.sorted { $0.wall < $1.wall }
            return sorted.isEmpty ? Sample(wall: .nan, cpu: .nan) : sorted[sorted.count / 2]
        }
    }

    static func now() -> Sample {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        return Sample(wall: Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9, cpu: cpu)
    }

    static func time(_ work: () throws -> Void) rethrows -> Sample {
        let start = now()
        try work()
        return now() - start
    }

    static func median(_ count: Int, _ work: () throws -> Void) rethrows -> Sample {
        var samples: [Sample] = []
        for _ in 0..<count { samples.append(try time(work)) }
        return Sample.median(samples)
    }
}

/// Python peers from tests/compat (installed by tests/compat/install.sh): one JSON line each.
enum Peer {
    static func run(_ arguments: [String]) -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: arguments[0]) else {
            say("  (peer \(arguments[0]) not found: run from the repository root)")
            return nil
        }
        do {
            let output = try runCommand(["python3"] + arguments)
            guard let line = output.split(separator: "\n").last,
                  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return nil }
            return object
        } catch {
            say("  (peer \(arguments[0]) unavailable: \(String(describing: error).prefix(200)))")
            return nil
        }
    }

    /// A number of a peer's JSON object, or nil.
    static func number(_ object: [String: Any], _ key: String) -> Double? {
        (object[key] as? NSNumber)?.doubleValue
    }

    /// An array of numbers of a peer's JSON object, or nil when absent, empty or not all numbers.
    static func numbers(_ object: [String: Any], _ key: String) -> [Double]? {
        guard let array = object[key] as? [Any], !array.isEmpty else { return nil }
        let numbers = array.compactMap { ($0 as? NSNumber)?.doubleValue }
        return numbers.count == array.count ? numbers : nil
    }

    /// "label 1.23 unit" for a key (dots descend into nested objects), or nil.
    static func figure(_ object: [String: Any]?, _ key: String, _ unit: String, label: String) -> String? {
        var value: Any? = object
        for part in key.split(separator: ".") { value = (value as? [String: Any])?[String(part)] }
        guard let number = value as? Double ?? (value as? Int).map(Double.init) else { return nil }
        return String(format: "\(label) %.2f \(unit)", number)
    }
}

/// Deterministic filler content.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    random.fill(&bytes)
    return bytes
}
