import PakitService
import StorageService

/// `pakit-storage`: the front door of a node (see `StorageNode`).
@main
struct PakitStorageMain {
    static func main() async { await ServiceMain.run(StorageNode.self) }
}
