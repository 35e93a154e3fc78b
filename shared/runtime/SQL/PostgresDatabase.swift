import Logging
import Synchronization

/// Production metadata on PostgreSQL through libpq, PostgreSQL's own C client (Debian's
/// `libpq-dev`), one thread per connection (`PostgresConnection`) and a small pool of them.
///
/// (postgres-nio, used before, cost about 250 µs of client CPU per single-row statement — its
/// pool, its event loop and the hops between them and Swift's cooperative pool — against a
/// server that answers in tens of microseconds; docs/benchmarks.md.)
public final class PostgresSQLDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    private let pool: PostgresConnectionPool
    private let listener: PostgresNotificationListener

    private init(pool: PostgresConnectionPool, listener: PostgresNotificationListener) {
        self.pool = pool
        self.listener = listener
    }

    /// Connects using a `postgres://user:password@host:port/database[?sslmode=…&sslrootcert=…]`
    /// URL; `sslmode` as libpq reads it (`PostgresURL.SSLMode`). The first connection is made
    /// now, so a wrong password, database or certificate fails here with the server's words.
    public static func connect(url: String, maxConnections: Int = 8, logger: Logger) async throws(SQLError) -> PostgresSQLDatabase {
        let settings = try PostgresURL(url)
        let parameters = settings.connectionParameters
        let pool = PostgresConnectionPool(parameters: parameters, maximum: maxConnections)
        do {
            let first = try await pool.lease()
            pool.release(first)
        } catch {
            throw SQLError.unavailable("cannot connect to PostgreSQL at \(settings.host):\(settings.port)/\(settings.database ?? ""): \(error)")
        }
        return PostgresSQLDatabase(pool: pool, listener: PostgresNotificationListener(parameters: parameters, logger: logger))
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        let connection = try await pool.lease()
        defer { pool.release(connection) }
        return try await connection.execute(sql, binds)
    }

    public func read(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        try await query(sql, binds)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let connection = try await pool.lease()
        defer { pool.release(connection) }
        try await connection.execute("BEGIN", [])
        do {
            let result = try await body(Transaction(connection: connection))
            try await connection.execute("COMMIT", [])
            return result
        } catch {
            _ = try? await connection.execute("ROLLBACK", [])
            throw error
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
        await pool.close()
    }

    /// The pooled connection a transaction holds.
    struct Transaction: SQLExecutor {
        let connection: PostgresConnection
        var dialect: SQLDialect { .postgres }
        func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
            try await connection.execute(sql, binds)
        }
    }
}

/// At most `maximum` connections, opened when first needed and kept; a caller that finds all
/// of them busy waits for the next one released.
final class PostgresConnectionPool: Sendable {
    private struct State {
        var idle: [PostgresConnection] = []
        var all: [PostgresConnection] = []
        var opening = 0
        var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let parameters: [(String, String)]
    private let maximum: Int

    init(parameters: [(String, String)], maximum: Int) {
        self.parameters = parameters
        self.maximum = max(1, maximum)
    }

    func lease() async throws(SQLError) -> PostgresConnection {
        enum Next { case ready(PostgresConnection), open, wait, closed }
        while true {
            let next = state.withLock { state -> Next in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() { return .ready(connection) }
                if state.all.count + state.opening < maximum {
                    state.opening += 1
                    return .open
                }
                return .wait
            }
            switch next {
            case .ready(let connection):
                return connection
            case .closed:
                throw SQLError.unavailable("the PostgreSQL database is closed")
            case .open:
                let number = state.withLock { $0.all.count + $0.opening }
                do {
                    let connection = try await PostgresConnection.open(parameters: parameters, name: "pakit-pg-\(number)")
                    state.withLock { state in
                        state.opening -= 1
                        state.all.append(connection)
                    }
                    return connection
                } catch {
                    // Whoever waits gets to try opening one in turn.
                    let waiter = state.withLock { state -> CheckedContinuation<PostgresConnection?, Never>? in
                        state.opening -= 1
                        return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
                    }
                    waiter?.resume(returning: nil)
                    throw error
                }
            case .wait:
                let handed = await withCheckedContinuation { (continuation: CheckedContinuation<PostgresConnection?, Never>) in
                    let immediate = state.withLock { state -> PostgresConnection?? in
                        if let connection = state.idle.popLast() { return .some(connection) }
                        if state.closed || state.all.count + state.opening < maximum { return .some(nil) }
                        state.waiters.append(continuation)
                        return .none
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
                if let handed { return handed }
                // nil: a slot opened up (or the pool closed): look again.
            }
        }
    }

    func release(_ connection: PostgresConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<PostgresConnection?, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    func close() async {
        let (connections, waiters) = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll(); state.idle.removeAll() }
            return (state.all, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        for connection in connections { await connection.close() }
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
        /// Encrypt; the chain must lead to `sslrootcert` (libpq's default file,
        /// `~/.postgresql/root.crt`, when the URL names none).
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

    /// libpq's keyword/value connection parameters for these settings. Every parameter is
    /// given, so libpq's environment defaults (`PGSSLMODE`, …) cannot change what the URL says.
    var connectionParameters: [(String, String)] {
        var parameters = [("host", host), ("port", String(port)), ("user", user), ("sslmode", sslMode.rawValue),
                          ("connect_timeout", "10"), ("application_name", "pakit")]
        if let password { parameters.append(("password", password)) }
        if let database { parameters.append(("dbname", database)) }
        if let sslRootCertificate { parameters.append(("sslrootcert", sslRootCertificate)) }
        return parameters
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
