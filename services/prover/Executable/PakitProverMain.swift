import Foundation
import Logging
import PakitFiles
import PakitObservability
import ProverService
import ServiceLifecycle
import Synchronization

/// `pakit-prover`: reads configuration, loads (or, in development mode, derives and caches)
/// the circuits' keys and serves until SIGTERM/SIGINT, letting in-flight proofs finish.
///
/// The server starts listening before development keys are derived (`/health` answers,
/// `/ready` is 503 until every circuit has its keys), so a first start with a large batch
/// circuit does not look like a hung process.
@main
struct PakitProverMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(ProverConfiguration.usage)
            return
        }
        let configuration: ProverConfiguration
        do {
            configuration = try ProverConfiguration(arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("pakit-prover: \(error)\n".utf8))
            exit(2)
        }
        ServiceBootstrap.bootstrap(logLevel: configuration.logLevel)
        let logger = Logger(label: "pakit.prover")
        do {
            let node = try await ProverNode.open(configuration, logger: logger)
            let server = try node.makeServer { port in
                let url = configuration.baseURL(port: port)
                try? AtomicFile.write(Array((url + "\n").utf8), to: "\(configuration.dataDirectory)/prover.url", mode: 0o644)
                logger.notice("listening", metadata: ["url": "\(url)", "instance": "\(configuration.instance)"])
                FileHandle.standardOutput.write(Data("pakit-prover listening on \(url)\n".utf8))
            }
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            // Key setup runs beside the server (not as a group service, so shutdown never waits
            // for it); a failed setup stops the process so a supervisor sees it.
            let setupFailed = Flag()
            Task {
                do {
                    try await node.prepareKeys()
                    logger.notice("ready: every circuit has its keys")
                } catch {
                    logger.critical("stopping: \(error)")
                    setupFailed.set()
                    await group.triggerGracefulShutdown()
                }
            }
            try await group.run()
            // A setup still running is simply abandoned: the process exits here.
            if setupFailed.isSet {
                FileHandle.standardError.write(Data("pakit-prover: key setup failed; see the log above\n".utf8))
                exit(1)
            }
        } catch {
            FileHandle.standardError.write(Data("pakit-prover: \(error)\n".utf8))
            exit(1)
        }
    }
}

/// A flag set once from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
