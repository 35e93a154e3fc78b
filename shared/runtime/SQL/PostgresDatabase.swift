import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// Production metadata on PostgreSQL through postgres-nio's pooled client.
///
/// `PostgresClient` retries forever when the server is unreachable, so `connect` first probes
/// with a single connection and fails fast with the server's own error.
public final class PostgresSQLDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    private let listener: PostgresNotificationListener

    private init(client: PostgresClient, runTask: Task<Void, Never>, listener: PostgresNotificationListener, logger: Logger) {
        self.client = client
        self.runTask = runTask
        self.listener = listener
        self.logger = logger
    }

    /// Connects using a `postgres://user:password@host:port/database[?sslmode=…&sslrootcert=…]`
    /// URL; `sslmode` as libpq reads it (`PostgresURL.SSLMode`).
    public static func connect(url: String, maxConnections: Int = 8, logger: Logger) async throws(SQLError) -> PostgresSQLDatabase {
        let settings = try PostgresURL(url)
        let tls = try settings.clientTLS()
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user,
            password: settings.password, database: settings.database, tls: tls.client)
        configuration.options.maximumConnections = maxConnections
        let single = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user,
            password: settings.password, database: settings.database, tls: tls.connection)
        // Fail-fast probe: report a wrong password or missing database now, not as a hang later.
        do {
            let probe = try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
            try await probe.close()
        } catch {
            throw SQLError.unavailable("cannot connect to PostgreSQL at \(settings.host):\(settings.port)/\(settings.database ?? ""): \(String(reflecting: error))")
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        // Let run() start before the first lease, or postgres-nio logs a spurious warning.
        for _ in 0..<10 { await Task.yield() }
        return PostgresSQLDatabase(client: client, runTask: runTask,
                                   listener: PostgresNotificationListener(configuration: single, logger: logger), logger: logger)
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        do {
            return try await Self.collect(client.query(Self.makeQuery(sql, binds), logger: logger))
        } catch let error as SQLError {
            throw error
        } catch {
            throw SQLError.statement(String(reflecting: error))
        }
    }

    public func read(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        try await query(sql, binds)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(Connection(connection: connection, logger: logger))
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    public func ping() async throws(SQLError) {
        _ = try await query("SELECT 1", [])
    }

    /// `LISTEN channel` on a dedicated connection (see `PostgresNotificationListener`).
    public func notifications(channel: String) -> AsyncStream<SQLNotification>? {
        listener.stream(channel: channel)
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }

    struct Connection: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }
        func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
            do {
                return try await PostgresSQLDatabase.collect(
                    connection.query(PostgresSQLDatabase.makeQuery(sql, binds), logger: logger))
            } catch let error as SQLError {
                throw error
            } catch {
                throw SQLError.statement(String(reflecting: error))
            }
        }
    }

    static func makeQuery(_ sql: String, _ binds: [SQLValue]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            case .real(let v): bindings.append(v)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func collect(_ rows: PostgresRowSequence) async throws -> [SQLRow] {
        var result: [SQLRow] = []
        for try await row in rows {
            var columns: [String] = []
            var values: [SQLValue] = []
            columns.reserveCapacity(row.count)
            values.reserveCapacity(row.count)
            for cell in row {
                columns.append(cell.columnName)
                values.append(try decode(cell))
            }
            result.append(SQLRow(columns: columns, values: values))
        }
        return result
    }

    private static func decode(_ cell: PostgresCell) throws -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8, .numeric: return .real(try cell.decode(Double.self))
        case .bytea: return .blob(bytes.readBytes(length: bytes.readableBytes) ?? [])
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// The parts of a `postgres://` URL.
struct PostgresURL {
    /// libpq's `sslmode`: whether to encrypt, and what to check of the server's certificate.
    enum SSLMode: String, CaseIterable {
        /// Plain connection.
        case disable
        /// Encrypt when the server offers it (libpq's default); no certificate check.
        case prefer
        /// Encrypt or fail; no certificate check (libpq checks the chain only when a root
        /// certificate is given: so does this).
        case require
        /// Encrypt; the chain must lead to `sslrootcert` (or the system roots).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate must name the host.
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?
    var sslMode: SSLMode = .prefer
    /// CA certificate file (PEM) that verifies the server.
    var sslRootCertificate: String?

    init(_ url: String) throws(SQLError) {
        let prefixes = ["postgres://", "postgresql://"]
        guard let prefix = prefixes.first(where: { url.hasPrefix($0) }) else {
            throw SQLError.unavailable("database URL must start with postgres://")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        var credentials: Substring? = nil
        if let at = rest.lastIndex(of: "@") {
            credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var database: Substring? = nil
        if let slash = rest.firstIndex(of: "/") {
            database = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var hostPart = rest
        var port = 5432
        if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw SQLError.unavailable("database URL has an invalid port")
            }
            port = p
        }
        guard !hostPart.isEmpty else { throw SQLError.unavailable("database URL has no host") }
        host = String(hostPart)
        self.port = port
        user = "postgres"
        if let credentials {
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncodingIfPossible
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingIfPossible
            } else {
                user = String(credentials).removingPercentEncodingIfPossible
            }
        }
        self.database = database.flatMap { $0.isEmpty ? nil : String($0) }
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]).removingPercentEncodingIfPossible : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw SQLError.unavailable("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value.prefix(40))'")
                }
                sslMode = mode
            case "sslrootcert":
                sslRootCertificate = value
            default:
                throw SQLError.unavailable("unsupported database URL parameter '\(key.prefix(40))' (sslmode and sslrootcert are)")
            }
        }
    }

    /// The TLS settings `sslMode` stands for, for the pool and for single connections.
    func clientTLS() throws(SQLError) -> (client: PostgresClient.Configuration.TLS, connection: PostgresConnection.Configuration.TLS) {
        guard sslMode != .disable else { return (.disable, .disable) }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCertificate))
            } catch {
                throw SQLError.unavailable("cannot read sslrootcert \(sslRootCertificate): \(error)")
            }
        }
        switch sslMode {
        case .disable, .prefer, .require:
            // As libpq: without a root certificate these modes encrypt but trust any server.
            tls.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        do {
            let context = try NIOSSLContext(configuration: tls)
            if sslMode == .prefer { return (.prefer(tls), .prefer(context)) }
            return (.require(tls), .require(context))
        } catch {
            throw SQLError.unavailable("cannot set up TLS for PostgreSQL: \(error)")
        }
    }
}

extension String {
    fileprivate var removingPercentEncodingIfPossible: String {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let hi = iterator.next(), let lo = iterator.next(),
               let value = UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
