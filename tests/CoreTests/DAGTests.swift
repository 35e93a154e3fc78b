import Testing
@testable import PakitCore

/// The formats.md test file: byte k = k mod 251. Any chunk of it is a slice of this tape.
private enum PatternFile {
    static let tape: [UInt8] = (0..<(1_048_576 + 251)).map { UInt8($0 % 251) }

    static func chunk(at offset: Int, count: Int) -> [UInt8] {
        let start = offset % 251
        return Array(tape[start..<(start + count)])
    }

    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8($0 % 251) }
    }
}

/// Everything a builder run produced.
private struct BuiltFile {
    var result: FileDAGResult
    var leaves: [Block] = []
    /// Internal nodes in emission order (streamed, then from `finish`).
    var nodes: [Block] = []
    var store: [CID: [UInt8]] = [:]
}

private func buildFile(size: Int, chunkSize: Int, layout: DAGLayout, keepBlocks: Bool = true) -> BuiltFile {
    var builder = FileDAGBuilder(layout: layout)
    var leaves: [Block] = []
    var nodes: [Block] = []
    var offset = 0
    while offset < size {
        let count = min(chunkSize, size - offset)
        let leaf = builder.addChunk(PatternFile.chunk(at: offset, count: count))
        if keepBlocks { leaves.append(leaf) }
        nodes += builder.takeCompletedNodes()
        offset += count
    }
    let result = builder.finish()
    nodes += result.blocks
    var built = BuiltFile(result: result, leaves: leaves, nodes: nodes)
    for block in leaves + nodes {
        built.store[block.cid] = block.bytes
    }
    return built
}

/// Walks a file DAG checking the balanced shape and Tsize/blocksizes bookkeeping.
private struct ShapeChecker {
    let store: [CID: [UInt8]]
    let maxLinks: Int
    var leafDepths: Set<Int> = []
    var content: [UInt8] = []

    /// Returns (tsize, file bytes) of the subtree at `cid`.
    mutating func visit(_ cid: CID, depth: Int) throws -> (tsize: UInt64, fileBytes: UInt64) {
        let bytes = try #require(store[cid], "missing block \(cid)")
        #expect(cid.verifies(bytes))
        switch try DecodedNode(cid: cid, block: bytes) {
        case .raw(let data):
            leafDepths.insert(depth)
            content += data
            return (UInt64(bytes.count), UInt64(data.count))
        case .file(let data, let children, let filesize):
            if children.isEmpty {
                leafDepths.insert(depth)
                content += data
                return (UInt64(bytes.count), filesize)
            }
            #expect(data.isEmpty)
            #expect(children.count <= maxLinks)
            let node = try PBNode(decoding: bytes)
            var tsize = UInt64(bytes.count)
            for (link, child) in zip(node.links, children) {
                #expect(link.name == "")
                let sub = try visit(child.cid, depth: depth + 1)
                #expect(link.tsize == sub.tsize)
                #expect(child.fileBytes == sub.fileBytes)
                tsize += sub.tsize
            }
            #expect(try cumulativeSize(ofBlock: bytes, cid: cid) == tsize)
            return (tsize, filesize)
        default:
            Issue.record("unexpected node kind at \(cid)")
            return (0, 0)
        }
    }
}

