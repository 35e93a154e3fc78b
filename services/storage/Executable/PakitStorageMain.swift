import Foundation
import Logging
import PakitFiles
import PakitObservability
import ServiceLifecycle
import StorageService

/// `pakit-storage`: reads configuration, opens the node (recovering from any crash) and serves
/// until SIGTERM/SIGINT, letting in-flight requests finish.
@main
struct PakitStorageMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(StorageConfiguration.usage)
            return
        }
        let configuration: StorageConfiguration
        do {
            configuration = try StorageConfiguration(arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("pakit-storage: \(error)\n".utf8))
            exit(2)
        }
        ServiceBootstrap.bootstrap(logLevel: configuration.logLevel)
        let logger = Logger(label: "pakit.storage")
        do {
            let node = try await StorageNode.open(configuration, logger: logger)
            let server = try node.makeServer { port in
                let url = configuration.baseURL(port: port)
                try? AtomicFile.write(Array((url + "\n").utf8), to: "\(configuration.dataDirectory)/storage.url", mode: 0o644)
                logger.notice("listening", metadata: ["url": "\(url)"])
                FileHandle.standardOutput.write(Data("pakit-storage listening on \(url)\n".utf8))
                Task { await node.reconcile() }
            }
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: server), .init(service: node.makeJobRunner())],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            try await group.run()
            await node.close()
        } catch {
            FileHandle.standardError.write(Data("pakit-storage: \(error)\n".utf8))
            exit(1)
        }
    }
}
