import Crypto
import Foundation
import Logging
@testable import MeshGatewayService
import PakitCore
import PakitSQL
import PakitTestSupport
import Testing

@Suite("Provider announcements and index")
struct ProviderIndexTests {
    static func cid(_ n: Int) -> CID { CID.raw(sha256Of: Array("block \(n)".utf8)) }

    @Test("announcements round-trip; tampering fails the signature; lying counts, lengths and non-CIDs are refused")
    func wire() throws {
        let key = Curve25519.Signing.PrivateKey()
        let announcement = try ProviderAnnouncement(origin: key, sequence: 7, issuedAt: 1, added: (0..<3).map(Self.cid), removed: [Self.cid(9)])
        let decoded = try ProviderAnnouncement.decode(announcement.encoded)
        #expect(decoded == announcement && decoded.isAuthentic)
        var tampered = announcement.encoded
        tampered[60] ^= 0x01
        #expect((try? ProviderAnnouncement.decode(tampered))?.isAuthentic != true)
        // A count of 60,000 CIDs in a few bytes; a CID length past the end; a sequence of 0.
        var writer = WireWriter()
        writer.u8(1)
        writer.raw(try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation).publicKey)
        writer.u64(1)
        writer.u64(1)
        let header = writer.bytes
        for body in [header + [0xEA, 0x60, 1, 2, 3], header + [0, 1, 200, 1, 2], header + [0, 1, 3, 1, 2, 3, 0, 0]] {
            var framed = WireWriter()
            framed.u32(UInt32(body.count))
            framed.raw(body)
            framed.raw([UInt8](repeating: 0, count: 64))
            #expect(throws: MeshWireError.self) { try ProviderAnnouncement.decode(framed.bytes) }
        }
        #expect(throws: MeshWireError.self) { try ProviderAnnouncement.decode([0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    @Test("the index applies announcements in any order: an older one never undoes a newer one; the digest counts the gap-free prefix",
          arguments: Backend.available)
    func ordering(backend: Backend) async throws {
        let directory = NSTemporaryDirectory() + "pakit-providers-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await SQLDatabases.open(url: try await backend.makeDatabaseURL(dataDirectory: directory, file: "p.sqlite"),
                                                   logger: Logger(label: "test"))
        try await Migrator.migrate(database, schema: "mesh", migrations: ProviderIndex.migrations, logger: Logger(label: "test"))
        let index = ProviderIndex(database: database)
        let key = Curve25519.Signing.PrivateKey()
        let origin = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        let add = try ProviderAnnouncement(origin: key, sequence: 1, issuedAt: 1, added: [Self.cid(1), Self.cid(2)], removed: [])
        let remove = try ProviderAnnouncement(origin: key, sequence: 3, issuedAt: 3, added: [], removed: [Self.cid(1)])
        // 3 arrives before 1; 2 is missing.
        #expect(try await index.apply(remove, now: 0))
        #expect(try await index.apply(add, now: 0))
        #expect(try await !index.apply(add, now: 0), "a repeat is recognised")
        #expect(try await index.providers(of: Self.cid(1)).isEmpty, "the older add must not undo the newer remove")
        #expect(try await index.providers(of: Self.cid(2)) == [origin])
        #expect(try await index.digest()[origin] == 1)
        #expect(try await index.nextSequence(of: origin) == 4)
        let middle = try ProviderAnnouncement(origin: key, sequence: 2, issuedAt: 2, added: [Self.cid(3)], removed: [])
        #expect(try await index.apply(middle, now: 0))
        #expect(try await index.digest()[origin] == 3)
        let after1 = try await index.announcements(of: origin, after: 1, limit: 10).map { try ProviderAnnouncement.decode($0).sequence }
        #expect(after1 == [2, 3])
        // A CIDv0 and its CIDv1 name the same content: one entry, found by either.
        let v0 = CID.dagPB(sha256Of: Array("a dag-pb node".utf8), version: 0)
        #expect(try await index.apply(try ProviderAnnouncement(origin: key, sequence: 4, issuedAt: 4, added: [v0], removed: []), now: 0))
        #expect(try await index.providers(of: v0.v1) == [origin])
        #expect(try await index.providers(of: v0) == [origin])
        #expect(try await index.latestWord(of: origin, on: [v0, Self.cid(1), Self.cid(7)]) == [v0.v1: true, Self.cid(1): false])
        await database.close()
    }
}
