import Foundation
import NIOHTTP1
import PakitContracts
import PakitTestSupport
import Testing

/// The files API through real HTTPS/HTTP/2: CIDs equal to the reference vectors, byte-exact
/// reads, ranges, conditional requests, HEAD, limits and auth.
@Suite("Files API")
struct FilesAPITests {
    @Test("uploads get Kubo's CIDs and read back byte-identical over HTTP/2", arguments: Backend.available)
    func uploadAndRead(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let vectors: [(Int, String, String)] = [
                (0, "unixfs-v1-2025", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
                (5, "unixfs-v1-2025", "bafkreiaixnpf23vkyecj5xqispjq5ubcwgsntnnurw2bjby7khe4wnjihu"),
                (1_048_577, "unixfs-v1-2025", "bafybeidjogjfwuhbzwopgd4bn3skcf5m6oz72xshywcndzxgqb623nfclu"),
                (3_145_728, "unixfs-v1-2025", "bafybeihzpjrbcpjpzcx4yxh3hasnjidsikmwmsrli7hhamhny5iueulu5a"),
                (0, "unixfs-v0-2015", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
                (1_048_577, "unixfs-v0-2015", "QmXFGdWM6dMXHxGby9dZifmvH5ws2MwYCE1paUfJSp3Kj6"),
            ]
            for (size, profile, expected) in vectors {
                let bytes = patternBytes(size)
                let added = try await node.add(bytes, query: "profile=\(profile)&name=f.bin")
                #expect(added.cid == expected, "size \(size) \(profile)")
                #expect(added.size == UInt64(size))
                #expect(added.blake2Root.count == 64)
                let read = try await node.send(.GET, "/v1/files/\(added.cid)", token: nil)
                #expect(read.status == .ok)
                #expect(read.version == .http2, "the client negotiated \(read.version), not HTTP/2")
                #expect(read.body == bytes, "size \(size) \(profile) read back differently")
                #expect(read.headers.first(name: "ETag") == "\"\(added.cid)\"")
                #expect(read.headers.first(name: "Cache-Control")?.contains("immutable") == true)
            }
        }
    }

    @Test("single ranges, 416, If-None-Match and HEAD behave like an HTTP cache expects", arguments: Backend.available)
    func rangesAndConditionals(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let bytes = randomBytes(2_500_000, seed: 7)
            let cid = try await node.add(bytes).cid
            let middle = try await node.send(.GET, "/v1/files/\(cid)", token: nil, headers: [("Range", "bytes=1048000-1049999")])
            #expect(middle.status == .partialContent)
            #expect(middle.body == Array(bytes[1_048_000...1_049_999]))
            #expect(middle.headers.first(name: "Content-Range") == "bytes 1048000-1049999/2500000")
            let suffix = try await node.send(.GET, "/v1/files/\(cid)", token: nil, headers: [("Range", "bytes=-10")])
            #expect(suffix.body == Array(bytes.suffix(10)))
            let open = try await node.send(.GET, "/v1/files/\(cid)", token: nil, headers: [("Range", "bytes=2499990-")])
            #expect(open.body == Array(bytes.suffix(10)))
            let beyond = try await node.send(.GET, "/v1/files/\(cid)", token: nil, headers: [("Range", "bytes=2500000-2500001")])
            #expect(beyond.status == .rangeNotSatisfiable)
            #expect(beyond.errorCode == "bad_range")
            #expect(beyond.headers.first(name: "Content-Range") == "bytes */2500000")
            let cached = try await node.send(.GET, "/v1/files/\(cid)", token: nil, headers: [("If-None-Match", "\"\(cid)\"")])
            #expect(cached.status == .notModified)
            #expect(cached.body.isEmpty)
            let head = try await node.send(.HEAD, "/v1/files/\(cid)", token: nil)
            #expect(head.status == .ok)
            #expect(head.headers.first(name: "Content-Length") == "2500000")
            #expect(head.body.isEmpty)
        }
    }

