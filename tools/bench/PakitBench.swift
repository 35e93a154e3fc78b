import ArgumentParser

/// `pakit-bench`: performance figures, each printed beside its physical limit or peer measured
/// in the same run and the project's target. Run in release: `swift run -c release pakit-bench storage`.
@main
struct PakitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pakit-bench", abstract: "Pakit benchmarks (release build).", subcommands: [StorageBench.self, ZKBench.self, MeshBench.self, MeshSimulationBench.self, ClusterBench.self, ChainBench.self, LoRaBench.self])
}
