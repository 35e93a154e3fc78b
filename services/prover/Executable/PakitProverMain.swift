import PakitService
import ProverService

/// `pakit-prover`: Groth16 storage proofs for the node's storage service (see `ProverNode`).
@main
struct PakitProverMain {
    static func main() async { await ServiceMain.run(ProverNode.self) }
}
