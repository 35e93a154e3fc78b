import ArgumentParser
import Foundation
import PakitContracts
import PakitIdentity
import PakitTLS

/// `pakit init`: the node's one bootstrap step. Creates the node CA and issues every service's
/// certificate and key, the operator's (the CLI's client identity), and the node's Ed25519 key.
/// It is the only command that uses the CA's private key; services load just their own files.
/// Safe to run again: certificates are re-issued only when expiring, from another CA, or
/// carrying other names (`--hostnames`).
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the node's CA, service certificates and node key.")

    @OptionGroup var data: DataDirectoryOption

    @Option(name: .long, help: "Extra DNS names or IP addresses for the service certificates, comma-separated (default: $PAKIT_TLS_HOSTNAMES).")
    var hostnames: String?

    func run() throws {
        let dataDirectory = data.path
        let issued = try NodeBootstrap.initialize(dataDirectory: dataDirectory, hostnames: NodeBootstrap.hostnames(hostnames))
        print("initialised \(dataDirectory)")
        print("  CA            \(dataDirectory)/tls/ca.pem (key: \(dataDirectory)/tls/ca-key.pem, used only by 'pakit init')")
        for name in issued {
            print("  \(name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(dataDirectory)/tls/\(name).pem")
        }
        print("  node key      \(dataDirectory)/keys/node-ed25519.key")
    }
}

/// What `pakit init` and `pakit up` share.
enum NodeBootstrap {
    static func dataDirectory(_ option: String?) -> String {
        URL(fileURLWithPath: option ?? ProcessInfo.processInfo.environment["PAKIT_DATA_DIR"] ?? "./.pakit").standardizedFileURL.path
    }

    static func hostnames(_ option: String?) -> [String] {
        (option ?? ProcessInfo.processInfo.environment["PAKIT_TLS_HOSTNAMES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Issues what is missing; returns the identities that have certificates.
    @discardableResult
    static func initialize(dataDirectory: String, hostnames: [String]) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let identities = ServiceName.allCases.map(\.rawValue) + [NodeCertificates.operatorName]
        try NodeCertificates.issue(in: "\(dataDirectory)/tls", identities: identities, hostnames: hostnames)
        _ = try NodeIdentity.loadOrCreate(in: "\(dataDirectory)/keys")
        return identities
    }
}
