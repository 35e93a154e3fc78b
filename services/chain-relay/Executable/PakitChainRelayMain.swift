import ChainRelayService
import PakitService

/// `pakit-chain-relay`: signs and submits BelizeChain extrinsics from a durable outbox (see
/// `ChainRelayNode`).
@main
struct PakitChainRelayMain {
    static func main() async { await ServiceMain.run(ChainRelayNode.self) }
}