@Suite("DAG")
struct DAGTests {
    static let hello = Array("hello".utf8)
    static let legacyHelloLeaf: [UInt8] = [0x0a, 0x0b, 0x08, 0x02, 0x12, 0x05] + Array("hello".utf8) + [0x18, 0x05]
    static let workedExampleHex =
        "122c0a2401551220631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769120018808040122a0a24015512205bad0d1132ac152cf657be8918ae163578448d56d40def9a590fe3dcab0c339b120018010a0c080218818040208080402001"
    static let kuboV1 = DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 174)

    // MARK: file DAG vectors (§3.1)

    @Test("unixfs-v0-2015 file CIDs", arguments: [
        (0, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        (5, "Qma4sWyoTiJKYx1wTjkxWY71dYg1oWgE7SE9oiTGqGnyoR"),
        (1_048_576, "QmXgkY4miMKJBrg8YYke4xw6C2n8WNsUc1GXLhN84k4QM3"),
        (1_048_577, "QmXFGdWM6dMXHxGby9dZifmvH5ws2MwYCE1paUfJSp3Kj6"),
        (3_145_728, "QmbEanQifXGk5Y2i9swd25nRbdLPXoXgwE7riTuQtoVFzA"),
    ])
    func legacyVectors(size: Int, expected: String) throws {
        let built = buildFile(size: size, chunkSize: 262_144, layout: .unixfsV0_2015)
        #expect(built.result.root.string == expected)
        #expect(built.result.fileSize == UInt64(size))
        try checkShape(built, maxLinks: 174, size: size)
    }

    @Test("unixfs-v1-2025 file CIDs", arguments: [
        (0, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
        (5, "bafkreiaixnpf23vkyecj5xqispjq5ubcwgsntnnurw2bjby7khe4wnjihu"),
        (1_048_576, "bafkreidddocae7lltzjlkooe5a3tmiwsgazn7logjvqk7bzttsidpzhxne"),
        (1_048_577, "bafybeidjogjfwuhbzwopgd4bn3skcf5m6oz72xshywcndzxgqb623nfclu"),
        (3_145_728, "bafybeihzpjrbcpjpzcx4yxh3hasnjidsikmwmsrli7hhamhny5iueulu5a"),
    ])
    func v1Vectors(size: Int, expected: String) throws {
        let built = buildFile(size: size, chunkSize: 1_048_576, layout: .unixfsV1_2025)
        #expect(built.result.root.string == expected)
        #expect(built.result.fileSize == UInt64(size))
        try checkShape(built, maxLinks: 1024, size: size)
    }

    @Test func legacyTwoLevelDAG() throws {
        let size = 52_428_800
        let built = buildFile(size: size, chunkSize: 262_144, layout: .unixfsV0_2015)
        #expect(built.result.root.string == "QmQMTBSHqHsUg1xgFQWfpJFC3A2gJkiL4YoKovHAF7iQpT")
        #expect(built.result.leafCount == 200)
        // 200 leaves → nodes of 174 and 26 leaves → root with 2 links.
        #expect(built.nodes.count == 3)
        let root = try PBNode(decoding: try #require(built.nodes.last).bytes)
        #expect(root.links.count == 2)
        try checkShape(built, maxLinks: 174, size: size, expectedDepth: 2)
    }

    @Test("Kubo --cid-version=1 (256 KiB, 174 links, raw leaves)", arguments: [
        (1_000_000, "bafybeibx62obrkybp46hx3ivh53q4rnptgkunpgtwiib5lfelfgt2ekihm"),
        (52_428_800, "bafybeib36v34v7aqrbffbhtongtcq3xseakzlsoddoblzg3tykpepq5gt4"),
    ])
    func kuboV1Vectors(size: Int, expected: String) throws {
        let built = buildFile(size: size, chunkSize: 262_144, layout: Self.kuboV1)
        #expect(built.result.root.string == expected)
        try checkShape(built, maxLinks: 174, size: size, expectedDepth: size > 174 * 262_144 ? 2 : 1)
    }

    @Test func workedExampleRootBlock() throws {
        let built = buildFile(size: 1_048_577, chunkSize: 1_048_576, layout: .unixfsV1_2025)
        let root = try #require(built.result.blocks.last)
        #expect(built.result.blocks.count == 1)
        #expect(root.bytes == (try Base16.decode(Self.workedExampleHex)))
        #expect(root.bytes.count == 104)
        #expect(root.cid == built.result.root)
        #expect(built.result.rootTsize == 1_048_681)
        #expect(built.result.leafCount == 2)
        #expect(built.leaves.map(\.cid.string).first == "bafkreidddocae7lltzjlkooe5a3tmiwsgazn7logjvqk7bzttsidpzhxne")
        #expect(built.leaves.last?.cid.string.hasPrefix("bafkreic3vugrcmvm") == true)
    }

    // MARK: builder behaviour

    @Test func emptyFile() throws {
        var v1 = FileDAGBuilder(layout: .unixfsV1_2025)
        let r1 = v1.finish()
        #expect(r1.blocks == [Block.raw([])])
        #expect(r1.root == CID.raw(sha256Of: [UInt8]()))
        #expect(r1.fileSize == 0 && r1.rootTsize == 0 && r1.leafCount == 0)

        var v0 = FileDAGBuilder(layout: .unixfsV0_2015)
        let r0 = v0.finish()
        #expect(r0.blocks.map(\.bytes) == [[0x0a, 0x04, 0x08, 0x02, 0x18, 0x00]])
        #expect(r0.root.string == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        #expect(r0.rootTsize == 6)
    }

    @Test func singleChunkLeafIsRoot() {
        var legacy = FileDAGBuilder(layout: .unixfsV0_2015)
        let leaf = legacy.addChunk(Self.hello)
        #expect(leaf.bytes == Self.legacyHelloLeaf)
        #expect(leaf.cid.string == "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX")
        #expect(legacy.takeCompletedNodes().isEmpty)
        let result = legacy.finish()
        #expect(result.blocks.isEmpty)
        #expect(result.root == leaf.cid)
        #expect(result.rootTsize == UInt64(Self.legacyHelloLeaf.count))

        var v1 = FileDAGBuilder(layout: .unixfsV1_2025)
        let raw = v1.addChunk(Self.hello)
        #expect(raw.bytes == Self.hello)
        #expect(raw.cid.string == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq")
        let rawResult = v1.finish()
        #expect(rawResult.blocks.isEmpty && rawResult.root == raw.cid && rawResult.rootTsize == 5)
    }

    @Test func dagPBLeavesWithCIDv1() {
        var builder = FileDAGBuilder(layout: DAGLayout(cidVersion: 1, rawLeaves: false, maxLinks: 174))
        let leaf = builder.addChunk(Self.hello)
        #expect(leaf.cid.string == "bafybeid3weurg3gvyoi7nisadzolomlvoxoppe2sesktnpvdve3256n5tq")
    }

    @Test func builderResetsAfterFinish() {
        var builder = FileDAGBuilder(layout: DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 2))
        for byte in 0..<5 { _ = builder.addChunk([UInt8(byte)]) }
        let first = builder.finish()
        for byte in 0..<5 { _ = builder.addChunk([UInt8(byte)]) }
        let second = builder.finish()
        #expect(first.root == second.root)
        #expect(first.blocks.map(\.cid) == second.blocks.map(\.cid))
        #expect(second.leafCount == 5)
    }

    /// §5.2 rule 7: all leaves at depth ⌈log_w N⌉, a trailing single child gets its own node,
    /// and internal nodes are emitted children-first, root last.
    @Test("balanced shape", arguments: [2, 3, 4])
    func balancedShape(width: Int) throws {
        let layout = DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: width)
        for count in 1...(width * width * width + 2) {
            let built = buildFile(size: count, chunkSize: 1, layout: layout)
            var depth = 0
            var capacity = 1
            while capacity < count { capacity *= width; depth += 1 }
            try checkShape(built, maxLinks: width, size: count, expectedDepth: depth)

            // One node per group at every level.
            var expectedNodes = 0
            var level = count
            while level > 1 { level = (level + width - 1) / width; expectedNodes += level }
            #expect(built.nodes.count == expectedNodes, "N=\(count) w=\(width)")

            // Streaming order: every link of a node points at an earlier block; root is last.
            var seen = Set(built.leaves.map(\.cid))
            for node in built.nodes {
                for link in try DecodedNode(cid: node.cid, block: node.bytes).links {
                    #expect(seen.contains(link))
                }
                seen.insert(node.cid)
            }
            if count > 1 {
                #expect(built.result.blocks.last?.cid == built.result.root)
            }
        }
    }

    @Test func trailingSingleChildGetsItsOwnNode() throws {
        // w = 3, N = 4: root → [node(3 leaves), node(1 leaf)].
        let built = buildFile(size: 4, chunkSize: 1, layout: DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 3))
        let root = try PBNode(decoding: try #require(built.store[built.result.root]))
        #expect(root.links.count == 2)
        let tail = try PBNode(decoding: try #require(built.store[root.links[1].hash]))
        #expect(tail.links.count == 1)
        #expect(tail.links[0].hash == built.leaves[3].cid)
        let tailData = try UnixFSData(decoding: try #require(tail.data))
        #expect(tailData == UnixFSData(type: .file, filesize: 1, blocksizes: [1]))
    }

    @Test func nodesStreamBeforeFinish() {
        var builder = FileDAGBuilder(layout: DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 4))
        var streamed = 0
        for i in 0..<64 {
            _ = builder.addChunk([UInt8(i)])
            streamed += builder.takeCompletedNodes().count
        }
        // 16 full level-1 nodes; the last waits for finish, as do level-2 and the root.
        #expect(streamed == 15 + 3)
        let result = builder.finish()
        #expect(result.blocks.count == 1 + 1 + 1)
        #expect(result.leafCount == 64)
    }

    // MARK: dag-pb

    @Test func pbNodeRoundTripOfWorkedExample() throws {
        let bytes = try Base16.decode(Self.workedExampleHex)
        let node = try PBNode(decoding: bytes)
        #expect(node.links.count == 2)
        #expect(node.links[0].hash.string == "bafkreidddocae7lltzjlkooe5a3tmiwsgazn7logjvqk7bzttsidpzhxne")
        #expect(node.links[0].name == "" && node.links[0].tsize == 1_048_576)
        #expect(node.links[1].tsize == 1)
        #expect(node.data == [0x08, 0x02, 0x18, 0x81, 0x80, 0x40, 0x20, 0x80, 0x80, 0x40, 0x20, 0x01])
        #expect(node.encoded() == bytes)
    }

    @Test func pbNodeAcceptsDataFirst() throws {
        let link = PBLink(hash: .raw(sha256Of: Self.hello), name: "a", tsize: 5)
        let linksFirst = PBNode(links: [link, link], data: [1, 2, 3]).encoded()
        let dataLength = 5  // 0a 03 01 02 03
        let dataFirst = Array(linksFirst.suffix(dataLength) + linksFirst.dropLast(dataLength))
        #expect(dataFirst.first == 0x0a)
        let decoded = try PBNode(decoding: dataFirst)
        #expect(decoded == PBNode(links: [link, link], data: [1, 2, 3]))
        #expect(decoded.encoded() == linksFirst)  // re-encoding is canonical (Links first)
    }

    @Test func pbNodeEncodingDetails() throws {
        let cid = CID.raw(sha256Of: Self.hello)
        // Explicit empty name is written as 12 00; nil name and nil tsize are omitted.
        let withEmptyName = PBNode(links: [PBLink(hash: cid, name: "", tsize: 5)]).encoded()
        #expect(withEmptyName == [0x12, 0x2a, 0x0a, 0x24] + cid.bytes + [0x12, 0x00, 0x18, 0x05])
        let bare = PBNode(links: [PBLink(hash: cid)]).encoded()
        #expect(bare == [0x12, 0x26, 0x0a, 0x24] + cid.bytes)
        #expect(PBNode(data: []).encoded() == [0x0a, 0x00])
        #expect(PBNode().encoded() == [])
        #expect(try PBNode(decoding: [0x0a, 0x00]) == PBNode(data: []))
    }

    @Test func zeroLengthDagPBBlock() throws {
        #expect(try PBNode(decoding: []) == PBNode())
        #expect(CID.dagPB(sha256Of: [UInt8]()).string == "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        #expect(CID.dagPB(sha256Of: [UInt8](), version: 0).string == "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")
    }

    @Test func pbNodeRejectsTruncation() throws {
        let bytes = try Base16.decode(Self.workedExampleHex)
        let fieldBoundaries: Set<Int> = [0, 46, 90, 104]
        for cut in 0..<bytes.count where !fieldBoundaries.contains(cut) {
            #expect(throws: CoreError.self, "cut at \(cut)") { try PBNode(decoding: Array(bytes[..<cut])) }
        }
    }

    @Test func pbNodeRejectsMalformedInput() throws {
        let cid = CID.raw(sha256Of: Self.hello).bytes
        let link: [UInt8] = [0x0a, 0x24] + cid
        let bad: [(String, [UInt8])] = [
            ("unknown PBNode field", [0x1a, 0x00]),
            ("Data as varint", [0x08, 0x01]),
            ("Links as varint", [0x10, 0x01]),
            ("fixed64 wire type", [0x09] + [UInt8](repeating: 0, count: 8)),
            ("group wire type", [0x0b]),
            ("field number 0", [0x02, 0x00]),
            ("duplicate Data", [0x0a, 0x00, 0x0a, 0x00]),
            ("interleaved Links/Data/Links", [0x12, 0x26] + link + [0x0a, 0x00, 0x12, 0x26] + link),
            ("link without Hash", [0x12, 0x02, 0x18, 0x01]),
            ("link fields out of order", [0x12, 0x28, 0x12, 0x00] + link),
            ("duplicate link Hash", [0x12, 0x4c] + link + link),
            ("unknown link field", [0x12, 0x28] + link + [0x20, 0x01]),
            ("Tsize as bytes", [0x12, 0x28] + link + [0x1a, 0x00]),
            ("Hash not a CID", [0x12, 0x04, 0x0a, 0x02, 0x01, 0x55]),
            ("Hash with trailing byte", [0x12, 0x27, 0x0a, 0x25] + cid + [0x00]),
            ("Name not UTF-8", [0x12, 0x29] + link + [0x12, 0x01, 0xff]),
            ("varint overflow", [0x12, 0x31] + link + [0x18] + [UInt8](repeating: 0xff, count: 9) + [0x02]),
        ]
        for (what, bytes) in bad {
            #expect(throws: CoreError.self, "\(what)") { try PBNode(decoding: bytes) }
        }
        // Data-first with Links after is fine; both before and after Data is not (checked above).
        #expect(try PBNode(decoding: [0x0a, 0x00, 0x12, 0x26] + link).links.count == 1)
    }

    // MARK: UnixFS Data

    @Test func unixFSDataRoundTrip() throws {
        let full = UnixFSData(
            type: .file, data: [1, 2, 3], filesize: 3, blocksizes: [1, 2], hashType: 0x22, fanout: 256,
            mode: 0o644, mtime: .init(seconds: -5, fractionalNanoseconds: 999_999_999))
        #expect(try UnixFSData(decoding: full.encoded()) == full)
        #expect(UnixFSData(type: .file, filesize: 0).encoded() == [0x08, 0x02, 0x18, 0x00])
        #expect(UnixFSData(type: .directory).encoded() == [0x08, 0x01])
        #expect(try UnixFSData(decoding: [0x08, 0x05]).type == .hamtShard)
        let noNanos = UnixFSData(type: .file, mtime: .init(seconds: 1_700_000_000))
        #expect(try UnixFSData(decoding: noNanos.encoded()) == noNanos)
    }

    @Test func unixFSDataDecodingRules() throws {
        // Packed blocksizes are accepted too.
        #expect(try UnixFSData(decoding: [0x08, 0x02, 0x22, 0x03, 0x01, 0x80, 0x01]).blocksizes == [1, 128])
        // Unknown fields are skipped.
        #expect(try UnixFSData(decoding: [0x08, 0x02, 0x48, 0x07]) == UnixFSData(type: .file))
        let bad: [[UInt8]] = [
            [],                                // no Type
            [0x18, 0x05],                      // no Type
            [0x08, 0x06],                      // unknown Type
            [0x0a, 0x00],                      // Type with wrong wire type
            [0x08, 0x02, 0x12, 0x05, 0x01],    // truncated Data
            [0x08, 0x02, 0x38, 0x80, 0x80, 0x80, 0x80, 0x10],  // mode > 32 bits
            [0x08, 0x02, 0x42, 0x05, 0x15, 0x00, 0x00, 0x00, 0x00],  // nanoseconds 0
            [0x08, 0x02, 0x42, 0x03, 0x15, 0x00, 0x00],  // truncated fixed32
        ]
        for bytes in bad {
            #expect(throws: CoreError.self, "\(bytes)") { try UnixFSData(decoding: bytes) }
        }
    }

    // MARK: directories

    @Test func emptyDirectory() throws {
        let v0 = try UnixFSDirectory.build(entries: [], cidVersion: 0)
        #expect(v0.bytes == [0x0a, 0x02, 0x08, 0x01])
        #expect(v0.cid.string == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
        let v1 = try UnixFSDirectory.build(entries: [], cidVersion: 1)
        #expect(v1.cid.string == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354")
    }

    @Test func directoryLinksSortedBytewise() throws {
        let a = CID.raw(sha256Of: [1])
        let b = CID.raw(sha256Of: [2])
        let c = CID.raw(sha256Of: [3])
        let d = CID.raw(sha256Of: [4])
        // "é" precomposed (c3 a9) and decomposed (65 cc 81) are equal Swift Strings but distinct names.
        let entries = [
            UnixFSDirectory.Entry(name: "b", cid: a, tsize: 1),
            UnixFSDirectory.Entry(name: "\u{e9}", cid: b, tsize: 2),
            UnixFSDirectory.Entry(name: "B", cid: c, tsize: 3),
            UnixFSDirectory.Entry(name: "e\u{301}", cid: d, tsize: 4),
        ]
        let block = try UnixFSDirectory.build(entries: entries, cidVersion: 1)
        #expect(block.cid.codec == .dagPB && block.cid.version == 1 && block.cid.verifies(block.bytes))
        let node = try PBNode(decoding: block.bytes)
        #expect(node.links.map { Array(($0.name ?? "").utf8) } == [[0x42], [0x62], [0x65, 0xcc, 0x81], [0xc3, 0xa9]])
        #expect(node.links.map(\.tsize) == [3, 1, 4, 2])
        #expect(node.data == [0x08, 0x01])
        #expect(node.encoded() == block.bytes)
        guard case .directory(let decoded) = try DecodedNode(cid: block.cid, block: block.bytes) else {
            Issue.record("not a directory")
            return
        }
        #expect(decoded == node.links)
        #expect(try cumulativeSize(ofBlock: block.bytes, cid: block.cid) == UInt64(block.bytes.count) + 10)

        // Input order does not matter.
        let reversed = try UnixFSDirectory.build(entries: entries.reversed(), cidVersion: 1)
        #expect(reversed == block)
    }

    @Test("directory names that must be rejected", arguments: ["", ".", "..", "a/b", "/"])
    func directoryRejectsBadNames(name: String) {
        let entry = UnixFSDirectory.Entry(name: name, cid: .raw(sha256Of: [1]), tsize: 1)
        #expect(throws: CoreError.self) { try UnixFSDirectory.build(entries: [entry], cidVersion: 1) }
    }

    @Test func directoryRejectsDuplicatesAndBadVersion() {
        let entry = UnixFSDirectory.Entry(name: "x", cid: .raw(sha256Of: [1]), tsize: 1)
        #expect(throws: CoreError.self) { try UnixFSDirectory.build(entries: [entry, entry], cidVersion: 1) }
        #expect(throws: CoreError.self) { try UnixFSDirectory.build(entries: [entry], cidVersion: 2) }
        // Names that only look alike are fine: ".a", "..." are ordinary names.
        let dots = [".a", "..."].map { UnixFSDirectory.Entry(name: $0, cid: .raw(sha256Of: [1]), tsize: 1) }
        #expect((try? UnixFSDirectory.build(entries: dots, cidVersion: 0)) != nil)
    }

    // MARK: decoded nodes

    @Test func decodedNodeKinds() throws {
        let raw = CID.raw(sha256Of: Self.hello)
        guard case .raw(let rawBytes) = try DecodedNode(cid: raw, block: Self.hello) else {
            Issue.record("raw"); return
        }
        #expect(rawBytes == Self.hello)

        let leafCID = CID.dagPB(sha256Of: Self.legacyHelloLeaf, version: 0)
        guard case .file(let data, let children, let filesize) = try DecodedNode(cid: leafCID, block: Self.legacyHelloLeaf) else {
            Issue.record("leaf"); return
        }
        #expect(data == Self.hello && children.isEmpty && filesize == 5)

        let rootBytes = try Base16.decode(Self.workedExampleHex)
        let root = try DecodedNode(cid: .dagPB(sha256Of: rootBytes), block: rootBytes)
        guard case .file(let rootData, let rootChildren, let rootSize) = root else {
            Issue.record("root"); return
        }
        #expect(rootData.isEmpty && rootSize == 1_048_577)
        #expect(rootChildren.map(\.fileBytes) == [1_048_576, 1])
        #expect(root.links == rootChildren.map(\.cid))

        let symlinkBytes = PBNode(data: UnixFSData(type: .symlink, data: Array("../target".utf8)).encoded()).encoded()
        guard case .symlink(let target) = try DecodedNode(cid: .dagPB(sha256Of: symlinkBytes), block: symlinkBytes) else {
            Issue.record("symlink"); return
        }
        #expect(target == "../target")

        let link = PBLink(hash: raw, name: "x", tsize: 5)
        let others: [[UInt8]] = [
            PBNode(links: [link]).encoded(),                                                      // no Data
            PBNode(links: [link], data: [0xff]).encoded(),                                        // Data not UnixFS
            PBNode(links: [link], data: UnixFSData(type: .hamtShard, fanout: 256).encoded()).encoded(),
            PBNode(links: [link], data: UnixFSData(type: .metadata).encoded()).encoded(),
        ]
        for bytes in others {
            let node = try DecodedNode(cid: .dagPB(sha256Of: bytes), block: bytes)
            guard case .other(let links) = node else {
                Issue.record("expected .other"); continue
            }
            #expect(links == [link])
            #expect(node.links == [raw])
        }
    }

    @Test func decodedNodeRejectsInconsistentFiles() throws {
        let child = PBLink(hash: .raw(sha256Of: Self.hello), name: "", tsize: 5)
        let bad: [[UInt8]] = [
            PBNode(links: [child], data: UnixFSData(type: .file, filesize: 5).encoded()).encoded(),               // no blocksizes
            PBNode(links: [], data: UnixFSData(type: .file, filesize: 5, blocksizes: [5]).encoded()).encoded(),    // no links
            PBNode(links: [child], data: UnixFSData(type: .file, filesize: 6, blocksizes: [5]).encoded()).encoded(), // filesize
            PBNode(data: UnixFSData(type: .file, data: [1, 2], filesize: 3).encoded()).encoded(),                 // filesize
            PBNode(data: UnixFSData(type: .symlink, data: [0xff]).encoded()).encoded(),                           // not UTF-8
            [0x12, 0x01],                                                                                         // malformed
        ]
        for bytes in bad {
            #expect(throws: CoreError.self) { try DecodedNode(cid: .dagPB(sha256Of: bytes), block: bytes) }
        }
        let cbor = try CID(version: 1, codec: .dagCBOR, multihash: .sha256(of: [0xa0]))
        #expect(throws: CoreError.self) { try DecodedNode(cid: cbor, block: [0xa0]) }
    }

    @Test func cumulativeSizeRule() throws {
        #expect(try cumulativeSize(ofBlock: Self.hello, cid: .raw(sha256Of: Self.hello)) == 5)
        let node = PBNode(links: [
            PBLink(hash: .raw(sha256Of: [1]), name: "", tsize: 10),
            PBLink(hash: .raw(sha256Of: [2])),
            PBLink(hash: .raw(sha256Of: [3]), tsize: 7),
        ]).encoded()
        #expect(try cumulativeSize(ofBlock: node, cid: .dagPB(sha256Of: node)) == UInt64(node.count) + 17)
        #expect(throws: CoreError.self) { try cumulativeSize(ofBlock: [0xff], cid: .dagPB(sha256Of: [0xff])) }
    }

    // MARK: helpers

    private func checkShape(_ built: BuiltFile, maxLinks: Int, size: Int, expectedDepth: Int? = nil) throws {
        var checker = ShapeChecker(store: built.store, maxLinks: maxLinks)
        let (tsize, fileBytes) = try checker.visit(built.result.root, depth: 0)
        #expect(tsize == built.result.rootTsize)
        #expect(fileBytes == UInt64(size))
        #expect(checker.leafDepths.count == 1, "leaves at depths \(checker.leafDepths)")
        if let expectedDepth {
            #expect(checker.leafDepths == [expectedDepth])
        }
        #expect(checker.content.count == size)
        if size <= 4 << 20 {
            #expect(checker.content == PatternFile.bytes(size))
        }
        #expect(built.result.leafCount == built.leaves.count)
    }
}
