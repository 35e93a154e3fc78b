import ArgumentParser
import Foundation
import PakitContracts
import PakitCore

/// `pakit seal CID [--no-wait]`.
struct Seal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seal a stored file: build its Poseidon commitment (write).")
    @OptionGroup var node: NodeOptions
    @Flag(help: "Queue the sealing and return at once.") var noWait = false
    @Argument(help: "CID of a stored file.") var cid: String

    func run() async throws {
        let commitment = try await NodeClient.with(node) { client in
            var commitment = try await client.json(CommitmentResponse.self, .POST, "/v1/commitments", json: CommitmentRequest(cid: cid))
            while !noWait && (commitment.status == .queued || commitment.status == .running) {
                try await Task.sleep(for: .milliseconds(250))
                commitment = try await client.json(CommitmentResponse.self, .GET, "/v1/commitments/\(cid)")
            }
            return commitment
        }
        switch commitment.status {
        case .done:
            print("sealed \(commitment.cid)")
            print("root: \(commitment.root ?? "")")
            print("chunks: \(commitment.chunkCount ?? 0) (\(commitment.blockCount ?? 0) blocks, \(commitment.byteCount ?? 0) bytes)")
        case .failed:
            throw CLIError("sealing \(commitment.cid) failed: \(commitment.error ?? "no reason given")")
        case .queued, .running:
            print("\(commitment.status.rawValue) \(commitment.cid)")
        }
    }
}

/// `pakit prove CID --beacon HEX (--count N | --block B…) [--no-wait] [--out DIR]`.
struct Prove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove that a sealed file is stored: challenged chunks, one Groth16 proof (write).")
    @OptionGroup var node: NodeOptions
    @Option(help: "Random beacon, hex (e.g. a chain block hash): it selects the challenged chunks.") var beacon: String
    @Option(help: "Challenges drawn from the beacon: 1, or the node's batch size.") var count: Int?
    @Option(name: .customLong("block"), parsing: .upToNextOption,
            help: "Explicit challenge blocks (64 chunks each): one, or the batch size (e.g. pakit prove CID --beacon HEX --block 3 0 3).")
    var blocks: [UInt64] = []
    @Flag(help: "Queue the proof and return at once.") var noWait = false
    @Option(help: "Write proof.json, public.json, proof.bin and verification_key.json into this directory.") var out: String?
    @Argument(help: "CID of a sealed file.") var cid: String

    func validate() throws {
        guard (count == nil) != blocks.isEmpty else { throw ValidationError("give either --count or --block") }
        if noWait && out != nil { throw ValidationError("--out needs the finished proof; drop --no-wait") }
    }

    func run() async throws {
        let request = ProofRequest(cid: cid, beacon: beacon, blocks: blocks.isEmpty ? nil : blocks, count: count)
        try await NodeClient.with(node) { client in
            var record = try await client.json(ProofRecord.self, .POST, "/v1/proofs", json: request)
            print("proof \(record.id) \(record.status.rawValue) (\(record.circuit), chunks \(record.chunkIndices.map(String.init).joined(separator: ",")))")
            if noWait { return }
            while record.status == .queued || record.status == .running {
                try await Task.sleep(for: .milliseconds(250))
                record = try await client.json(ProofRecord.self, .GET, "/v1/proofs/\(record.id)")
            }
            guard record.status == .done, let bundle = record.bundle else {
                throw CLIError("proof \(record.id) failed after \(record.attempts) attempts: \(record.error ?? "no reason given")")
            }
            print("proof \(record.id) done (\(record.attempts) attempt\(record.attempts == 1 ? "" : "s"))")
            print("proof (EIP-197): \(bundle.proofHex)")
            if let out {
                let key = try await client.json(VerifyingKeyResponse.self, .GET, "/v1/proofs/\(record.id)/verification-key")
                try ProofFiles.write(bundle, key: key.verifyingKey, to: out)
                print("wrote \(out)/proof.json, public.json, proof.bin, verification_key.json")
            }
        }
    }
}

/// The snarkjs-compatible files of a proof.
enum ProofFiles {
    static func write(_ bundle: ProofBundle, key: SnarkjsVerifyingKey, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(bundle.proof).write(to: URL(fileURLWithPath: "\(directory)/proof.json"))
        try encoder.encode(bundle.publicSignals).write(to: URL(fileURLWithPath: "\(directory)/public.json"))
        try encoder.encode(key).write(to: URL(fileURLWithPath: "\(directory)/verification_key.json"))
        guard let binary = Hex.decode(bundle.proofHex), binary.count == 256 else {
            throw CLIError("the node's proof is not 256 bytes of EIP-197 hex")
        }
        try Data(binary).write(to: URL(fileURLWithPath: "\(directory)/proof.bin"))
    }
}
