import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

/// Input an attacker with a write token (or none) could send, against the real `pakit-storage`
/// process: every case must get a 4xx with the JSON error envelope, leave the repository as it
/// was (block, file and pin counts, no leftover temporary files), and the process must stay up.
@Suite("Hostile input (real process)", .serialized)
struct HostileInputTests {
    @Test("lying sizes, deep and wide DAGs, bad codecs, varints and CARs are refused and change nothing", arguments: Backend.available)
    func hostileInputIsRefused(backend: Backend) async throws {
        try await HostileTarget.with(backend) { target in
            // Legitimate content the hostile nodes point at (stored before the baseline).
            let leaf = Block.raw(randomBytes(10, seed: 1))
            #expect(try await target.putBlock(leaf).status == .created)
            let before = try await target.state()

            func refused(_ what: String, _ reply: HostileTarget.Reply, status: HTTPResponseStatus = .unprocessableEntity) async throws {
                #expect(reply.status == status, "\(what): expected \(status), got \(reply.status) \(reply.text.prefix(200))")
                #expect(reply.errorCode != nil, "\(what): no error envelope in \(reply.text.prefix(200))")
                #expect(target.isRunning, "\(what): the storage process died")
                #expect(try await target.state() == before, "\(what): the repository changed")
            }

            // 1. UnixFS sizes that lie.
            let huge: UInt64 = 1 << 63
            try await refused("filesize 2^63 (above Int.max)", try await target.putBlock(Self.fileNode(children: [(leaf.cid, huge)], filesize: huge)))
            try await refused("filesize 2^64 - 1", try await target.putBlock(Self.fileNode(children: [(leaf.cid, 1)], filesize: UInt64.max)))
            try await refused("blocksizes that overflow", try await target.putBlock(Self.fileNode(children: [(leaf.cid, UInt64.max), (leaf.cid, 2)], filesize: nil)))
            try await refused("a child claimed larger than it is", try await target.putBlock(Self.fileNode(children: [(leaf.cid, 11)], filesize: 11)))
            try await refused("a child claimed smaller than it is", try await target.putBlock(Self.fileNode(children: [(leaf.cid, 9)], filesize: 9)))
            try await refused("filesize disagreeing with blocksizes", try await target.putBlock(Self.fileNode(children: [(leaf.cid, 10)], filesize: 12)))

            // 2. Wide nodes: 10^5 links (identity CIDs keep the block under the 2 MiB limit).
            let tiny = try CID(version: 1, codec: .raw, multihash: Multihash(code: Multihash.identity, digest: []))
            let wide = PBNode(links: Array(repeating: PBLink(hash: tiny), count: 100_000)).encoded()
            try await refused("a node with 10^5 links", try await target.putBlock(Block(cid: .dagPB(sha256Of: wide), bytes: wide)))

            // 3. Codecs whose links the node cannot follow, and CIDs it cannot verify.
            let cbor: [UInt8] = [0xa1, 0x61, 0x61, 0x01]
            let cborCID = try CID(version: 1, codec: .dagCBOR, multihash: Multihash.sha256(of: cbor))
            try await refused("a dag-cbor block", try await target.putBlock(Block(cid: cborCID, bytes: cbor)))
            let longIdentity = "f01550080" + String(repeating: "ab", count: 129)  // identity CID, 129-byte digest
            try await refused("an identity CID over 128 bytes (GET)", try await target.send(.GET, "/ipfs/\(longIdentity)", token: nil), status: .badRequest)
            try await refused("an identity CID over 128 bytes (PUT)", try await target.send(.PUT, "/v1/blocks/\(longIdentity)", body: []), status: .badRequest)

            // 4. Malformed varints inside dag-pb.
            let truncated: [UInt8] = [0x12, 0xff]  // a link whose length varint never ends
            try await refused("a truncated varint", try await target.putBlock(Block(cid: .dagPB(sha256Of: truncated), bytes: truncated)))
            let overlong: [UInt8] = [0x0a] + Array(repeating: 0x80, count: 10) + [0x01]  // 11-byte length varint
            try await refused("an over-long varint", try await target.putBlock(Block(cid: .dagPB(sha256Of: overlong), bytes: overlong)))

            // 5. CARs that lie.
            try await refused("a CAR whose header length exceeds the body", try await target.importCAR(Varint.encode(1 << 40) + [0xa2]))
            try await refused("a CAR header of 2^63 - 1 bytes", try await target.importCAR(Varint.encode(UInt64(Int64.max))))
            var wrongRoot = CARWriter.header(roots: [Block.raw(randomBytes(5, seed: 9)).cid])
            wrongRoot += CARWriter.section(Block.raw(randomBytes(7, seed: 9)))
            try await refused("a CAR naming a root it does not hold", try await target.importCAR(wrongRoot))
            let liar = Self.fileNode(children: [(Block.raw(randomBytes(20, seed: 3)).cid, 21)], filesize: 21)
            var lyingCAR = CARWriter.header(roots: [liar.cid]) + CARWriter.section(liar)
            lyingCAR += CARWriter.section(Block.raw(randomBytes(20, seed: 3)))
            try await refused("a CAR whose file node lies about its child", try await target.importCAR(lyingCAR))
            var wrongHash = CARWriter.header(roots: [leaf.cid])
            wrongHash += Varint.encode(UInt64(leaf.cid.bytes.count + 3)) + leaf.cid.bytes + [1, 2, 3]
            try await refused("a CAR block that does not hash to its CID", try await target.importCAR(wrongHash))
            let chain = Self.chain(depth: 300, leaf: Block.raw(randomBytes(4, seed: 5)))
            var deepCAR = CARWriter.header(roots: [chain[0].cid])
            for block in chain { deepCAR += CARWriter.section(block) }
            try await refused("a CAR whose DAG is 300 levels deep", try await target.importCAR(deepCAR))
        }
    }

