import Foundation
import Logging
import PakitConfiguration
import PakitContracts
import PakitTLS
import PakitZK

/// Every setting of the storage service (`pakit-storage --help` prints this table).
public struct StorageConfiguration: Sendable {
    public static let settings: [Setting] = [
        Setting("data-dir", env: "PAKIT_DATA_DIR", default: "./.pakit", help: "node data directory (keys, certificates, blocks, SQLite metadata)"),
        Setting("host", env: "PAKIT_STORAGE_HOST", default: "127.0.0.1", help: "address to listen on"),
        Setting("port", env: "PAKIT_STORAGE_PORT", default: "\(ServiceName.storage.defaultPort)", help: "HTTPS port (0 = any free port)"),
        Setting("database-url", env: "PAKIT_DATABASE_URL", default: nil, help: "postgres://user:pass@host:port/db, or sqlite:PATH; default sqlite:<data-dir>/storage/metadata.sqlite"),
        Setting("block-dir", env: "PAKIT_BLOCK_DIR", default: nil, help: "block files; default <data-dir>/storage/blocks"),
        Setting("tls-ca", env: "PAKIT_TLS_CA", default: nil, help: "CA certificate (PEM) trusted for mutual TLS; default: the node-local CA in <data-dir>/tls"),
        Setting("tls-cert", env: "PAKIT_STORAGE_TLS_CERT", default: nil, help: "server certificate (PEM); default: issued by the node-local CA"),
        Setting("tls-key", env: "PAKIT_STORAGE_TLS_KEY", default: nil, help: "server private key (PEM)"),
        Setting("tls-hostnames", env: "PAKIT_TLS_HOSTNAMES", default: "", help: "extra DNS names/IPs for the issued certificate, comma-separated"),
        Setting("max-upload", env: "PAKIT_MAX_UPLOAD", default: "64GiB", help: "largest accepted upload or CAR (413 beyond)"),
        Setting("private", env: "PAKIT_PRIVATE", default: "false", help: "when true, reading content also needs a read token or a share link"),
        Setting("public-url", env: "PAKIT_PUBLIC_URL", default: nil, help: "base URL used in share links; default https://<host>:<port>"),
        Setting("default-profile", env: "PAKIT_DEFAULT_PROFILE", default: ChunkingProfile.unixfsV1.rawValue, help: "chunking profile when an upload names none: \(ChunkingProfile.allCases.map(\.rawValue).joined(separator: ", "))"),
        Setting("log-level", env: "PAKIT_LOG_LEVEL", default: "info", help: "trace, debug, info, notice, warning, error, critical"),
        Setting("provers", env: "PAKIT_STORAGE_PROVERS", default: "", help: "prover base URLs (https://host:port), comma-separated; empty = proof endpoints answer 503"),
        Setting("proof-batch-size", env: "PAKIT_PROOF_BATCH_SIZE", default: "\(StorageProofParameters.defaultBatchSize)", help: "challenges in a batch proof; the provers must serve circuit storage-batch-<n>"),
        Setting("proof-attempts", env: "PAKIT_PROOF_ATTEMPTS", default: "5", help: "prover requests a seal or proof job may make before it is marked failed"),
        Setting("prover-timeout", env: "PAKIT_PROVER_TIMEOUT", default: "900", help: "seconds one prover request may take before it is retried on another prover"),
    ]

    public var dataDirectory: String
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var blockDirectory: String
    public var tls: TLSPaths?
    public var tlsHostnames: [String]
    public var maxUploadBytes: Int64
    public var isPrivate: Bool
    public var publicURL: String?
    var defaultProfile: ChunkingProfile
    public var logLevel: Logger.Level
    /// Prover base URLs, without a trailing slash.
    public var provers: [String]
    public var proofBatchSize: Int
    public var proofAttempts: Int
    public var proverTimeoutSeconds: Int

    public init(arguments: [String], environment: [String: String]) throws(ConfigurationError) {
        let settings = try Settings(Self.settings, arguments: arguments, environment: environment)
        let dataDirectory = URL(fileURLWithPath: try settings.string("data-dir")).standardizedFileURL.path
        self.dataDirectory = dataDirectory
        host = try settings.string("host")
        port = try settings.int("port", in: 0...65535)
        databaseURL = settings.optionalString("database-url") ?? "sqlite:\(dataDirectory)/storage/metadata.sqlite"
        guard databaseURL.hasPrefix("sqlite:") || databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://") else {
            throw settings.invalid("database-url", "must start with postgres:// or sqlite:")
        }
        blockDirectory = settings.optionalString("block-dir") ?? "\(dataDirectory)/storage/blocks"
        let explicit = [settings.optionalString("tls-ca"), settings.optionalString("tls-cert"), settings.optionalString("tls-key")]
        if explicit.allSatisfy({ $0 != nil }), let ca = explicit[0], let cert = explicit[1], let key = explicit[2] {
            tls = TLSPaths(caCertificate: ca, certificate: cert, privateKey: key)
        } else if explicit.contains(where: { $0 != nil }) {
            throw ConfigurationError("tls-ca, tls-cert and tls-key must be set together (or none, to use the node-local CA)")
        } else {
            tls = nil
        }
        tlsHostnames = settings.optionalString("tls-hostnames")?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } ?? []
        maxUploadBytes = try settings.byteSize("max-upload")
        isPrivate = try settings.bool("private")
        publicURL = settings.optionalString("public-url")
        guard let profile = ChunkingProfile(rawValue: try settings.oneOf("default-profile", ChunkingProfile.allCases.map(\.rawValue))) else {
            throw ConfigurationError("invalid default-profile")
        }
        defaultProfile = profile
        guard let level = Logger.Level(rawValue: try settings.oneOf("log-level", Logger.Level.allCases.map(\.rawValue))) else {
            throw settings.invalid("log-level", "unknown level")
        }
        logLevel = level
        var provers: [String] = []
        for entry in (settings.optionalString("provers") ?? "").split(separator: ",") {
            var url = entry.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard !url.isEmpty else { continue }
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw settings.invalid("provers", "'\(url)' is not an https:// URL")
            }
            if !provers.contains(url) { provers.append(url) }
        }
        self.provers = provers
        proofBatchSize = try settings.int("proof-batch-size", in: 1...BatchChunkCircuit.maximumCount)
        proofAttempts = try settings.int("proof-attempts", in: 1...100)
        proverTimeoutSeconds = try settings.int("prover-timeout", in: 1...86_400)
    }

    /// How clients on this machine reach the server: a wildcard listen address is not
    /// reachable as such (nor in the certificate), so it becomes loopback; IPv6 is bracketed.
    public func baseURL(port: Int) -> String {
        let reachable = ["0.0.0.0", "::", "[::]"].contains(host) ? "127.0.0.1" : host
        return "https://\(reachable.contains(":") && !reachable.hasPrefix("[") ? "[\(reachable)]" : reachable):\(port)"
    }

    public static var usage: String { Settings.usage(settings, command: "pakit-storage") }
}
