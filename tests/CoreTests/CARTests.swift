import Testing
@testable import PakitCore

@Suite("CAR")
struct CARTests {
    /// formats.md §6: the one-block CAR of the raw `hello` block.
    static let helloCARHex =
        "3aa265726f6f747381d82a582500015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98246776657273696f6e0129015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982468656c6c6f"
    static let hello = Array("hello".utf8)

    static func helloCAR() throws -> [UInt8] { try Base16.decode(helloCARHex) }

    /// Feeds `bytes` in pieces of the given sizes (cycling) and collects the events.
    static func read(_ bytes: [UInt8], pieces: [Int] = [Int.max], maxSectionSize: Int = 4 << 20) throws -> [CARReader.Event] {
        var reader = CARReader(maxSectionSize: maxSectionSize)
        var events: [CARReader.Event] = []
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let size = min(pieces[index % pieces.count], bytes.count - offset)
            events += try reader.push(Array(bytes[offset..<(offset + size)]))
            offset += size
            index += 1
        }
        try reader.finish()
        return events
    }

    static func roots(_ events: [CARReader.Event]) -> [[CID]] {
        events.compactMap { if case .header(let roots) = $0 { roots } else { nil } }
    }

    static func blocks(_ events: [CARReader.Event]) -> [Block] {
        events.compactMap { if case .block(let block) = $0 { block } else { nil } }
    }

    @Test func writerProducesTheHelloVector() throws {
        let cid = CID.raw(sha256Of: Self.hello)
        let header = CARWriter.header(roots: [cid])
        let section = CARWriter.section(cid: cid, block: Self.hello)
        #expect(header.count == 59 && header.first == 0x3a)
        #expect(section.first == 0x29 && section.count == 42)
        let car = header + section
        #expect(car.count == 101)
        #expect(car == (try Self.helloCAR()))
        #expect(CARWriter.section(.raw(Self.hello)) == section)
    }

    @Test("reader parses the hello vector", arguments: [[Int.max], [1], [2, 3, 7], [58, 1, 42]])
    func readerParsesHello(pieces: [Int]) throws {
        let events = try Self.read(try Self.helloCAR(), pieces: pieces)
        #expect(events.count == 2)
        #expect(Self.roots(events) == [[CID.raw(sha256Of: Self.hello)]])
        #expect(Self.blocks(events) == [Block.raw(Self.hello)])
        if case .header = events.first {} else { Issue.record("header must come first") }
    }

    @Test func readerRejectsEveryTruncation() throws {
        let car = try Self.helloCAR()
        // Cutting right after the header leaves a valid, block-less CAR.
        let headerEnd = 59
        #expect(Self.roots(try Self.read(Array(car[..<headerEnd]))).count == 1)
        for cut in 0..<car.count where cut != headerEnd {
            var reader = CARReader()
            _ = try reader.push(Array(car[..<cut]))
            #expect(throws: CoreError.self, "cut at \(cut)") { try reader.finish() }
        }
        // Cut in 1-byte pieces too.
        for cut in 0..<car.count where cut != headerEnd {
            var reader = CARReader()
            for byte in car[..<cut] { _ = try reader.push([byte]) }
            #expect(throws: CoreError.self, "cut at \(cut)") { try reader.finish() }
        }
    }

    @Test func readerRejectsFlippedBlockByte() throws {
        var car = try Self.helloCAR()
        for index in (car.count - 5)..<car.count {
            var corrupt = car
            corrupt[index] ^= 0x01
            #expect(throws: CoreError.self) { try Self.read(corrupt) }
        }
        // A flipped digest byte in the section CID fails the same way.
        car[car.count - 10] ^= 0x80
        #expect(throws: CoreError.self) { try Self.read(car) }
    }

    @Test func readerRejectsBadHeaders() throws {
        let root = CID.raw(sha256Of: Self.hello)
        let rootBytes = [0x00] + root.bytes
        func framed(_ header: [UInt8]) -> [UInt8] { Varint.encode(UInt64(header.count)) + header }
        let version = Array("version".utf8)
        let roots = Array("roots".utf8)
        let rootItem: [UInt8] = [0xd8, 0x2a, 0x58, 0x25] + rootBytes
        let bad: [(String, [UInt8])] = [
            ("CARv2 pragma", framed([0xa1, 0x67] + version + [0x02])),
            ("version 2 with roots", framed([0xa2, 0x65] + roots + [0x81] + rootItem + [0x67] + version + [0x02])),
            ("no version", framed([0xa1, 0x65] + roots + [0x81] + rootItem)),
            ("no roots", framed([0xa1, 0x67] + version + [0x01])),
            ("not a map", framed([0x81, 0x01])),
            ("extra key", framed([0xa3, 0x65] + roots + [0x80, 0x67] + version + [0x01, 0x61, 0x78, 0x01])),
            ("duplicate key", framed([0xa3, 0x65] + roots + [0x80, 0x67] + version + [0x01, 0x67] + version + [0x01])),
            ("root without tag", framed([0xa2, 0x65] + roots + [0x81, 0x58, 0x25] + rootBytes + [0x67] + version + [0x01])),
            ("root with tag 43", framed([0xa2, 0x65] + roots + [0x81, 0xd8, 0x2b, 0x58, 0x25] + rootBytes + [0x67] + version + [0x01])),
            ("root without 0x00 prefix", framed([0xa2, 0x65] + roots + [0x81, 0xd8, 0x2a, 0x58, 0x24] + root.bytes + [0x67] + version + [0x01])),
            ("indefinite array", framed([0xa2, 0x65] + roots + [0x9f] + rootItem + [0xff, 0x67] + version + [0x01])),
            ("non-minimal length", framed([0xa2, 0x65] + roots + [0x98, 0x01] + rootItem + [0x67] + version + [0x01])),
            ("version as text", framed([0xa2, 0x65] + roots + [0x80, 0x67] + version + [0x61, 0x31])),
            ("trailing bytes", framed([0xa2, 0x65] + roots + [0x80, 0x67] + version + [0x01, 0x00])),
            ("empty header", [0x00]),
            ("garbage", [UInt8](repeating: 0xff, count: 16)),
            ("text garbage", framed(Array("GET / HTTP/1.1\r\n".utf8))),
        ]
        for (what, bytes) in bad {
            #expect(throws: CoreError.self, "\(what)") { try Self.read(bytes + CARWriter.section(.raw(Self.hello))) }
        }
        // The CARv2 message names the version.
        var reader = CARReader()
        #expect(throws: CoreError(.car, "bad CAR header: unsupported CAR version 2")) {
            try reader.push(framed([0xa1, 0x67] + version + [0x02]))
        }
        // Key order is not enforced; an empty roots array is allowed.
        let reordered = framed([0xa2, 0x67] + version + [0x01, 0x65] + roots + [0x81] + rootItem)
        #expect(Self.roots(try Self.read(reordered)) == [[root]])
        #expect(Self.roots(try Self.read(CARWriter.header(roots: []))) == [[]])
    }

    @Test func readerStaysFailed() throws {
        var reader = CARReader()
        #expect(throws: CoreError.self) { try reader.push([0x00]) }
        #expect(throws: CoreError.self) { try reader.push(try Self.helloCAR()) }
        #expect(throws: CoreError.self) { try reader.finish() }
    }

    @Test func readerRejectsOversizeAndEmptySections() throws {
        let car = try Self.helloCAR()
        #expect(throws: CoreError.self) { try Self.read(car, maxSectionSize: 40) }  // the 41-byte section
        #expect(throws: CoreError.self) { try Self.read(car, maxSectionSize: 57) }  // the 58-byte header
        #expect(try Self.read(car, maxSectionSize: 58).count == 2)
        // A huge declared length fails at once instead of waiting for 4 GiB.
        var reader = CARReader()
        _ = try reader.push(Array(car[..<59]))
        #expect(throws: CoreError.self) { try reader.push(Varint.encode(1 << 40)) }
        #expect(throws: CoreError.self) { try Self.read(Array(car[..<59]) + [0x00]) }
    }

    @Test func readerRejectsUnverifiableAndMalformedSectionCIDs() throws {
        let header = CARWriter.header(roots: [])
        let blake3 = try CID(version: 1, codec: .raw, multihash: try Multihash(code: 0x1e, digest: [UInt8](repeating: 7, count: 32)))
        #expect(throws: CoreError.self) { try Self.read(header + CARWriter.section(cid: blake3, block: Self.hello)) }
        let identity = try CID(version: 1, codec: .raw, multihash: try Multihash(code: 0x00, digest: Self.hello))
        #expect(throws: CoreError.self) { try Self.read(header + CARWriter.section(cid: identity, block: Self.hello)) }
        // Section whose CID claims more digest bytes than the section holds.
        #expect(throws: CoreError.self) { try Self.read(header + [0x05, 0x01, 0x55, 0x12, 0x20, 0x00]) }
        // Unknown codec.
        let unknown: [UInt8] = [0x01, 0x72, 0x12, 0x20] + Multihash.sha256(of: Self.hello).digest + Self.hello
        #expect(throws: CoreError.self) { try Self.read(header + Varint.encode(UInt64(unknown.count)) + unknown) }
    }

    @Test func roundTripsAFileDAGWithV0AndV1Blocks() throws {
        var blocks: [Block] = []
        var builder = FileDAGBuilder(layout: DAGLayout(cidVersion: 0, rawLeaves: true, maxLinks: 3))
        for i in 0..<20 {
            blocks.append(builder.addChunk((0..<(i * 37 % 300)).map { UInt8(truncatingIfNeeded: $0 &* i) }))
            blocks += builder.takeCompletedNodes()
        }
        let result = builder.finish()
        blocks += result.blocks
        #expect(result.root.version == 0)
        #expect(Set(blocks.map(\.cid.version)) == [0, 1])  // v1 raw leaves under v0 nodes

        var car = CARWriter.header(roots: [result.root])
        for block in blocks { car += CARWriter.section(block) }
        for pieces in [[Int.max], [1], [5, 100, 3], [4096]] {
            let events = try Self.read(car, pieces: pieces)
            #expect(Self.roots(events) == [[result.root]])
            #expect(Self.blocks(events) == blocks)
        }
    }

    @Test func emptyInputHasNoHeader() {
        let reader = CARReader()
        #expect(throws: CoreError.self) { try reader.finish() }
    }
}
