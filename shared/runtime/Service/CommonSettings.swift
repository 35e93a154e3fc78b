import Foundation
import Logging
import PakitConfiguration
import PakitContracts
import PakitTLS

/// The settings every service has, declared once: data directory, listen address, public URL,
/// TLS files, log level, and the database URL for services that keep one. A service's own
/// settings are declared beside it (`ServiceConfiguration.settings`).
///
/// Variable names follow one pattern: `PAKIT_DATA_DIR`, `PAKIT_LOG_LEVEL` and `PAKIT_TLS_CA` are
/// node-wide; the rest carry the service (`PAKIT_STORAGE_PORT`, `PAKIT_PROVER_TLS_CERT`, …).
public struct CommonSettings: Sendable {
    public let service: ServiceName
    public var dataDirectory: String
    public var host: String
    public var port: Int
    /// The URL clients outside this machine use, when it differs from the listen address.
    public var publicURL: String?
    /// This service's CA, certificate and key: explicit files, or the layout `pakit init` writes.
    public var tls: TLSPaths
    public var logLevel: Logger.Level
    /// Set only for services whose configuration declares a database.
    public var databaseURL: String?

    /// `PAKIT_<SERVICE>_`: `mesh-gateway` → `PAKIT_MESH_GATEWAY_`.
    public static func environmentPrefix(_ service: ServiceName) -> String {
        "PAKIT_" + service.rawValue.uppercased().replacingOccurrences(of: "-", with: "_") + "_"
    }

    /// The declarations of the common settings of `service`; `database` is the default SQLite
    /// file under the data directory for a service that keeps a database, nil otherwise.
    public static func declarations(for service: ServiceName, database: DatabaseDefault?) -> [Setting] {
        let prefix = environmentPrefix(service)
        var settings = [
            Setting("data-dir", env: "PAKIT_DATA_DIR", default: "./.pakit", help: "node data directory (certificates, keys, service state)"),
            Setting("host", env: prefix + "HOST", default: "127.0.0.1", help: "address to listen on"),
            Setting("port", env: prefix + "PORT", default: "\(service.defaultPort)", help: "HTTPS port (0 = any free port)"),
            Setting("public-url", env: prefix + "PUBLIC_URL", default: nil, help: "base URL clients use (links, announcements); default https://<host>:<port>"),
            Setting("tls-ca", env: "PAKIT_TLS_CA", default: nil, help: "CA certificate (PEM) that peers' client certificates must chain to; default <data-dir>/tls/ca.pem"),
            Setting("tls-cert", env: prefix + "TLS_CERT", default: nil, help: "this service's certificate (PEM); default <data-dir>/tls/\(service.rawValue).pem, issued by 'pakit init'"),
            Setting("tls-key", env: prefix + "TLS_KEY", default: nil, help: "this service's private key (PEM); default <data-dir>/tls/\(service.rawValue)-key.pem"),
            Setting("log-level", env: "PAKIT_LOG_LEVEL", default: "info", help: "trace, debug, info, notice, warning, error, critical"),
        ]
        if let database {
            settings.append(Setting("database-url", env: prefix + "DATABASE_URL", default: nil,
                                    help: "postgres://user:pass@host:port/db (?sslmode=…), or sqlite:PATH; default sqlite:<data-dir>/\(database.relativePath)"))
        }
        return settings
    }

    /// Reads the common settings of `service` (declared by `declarations`).
    public init(service: ServiceName, settings: Settings, database: DatabaseDefault?) throws(ConfigurationError) {
        self.service = service
        let dataDirectory = URL(fileURLWithPath: try settings.string("data-dir")).standardizedFileURL.path
        self.dataDirectory = dataDirectory
        host = try settings.string("host")
        port = try settings.int("port", in: 0...65535)
        if let url = settings.optionalString("public-url") {
            var trimmed = url
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard trimmed.hasPrefix("https://") || trimmed.hasPrefix("http://"), URL(string: trimmed)?.host != nil else {
                throw settings.invalid("public-url", "'\(url)' is not an http(s) URL")
            }
            publicURL = trimmed
        }
        let explicit = [settings.optionalString("tls-ca"), settings.optionalString("tls-cert"), settings.optionalString("tls-key")]
        if let ca = explicit[0], let cert = explicit[1], let key = explicit[2] {
            tls = TLSPaths(caCertificate: ca, certificate: cert, privateKey: key)
        } else if explicit.contains(where: { $0 != nil }) {
            throw ConfigurationError("tls-ca, tls-cert and tls-key must be set together (or none, to use the files 'pakit init' writes in <data-dir>/tls)")
        } else {
            tls = ServiceTLSFiles.defaultPaths(dataDirectory: dataDirectory, identity: service.rawValue)
        }
        guard let level = Logger.Level(rawValue: try settings.oneOf("log-level", Logger.Level.allCases.map(\.rawValue))) else {
            throw settings.invalid("log-level", "unknown level")
        }
        logLevel = level
        if let database {
            let url = settings.optionalString("database-url") ?? "sqlite:\(dataDirectory)/\(database.relativePath)"
            guard url.hasPrefix("sqlite:") || url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw settings.invalid("database-url", "must start with postgres:// or sqlite:")
            }
            databaseURL = url
        }
    }

    /// How clients on this machine reach the server: a wildcard listen address is not
    /// reachable as such (nor in the certificate), so it becomes loopback; IPv6 is bracketed.
    public func baseURL(port: Int) -> String {
        let reachable = ["0.0.0.0", "::", "[::]"].contains(host) ? "127.0.0.1" : host
        return "https://\(reachable.contains(":") && !reachable.hasPrefix("[") ? "[\(reachable)]" : reachable):\(port)"
    }

    /// Where the running service writes its URL for the CLI and `pakit up`: `<data-dir>/<service>.url`.
    public var urlFile: String { "\(dataDirectory)/\(service.rawValue).url" }
}

/// The SQLite file a service with a database uses when no URL is configured.
public struct DatabaseDefault: Sendable {
    /// Relative to the data directory, e.g. `storage/metadata.sqlite`.
    public let relativePath: String
    public init(relativePath: String) { self.relativePath = relativePath }
}
