import Foundation
import Logging
import PakitConfiguration
import PakitObservability
import ServiceLifecycle
import UnixSignals

/// The entry point of every service executable:
///
/// ```swift
/// @main struct Main { static func main() async { await ServiceMain.run(StorageNode.self) } }
/// ```
///
/// Settings (flags > `PAKIT_*` environment > `--config` file > defaults) → JSON logs and
/// Prometheus metrics → TLS files checked → node opened → server plus background work under one
/// service group → graceful shutdown on SIGTERM/SIGINT (in-flight requests finish). A bad
/// setting exits 2 with a message naming it; a failure to start (missing certificate, keys,
/// database) or to run exits 1.
public enum ServiceMain {
    public static func run<Node: PakitService>(_ service: Node.Type) async -> Never {
        let command = "pakit-\(Node.name.rawValue)"
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(Node.Configuration.usage)
            exit(0)
        }
        let configuration: Node.Configuration
        do {
            configuration = try ServiceHost<Node>.configuration(arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("\(command): \(error)", status: 2)
        }
        ServiceBootstrap.bootstrap(logLevel: configuration.common.logLevel)
        let logger = Logger(label: "pakit.\(Node.name.rawValue)")
        do {
            let host = try await ServiceHost<Node>.start(configuration, logger: logger, signals: [.sigterm, .sigint])
            logger.notice("listening", metadata: ["url": "\(host.url)"])
            FileHandle.standardOutput.write(Data("\(command) listening on \(host.url)\n".utf8))
            try await host.waitUntilStopped()
            exit(0)
        } catch {
            fail("\(command): \(error)", status: 1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }
}
