import Crypto
import Foundation
import PakitHTTPServer
import Logging
import PakitSQL

/// Bearer tokens with scopes, in the service's SQL database. A token is `pakit_<id>_<secret>`;
/// only SHA-256 of the whole token is stored (the secret has 160 random bits, so a slow hash
/// adds nothing), and lookup is by that hash, so no secret is ever compared byte by byte.
public struct TokenStore: Sendable {
    let database: any SQLDatabase

    public init(database: any SQLDatabase) { self.database = database }

    /// The `tokens` table under its own schema name. `IF NOT EXISTS`: storage created this
    /// table in its own first migration before tokens moved into the runtime.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "tokens",
            postgres: ["CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BYTEA NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at BIGINT NOT NULL)"],
            sqlite: ["CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BLOB NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at INTEGER NOT NULL)"]),
    ]
    public static let schema = "auth"

    /// Creates the table if this database has none yet.
    public func migrate(logger: Logger) async throws {
        try await Migrator.migrate(database, schema: Self.schema, migrations: Self.migrations, logger: logger)
    }

    /// Creates a token; the secret is returned once and never stored.
    public func create(name: String, scopes: Set<Principal.Scope>) async throws(SQLError) -> (id: String, token: String) {
        let id = Self.randomBase32(5)
        let token = "pakit_\(id)_\(Self.randomBase32(20))"
        try await database.query(
            "INSERT INTO tokens (id, name, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
            [.text(id), .text(name), .blob(Self.hash(token)), .text(scopes.map(\.rawValue).sorted().joined(separator: ",")),
             .integer(Int64(Date().timeIntervalSince1970))])
        return (id, token)
    }

    /// The principal of a token, or nil when no such token exists.
    public func authenticate(_ token: String) async throws(SQLError) -> Principal? {
        guard token.hasPrefix("pakit_"), token.count < 200 else { return nil }
        let rows = try await database.read("SELECT id, scopes FROM tokens WHERE secret_hash = $1", [.blob(Self.hash(token))])
        guard let row = rows.first else { return nil }
        let scopes = Set(try row.text("scopes").split(separator: ",").compactMap { Principal.Scope(rawValue: String($0)) })
        return Principal(id: try row.text("id"), scopes: scopes)
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    static func randomBase32(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        // 8 characters per 5 bytes of randomness.
        return String((0..<(bytes * 8 / 5)).map { _ in alphabet[Int(generator.next() % 32)] })
    }
}
