import Foundation
import Logging
import PakitSQL
import Synchronization
import Testing

/// The metadata backends tests run against: SQLite always, PostgreSQL when the test command
/// started one (`PAKIT_TEST_POSTGRES_URL`). Without it, the first suite to ask says so in the
/// output, so a run never silently covers SQLite only.
public enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    public static var available: [Backend] {
        guard ProcessInfo.processInfo.environment["PAKIT_TEST_POSTGRES_URL"] != nil else {
            if warned.withLock({ warned in defer { warned = true }; return !warned }) {
                FileHandle.standardError.write(Data(
                    "note: PAKIT_TEST_POSTGRES_URL is not set: tests parameterised on the database run on SQLite only (tests/run-all.sh starts a PostgreSQL)\n".utf8))
            }
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }

    private static let warned = Mutex(false)

    public var testDescription: String { rawValue }

    /// A fresh, empty database for one test: a file under `dataDirectory`, or a new database
    /// on the test PostgreSQL server.
    public func makeDatabaseURL(dataDirectory: String, file: String = "storage/metadata.sqlite") async throws -> String {
        switch self {
        case .sqlite:
            return "sqlite:\(dataDirectory)/\(file)"
        case .postgres:
            return try await Self.throwawayPostgresDatabase()
        }
    }

    /// Creates an empty database on the test server and returns its URL.
    public static func throwawayPostgresDatabase() async throws -> String {
        guard let base = ProcessInfo.processInfo.environment["PAKIT_TEST_POSTGRES_URL"] else {
            throw TestFailure("PAKIT_TEST_POSTGRES_URL is not set")
        }
        let name = "pakit_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        let admin = try await PostgresSQLDatabase.connect(url: base, maxConnections: 1, logger: Logger(label: "test"))
        try await admin.query("CREATE DATABASE \(name)")
        await admin.close()
        guard let slash = base.lastIndex(of: "/") else { throw TestFailure("PAKIT_TEST_POSTGRES_URL has no database name") }
        return String(base[...slash]) + name
    }
}
