import MeshGatewayService
import PakitService

/// `pakit-mesh-gateway`: the node's identity, membership and gossip (see `MeshGatewayNode`).
@main
struct PakitMeshGatewayMain {
    static func main() async { await ServiceMain.run(MeshGatewayNode.self) }
}
