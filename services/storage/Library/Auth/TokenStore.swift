import Crypto
import Foundation
import PakitHTTPServer
import PakitSQL

/// Bearer tokens with scopes. A token is `pakit_<id>_<secret>`; only SHA-256 of the whole token
/// is stored (the secret has 160 random bits, so a slow hash adds nothing), and lookup is by
/// that hash, so no secret is ever compared byte by byte.
struct TokenStore: Sendable {
    let database: any SQLDatabase

    func create(name: String, scopes: Set<Principal.Scope>) async throws -> (id: String, token: String) {
        let id = Self.randomBase32(5)
        let token = "pakit_\(id)_\(Self.randomBase32(20))"
        try await database.query(
            "INSERT INTO tokens (id, name, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
            [.text(id), .text(name), .blob(Self.hash(token)), .text(scopes.map(\.rawValue).sorted().joined(separator: ",")),
             MetadataStore.now()])
        return (id, token)
    }

    func authenticate(_ token: String) async throws -> Principal? {
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
