import LoRaBridgeService
import PakitService

/// `pakit-lora-bridge`: Pakit over a Meshtastic LoRa mesh (see `LoRaBridgeNode`).
@main
struct PakitLoRaBridgeMain {
    static func main() async { await ServiceMain.run(LoRaBridgeNode.self) }
}