    @Test("bad input gets the right status and envelope and changes nothing", arguments: Backend.available)
    func badInput(backend: Backend) async throws {
        try await TestNode.with(backend, extraArguments: ["--max-upload", "1MiB"]) { node in
            let before = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self)
            let malformed = try await node.send(.GET, "/v1/files/notacid", token: nil)
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "invalid_cid")
            let unknown = try await node.send(.GET, "/v1/files/bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq", token: nil)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
            let anonymous = try await node.send(.POST, "/v1/files", body: [1, 2, 3], token: nil)
            #expect(anonymous.status == .unauthorized)
            let forged = try await node.send(.POST, "/v1/files", body: [1, 2, 3], token: "pakit_nope_nope")
            #expect(forged.status == .unauthorized)
            #expect(forged.errorCode == "invalid_token")
            let readToken = try await node.json(.POST, "/v1/tokens", TokenCreateRequest(name: "reader", scopes: ["read"]))
                .decode(TokenCreateResponse.self).token
            let readOnly = try await node.send(.POST, "/v1/files", body: [1, 2, 3], token: readToken)
            #expect(readOnly.status == .forbidden)
            let tooBig = try await node.send(.POST, "/v1/files", body: randomBytes((1 << 20) + 1, seed: 1))
            #expect(tooBig.status == .payloadTooLarge)
            #expect(tooBig.errorCode == "too_large")
            let badProfile = try await node.send(.POST, "/v1/files?profile=zip", body: [1])
            #expect(badProfile.status == .badRequest)
            let noRoute = try await node.send(.GET, "/v1/nothing-here", token: nil)
            #expect(noRoute.status == .notFound)
            #expect(noRoute.errorCode == "route_not_found")
            let badJSON = try await node.send(.POST, "/v1/pins", body: Array("{".utf8), headers: [("Content-Type", "application/json")])
            #expect(badJSON.status == .badRequest)
            let after = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self)
            #expect(after == before, "rejected requests changed the node's state")
        }
    }

    @Test("identical content is stored once and stats show the dedup and compression savings", arguments: Backend.available)
    func dedupAndStats(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let text = Array(String(repeating: "Pakit stores Belize's documents. ", count: 100_000).utf8)
            let first = try await node.add(text)
            let second = try await node.add(text)
            #expect(first.cid == second.cid)
            let stats = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self)
            #expect(stats.logicalBytes == UInt64(text.count * 2))
            // Unique bytes are the leaves plus the small root node of the DAG.
            #expect(stats.uniqueBytes >= UInt64(text.count) && stats.uniqueBytes < UInt64(text.count) + 1024)
            #expect(stats.dedupSavedBytes == stats.logicalBytes - stats.uniqueBytes)
            #expect(stats.compressedBlocks > 0)
            #expect(stats.storedBytes < stats.uniqueBytes / 10)
            #expect(stats.files == 1)
            let random = try await node.add(randomBytes(300_000, seed: 3))
            let stat = try await node.send(.GET, "/v1/blocks/\(random.cid)/stat").decode(BlockStat.self)
            #expect(stat.compression == "none", "incompressible data must be stored plain")
        }
    }

    @Test("the fastcdc-v1 profile dedups an edited file where fixed chunks cannot", arguments: Backend.available)
    func contentDefinedChunking(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let original = randomBytes(6_000_000, seed: 21)
            var edited = original
            edited.insert(contentsOf: Array("inserted".utf8), at: 1000)
            func storedAfter(_ profile: String) async throws -> UInt64 {
                _ = try await node.add(original, query: "profile=\(profile)")
                let before = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self).uniqueBytes
                let second = try await node.add(edited, query: "profile=\(profile)")
                #expect(try await node.send(.GET, "/v1/files/\(second.cid)", token: nil).body == edited)
                return try await node.send(.GET, "/v1/stats").decode(StatsResponse.self).uniqueBytes - before
            }
            let fixedNew = try await storedAfter("unixfs-v1-2025")
            let cdcNew = try await storedAfter("fastcdc-v1")
            #expect(fixedNew > 5_900_000, "fixed chunks should share nothing after an insertion near the start")
            #expect(cdcNew < 600_000, "FastCDC stored \(cdcNew) new bytes for an 8-byte insertion")
        }
    }
}
