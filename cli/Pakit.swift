import ArgumentParser

/// `pakit`: run a node and use it from the command line.
@main
struct Pakit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pakit",
        abstract: "Sovereign, content-addressed storage for BelizeChain.",
        subcommands: [Init.self, Up.self, Status.self, Add.self, Cat.self, Get.self, PinCommand.self, Stat.self, BlockCommand.self, CARCommand.self,
                      GC.self, Stats.self, TokenCommand.self, Share.self, Seal.self, Prove.self, Verify.self, Anchor.self, SiteCommand.self, LoRaCommand.self, Jobs.self, Peers.self, Providers.self])
}