    @Test("DAGs that lie below what a write could check are refused when read, and the process stays up", arguments: Backend.available)
    func liesFoundOnRead(backend: Backend) async throws {
        try await HostileTarget.with(backend) { target in
            // A parent stored before its child cannot be checked when stored.
            let leaf = Block.raw(randomBytes(10, seed: 2))
            let parent = Self.fileNode(children: [(leaf.cid, 11)], filesize: 11)
            #expect(try await target.putBlock(parent).status == .created)
            #expect(try await target.putBlock(leaf).status == .created)
            for method in [HTTPMethod.GET, .HEAD] {
                let reply = try await target.send(method, "/ipfs/\(parent.cid)", token: nil)
                #expect(reply.status == .unprocessableEntity, "\(method) of a lying file: \(reply.status)")
            }
            #expect(try await target.send(.POST, "/v1/pins", body: Array(#"{"cid":"\#(parent.cid)"}"#.utf8)).status == .created,
                    "pinning checks presence, not sizes")

            // A chain deeper than the bound, stored one block at a time (each block is fine alone).
            let chain = Self.chain(depth: 300, leaf: Block.raw(randomBytes(4, seed: 6)))
            for block in chain.reversed() { #expect(try await target.putBlock(block).status == .created) }
            let root = chain[0].cid
            #expect(try await target.send(.GET, "/ipfs/\(root)", token: nil).status == .unprocessableEntity, "GET of a 300-deep chain")
            let pin = try await target.send(.POST, "/v1/pins", body: Array(#"{"cid":"\#(root)"}"#.utf8))
            #expect(pin.status == .unprocessableEntity && pin.errorCode == "invalid_content", "pin of a 300-deep chain: \(pin.status)")

            // A lie deeper in the DAG than the first path breaks the stream off: never wrong bytes.
            let good = Block.raw(randomBytes(10, seed: 7))
            let shortLeaf = Block.raw(randomBytes(10, seed: 8))
            let lateLiar = Self.fileNode(children: [(good.cid, 10), (shortLeaf.cid, 12)], filesize: 22)
            for block in [lateLiar, good, shortLeaf] { #expect(try await target.putBlock(block).status == .created) }
            let head = try await target.send(.HEAD, "/ipfs/\(lateLiar.cid)", token: nil)
            #expect(head.status == .ok && head.headers.first(name: "Content-Length") == "22")
            let body = try? await target.send(.GET, "/ipfs/\(lateLiar.cid)", token: nil)
            #expect(body == nil || body?.body.count != 22, "a body matching the false length was sent")
            #expect(target.isRunning)
            #expect(try await target.send(.GET, "/health", token: nil).status == .ok)
        }
    }

    /// A UnixFS file node over `children` (CID, claimed bytes), with `filesize` as given.
    static func fileNode(children: [(CID, UInt64)], filesize: UInt64?) -> Block {
        let data = UnixFSData(type: .file, filesize: filesize, blocksizes: children.map(\.1)).encoded()
        let bytes = PBNode(links: children.map { PBLink(hash: $0.0, name: "", tsize: 0) }, data: data).encoded()
        return Block(cid: .dagPB(sha256Of: bytes), bytes: bytes)
    }

    /// `depth` file nodes each holding the next, over `leaf`; root first, leaf last.
    static func chain(depth: Int, leaf: Block) -> [Block] {
        var blocks = [leaf]
        let size = UInt64(leaf.bytes.count)
        for _ in 0..<depth {
            let below = blocks[blocks.count - 1]
            blocks.append(fileNode(children: [(below.cid, size)], filesize: size))
        }
        return blocks.reversed()
    }
}

/// One `pakit-storage` process over a fresh data directory, with the counts hostile input
/// must not change.
final class HostileTarget: Sendable {
    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? { (try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(body)))?.error.code }
    }

    /// What a refused request must leave as it was.
    struct State: Equatable {
        var blocks: Int
        var files: Int
        var pins: Int
        var temporaryFiles: Int
    }

    let process: StorageProcess
    let url: String
    let client: HTTPClient
    let token: String

    private init(process: StorageProcess, url: String, client: HTTPClient, token: String) {
        self.process = process
        self.url = url
        self.client = client
        self.token = token
    }

    static func with(_ backend: Backend, _ body: (HostileTarget) async throws -> Void) async throws {
        let data = NSTemporaryDirectory() + "pakit-hostile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/storage", withIntermediateDirectories: true)
        let process = try StorageProcess.start(dataDirectory: data, databaseURL: try await backend.makeDatabaseURL(dataDirectory: data))
        defer { process.kill() }
        let url = try await process.waitForURL()
        let token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let target = HostileTarget(process: process, url: url, client: try StorageProcess.client(dataDirectory: data), token: token)
        do {
            try await body(target)
        } catch {
            try? await target.client.shutdown()
            throw error
        }
        try await target.client.shutdown()
    }

    var isRunning: Bool { process.process.isRunning }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, token: String? = "") async throws -> Reply {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let bearer = token == "" ? self.token : token { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 1 << 28)
        return Reply(status: response.status, headers: response.headers, body: Array(collected.readableBytesView))
    }

    func putBlock(_ block: Block) async throws -> Reply {
        try await send(.PUT, "/v1/blocks/\(block.cid)", body: block.bytes)
    }

    func importCAR(_ bytes: [UInt8]) async throws -> Reply {
        try await send(.POST, "/v1/car", body: bytes)
    }

    func state() async throws -> State {
        let stats = try JSONDecoder().decode(StatsResponse.self, from: Data(try await send(.GET, "/v1/stats").body))
        let temporary = (try? FileManager.default.contentsOfDirectory(atPath: "\(process.dataDirectory)/storage/blocks/.tmp")) ?? []
        return State(blocks: stats.blocks, files: stats.files, pins: stats.pins, temporaryFiles: temporary.count)
    }
}
