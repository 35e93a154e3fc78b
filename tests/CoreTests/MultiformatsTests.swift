import Foundation
import Testing
@testable import PakitCore

/// Vectors from docs: /work/shared/reference/formats.md §1–§3.
@Suite("Multiformats")
struct MultiformatsTests {
    static let helloDigestHex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    static let helloRaw = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    static let hello = Array("hello".utf8)

    // MARK: varint

    @Test("varint examples (§1)", arguments: [
        (UInt64(1), "01"), (127, "7f"), (128, "8001"), (255, "ff01"), (300, "ac02"), (16384, "808001"), (0, "00"),
    ])
    func varintExamples(value: UInt64, hex: String) throws {
        let encoded = try Base16.decode(hex)
        #expect(Varint.encode(value) == encoded)
        #expect(Varint.length(of: value) == encoded.count)
        var offset = 0
        #expect(try Varint.decode(encoded, at: &offset) == value)
        #expect(offset == encoded.count)
    }

    @Test func varintAppendsAndDecodesAtOffset() throws {
        var out: [UInt8] = [0xaa]
        Varint.encode(300, into: &out)
        Varint.encode(1, into: &out)
        #expect(out == [0xaa, 0xac, 0x02, 0x01])
        var offset = 1
        #expect(try Varint.decode(out, at: &offset) == 300)
        #expect(try Varint.decode(out[...], at: &offset) == 1)
        #expect(offset == 4)
    }

    @Test func varintRoundTripsUpTo63Bits() throws {
        for shift in 0..<63 {
            for value in [UInt64(1) << shift, (UInt64(1) << shift) - 1, (UInt64(1) << shift) + 1] {
                let encoded = Varint.encode(value)
                #expect(encoded.count <= Varint.maxLength)
                var offset = 0
                #expect(try Varint.decode(encoded, at: &offset) == value)
            }
        }
        // Nine bytes (63 bits) is the longest valid form.
        let max = UInt64(Int64.max)
        #expect(Varint.encode(max) == [UInt8](repeating: 0xff, count: 8) + [0x7f])
        var offset = 0
        #expect(try Varint.decode(Varint.encode(max), at: &offset) == max)
    }

    @Test("varint rejects non-minimal, over-long and truncated input", arguments: [
        "8000", "8100", "ff8000", "808080808080808080", "ffffffffffffffffff01", "80", "", "ff",
    ])
    func varintRejects(hex: String) throws {
        let bytes = try Base16.decode(hex)
        var offset = 0
        #expect(throws: CoreError.self) { try Varint.decode(bytes, at: &offset) }
        #expect(offset == 0)
    }

    @Test func varintDecodeIfCompleteWaitsForMore() throws {
        var offset = 0
        #expect(try Varint.decodeIfComplete([0x80, 0x80], at: &offset) == nil)
        #expect(offset == 0)
        #expect(try Varint.decodeIfComplete([0x80, 0x80, 0x01], at: &offset) == 16384)
        #expect(throws: CoreError(.varint, "non-minimal varint encoding")) {
            var o = 0
            _ = try Varint.decodeIfComplete([0x80, 0x00], at: &o)
        }
        // Nine continuation bytes are invalid no matter what follows.
        #expect(throws: CoreError.self) {
            var o = 0
            _ = try Varint.decodeIfComplete([UInt8](repeating: 0x80, count: 9), at: &o)
        }
    }

    // MARK: bases

    @Test func base32MatchesRFC4648Vectors() throws {
        let vectors = ["": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb", "foobar": "mzxw6ytboi"]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.encode(Array(plain.utf8), uppercase: true) == encoded.uppercased())
            #expect(try Base32.decode(encoded) == Array(plain.utf8))
            #expect(try Base32.decode(encoded.uppercased()) == Array(plain.utf8))
        }
    }

    @Test("base32 rejects padding, bad characters, bad lengths and stray bits", arguments: [
        "my======", "m1", "m", "mzx", "mzxw6y", "mz", "m8",
    ])
    func base32Rejects(text: String) {
        #expect(throws: CoreError.self) { try Base32.decode(text) }
    }

    @Test func base32LetterCaseRestriction() {
        #expect(throws: CoreError.self) { try Base32.decode("MZXQ", letterCase: .lower) }
        #expect(throws: CoreError.self) { try Base32.decode("mzxq", letterCase: .upper) }
    }

    @Test func base58RoundTripsWithLeadingZeros() throws {
        #expect(Base58.encode([]) == "")
        #expect(Base58.encode([0, 0, 1]) == "112")
        #expect(Base58.encode(Array("hello world".utf8)) == "StV1DL6CwTryKyV")
        #expect(try Base58.decode("StV1DL6CwTryKyV") == Array("hello world".utf8))
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ (length < 3 ? 0 : 1)) }
            #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
        }
        for bad in ["0", "O", "I", "l", "+", "é"] {
            #expect(throws: CoreError.self) { try Base58.decode("z" + bad) }
        }
    }

    @Test func base16RoundTrip() throws {
        #expect(Base16.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Base16.encode([0xab], uppercase: true) == "AB")
        #expect(try Base16.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(throws: CoreError.self) { try Base16.decode("abc") }
        #expect(throws: CoreError.self) { try Base16.decode("zz") }
    }

    @Test func multibaseDispatch() throws {
        let bytes: [UInt8] = [1, 2, 3, 250]
        for base in Multibase.allCases {
            let text = base.encode(bytes)
            #expect(text.first == base.rawValue)
            let decoded = try Multibase.decode(text)
            #expect(decoded.base == base)
            #expect(decoded.bytes == bytes)
        }
        #expect(throws: CoreError.self) { try Multibase.decode("") }
        #expect(throws: CoreError.self) { try Multibase.decode("mAQID") }  // base64 unsupported
        #expect(throws: CoreError.self) { try Multibase.decode("bAEBAH2") }  // 'b' is lowercase only
    }

    // MARK: multihash

    @Test func sha256Multihash() throws {
        let multihash = Multihash.sha256(of: Self.hello)
        #expect(multihash.code == 0x12)
        let expected = try Base16.decode(Self.helloDigestHex)
        #expect(multihash.digest == expected)
        #expect(multihash.bytes == [0x12, 0x20] + multihash.digest)
        #expect(try Multihash(bytes: multihash.bytes) == multihash)
        #expect(multihash.verifies(Self.hello))
        #expect(multihash.verifies(Self.hello[...]))
        #expect(!multihash.verifies(Array("hellO".utf8)))
        // Non-contiguous input goes through the copying path.
        #expect(Multihash.sha256(of: Self.hello.lazy.map { $0 }) == multihash)
    }

    @Test func multihashParsingRules() throws {
        #expect(throws: CoreError.self) { try Multihash(code: 0x12, digest: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CoreError.self) { try Multihash(bytes: [0x12, 0x20, 1, 2]) }  // truncated digest
        #expect(throws: CoreError.self) { try Multihash(bytes: [0x12, 0x01, 0x00]) }  // sha2-256 must be 32 bytes
        #expect(throws: CoreError.self) { try Multihash(bytes: Multihash.sha256(of: []).bytes + [0]) }
        // Other codes are carried but never verify.
        let blake3 = try Multihash(bytes: [0x1e, 0x03, 1, 2, 3])
        #expect(blake3.code == 0x1e && blake3.digest == [1, 2, 3])
        #expect(!blake3.verifies([1, 2, 3]))
        let identity = try Multihash(code: 0x00, digest: Self.hello)
        #expect(!identity.verifies(Self.hello))
    }

    // MARK: CID

    @Test func helloRawCID() throws {
        let cid = CID.raw(sha256Of: Self.hello)
        #expect(cid.version == 1 && cid.codec == .raw)
        #expect(cid.bytes.count == 36)
        #expect(Array(cid.bytes.prefix(6)) == [0x01, 0x55, 0x12, 0x20, 0x2c, 0xf2])
        #expect(cid.string == Self.helloRaw)
        #expect(cid.description == Self.helloRaw)
        #expect(try CID(Self.helloRaw) == cid)
        #expect(try CID(bytes: cid.bytes) == cid)
        #expect(cid.verifies(Self.hello))
        #expect(!cid.verifies(Self.hello.dropLast()))
        #expect(cid.v1 == cid)
    }

    @Test func emptyRawCID() throws {
        let cid = CID.raw(sha256Of: [UInt8]())
        #expect(cid.string == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    }

    @Test func codecPrefixesOfTheSameDigest() throws {
        let multihash = Multihash.sha256(of: Self.hello)
        let dagPB = try CID(version: 1, codec: .dagPB, multihash: multihash)
        let dagCBOR = try CID(version: 1, codec: .dagCBOR, multihash: multihash)
        #expect(Array(dagPB.bytes.prefix(4)) == [0x01, 0x70, 0x12, 0x20])
        #expect(Array(dagCBOR.bytes.prefix(4)) == [0x01, 0x71, 0x12, 0x20])
        #expect(dagPB.string.hasPrefix("bafybeibm6jg3ux5qumh"))
        #expect(dagCBOR.string.hasPrefix("bafyreibm6jg3ux5qumh"))
        #expect(try CID(dagPB.string) == dagPB)
        #expect(try CID(dagCBOR.string) == dagCBOR)
        let dagJSON = try CID(version: 1, codec: .dagJSON, multihash: multihash)
        #expect(Array(dagJSON.bytes.prefix(3)) == [0x01, 0xa9, 0x02])
        #expect(try CID(dagJSON.string) == dagJSON)
    }

    @Test func blake3CIDParsesButDoesNotVerify() throws {
        let cid = try CID("bafkr4ihkr4ld3m4gqkjf4reryxsy2s5tkbxprqkow6fin2iiyvreuzzab4")
        #expect(cid.codec == .raw && cid.multihash.code == 0x1e && cid.multihash.digest.count == 32)
        #expect(cid.string == "bafkr4ihkr4ld3m4gqkjf4reryxsy2s5tkbxprqkow6fin2iiyvreuzzab4")
        #expect(!cid.verifies(Self.hello))
    }

    @Test func legacyCIDv0() throws {
        let block: [UInt8] = [0x0a, 0x0b, 0x08, 0x02, 0x12, 0x05] + Self.hello + [0x18, 0x05]
        let v0 = CID.dagPB(sha256Of: block, version: 0)
        #expect(v0.string == "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX")
        #expect(v0.bytes.count == 34 && v0.bytes[0] == 0x12 && v0.bytes[1] == 0x20)
        #expect(v0.v1.string == "bafybeid3weurg3gvyoi7nisadzolomlvoxoppe2sesktnpvdve3256n5tq")
        #expect(CID.dagPB(sha256Of: block).string == "bafybeid3weurg3gvyoi7nisadzolomlvoxoppe2sesktnpvdve3256n5tq")
        #expect(v0.v1 != v0)

        let parsed = try CID("QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX")
        #expect(parsed == v0 && parsed.version == 0 && parsed.codec == .dagPB)
        #expect(try CID(bytes: v0.bytes) == v0)
        #expect(v0.verifies(block))
        #expect(v0.string(base: .base32) == v0.string)  // v0 has only one text form
    }

    @Test("v0 strings round-trip", arguments: [
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "Qma4sWyoTiJKYx1wTjkxWY71dYg1oWgE7SE9oiTGqGnyoR",
        "QmXgkY4miMKJBrg8YYke4xw6C2n8WNsUc1GXLhN84k4QM3", "QmQMTBSHqHsUg1xgFQWfpJFC3A2gJkiL4YoKovHAF7iQpT",
    ])
    func v0RoundTrip(text: String) throws {
        let cid = try CID(text)
        #expect(cid.version == 0)
        #expect(cid.string == text)
        #expect(try CID(cid.v1.string).v1 == cid.v1)
    }

    @Test func otherMultibasesOfV1() throws {
        let cid = try CID(Self.helloRaw)
        for base in Multibase.allCases {
            let text = cid.string(base: base)
            #expect(try CID(text) == cid, "\(base)")
        }
        #expect(try CID("f01551220" + Self.helloDigestHex) == cid)
        #expect(try CID("F01551220" + Self.helloDigestHex.uppercased()) == cid)
        #expect(try CID(Self.helloRaw.uppercased()) == cid)  // "B" + base32 upper
    }

    @Test("CID strings that must be rejected", arguments: [
        "",                                                          // empty
        "Qm",                                                        // too short for v0, 'Q' is no multibase
        "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYeca",             // 45 chars
        "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX1",           // 47 chars
        "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYeca0",            // '0' not base58
        "zQmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX",           // multibase-wrapped v0 → "CIDv18"
        "f1220" + MultiformatsTests.helloDigestHex,                  // same, hex
        "f00551220" + MultiformatsTests.helloDigestHex,              // version 0 in v1 form
        "f02551220" + MultiformatsTests.helloDigestHex,              // version 2
        "f03551220" + MultiformatsTests.helloDigestHex,              // version 3
        "f01551220" + MultiformatsTests.helloDigestHex + "00",       // trailing byte
        "f01551220" + String(MultiformatsTests.helloDigestHex.dropLast(2)),  // short digest
        "f0155121f" + String(MultiformatsTests.helloDigestHex.dropLast(2)),  // sha2-256 with 31 bytes
        "f01721220" + MultiformatsTests.helloDigestHex,              // libp2p-key codec: unsupported
        "f0155",                                                     // no multihash
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeQ", // mixed case
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4ye=", // padding
        "mAVUSICzyTbpfsKMOJug7KsW54p4bFh5cH6dCXnMEM2KTi5gk",         // base64: unsupported
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4ye", // truncated base32
    ])
    func rejectsBadStrings(text: String) {
        #expect(throws: CoreError.self) { try CID(text) }
    }

    @Test func rejectsBadBinary() throws {
        let digest = try Base16.decode(Self.helloDigestHex)
        #expect(throws: CoreError.self) { try CID(bytes: []) }
        #expect(throws: CoreError.self) { try CID(bytes: [0x12, 0x20] + digest.dropLast()) }
        #expect(throws: CoreError.self) { try CID(bytes: [0x12, 0x20] + digest + [0]) }
        #expect(throws: CoreError.self) { try CID(bytes: [0x12, 0x1f] + digest.dropLast()) }
        #expect(throws: CoreError.self) { try CID(bytes: [0x00, 0x55, 0x12, 0x20] + digest) }
        #expect(throws: CoreError.self) { try CID(bytes: [0x01, 0x80, 0x00, 0x12, 0x20] + digest) }  // non-minimal codec varint
        #expect(throws: CoreError.self) { try CID(bytes: [0x01, 0x55, 0x12, 0x40] + digest) }
    }

    @Test func versionAndCodecConstraints() throws {
        let sha = Multihash.sha256(of: Self.hello)
        #expect(throws: CoreError.self) { try CID(version: 0, codec: .raw, multihash: sha) }
        #expect(throws: CoreError.self) { try CID(version: 0, codec: .dagPB, multihash: try Multihash(code: 0x1e, digest: sha.digest)) }
        #expect(throws: CoreError.self) { try CID(version: 2, codec: .raw, multihash: sha) }
        #expect(try CID(version: 0, codec: .dagPB, multihash: sha).string.hasPrefix("Qm"))
        #expect(CID.Codec(rawValue: 0x72) == nil)
    }

    @Test func unknownCodecErrorIsClear() {
        #expect(throws: CoreError(.cid, "unsupported CID codec 0x72")) {
            try CID(bytes: [0x01, 0x72, 0x12, 0x20] + [UInt8](repeating: 0, count: 32))
        }
    }

    @Test func parseStopsAtCIDEnd() throws {
        let cid = CID.raw(sha256Of: Self.hello)
        let v0 = CID.dagPB(sha256Of: Self.hello, version: 0)
        let stream = cid.bytes + v0.bytes + [0xee]
        var offset = 0
        #expect(try CID.parse(stream, at: &offset) == cid)
        #expect(try CID.parse(stream, at: &offset) == v0)
        #expect(offset == stream.count - 1)
    }

    @Test func codableUsesTheStringForm() throws {
        let cids = [CID.raw(sha256Of: Self.hello), CID.dagPB(sha256Of: Self.hello, version: 0)]
        let json = try JSONEncoder().encode(cids)
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(cids[0])\",\"\(cids[1])\"]")
        #expect(try JSONDecoder().decode([CID].self, from: json) == cids)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CID].self, from: Data("[\"bafy\"]".utf8)) }
    }

    @Test func comparableOrdersByBinaryForm() {
        let cids = (0..<20).map { CID.raw(sha256Of: [UInt8($0)]) } + (0..<5).map { CID.dagPB(sha256Of: [UInt8($0)], version: 0) }
        let sorted = cids.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(a.bytes.lexicographicallyPrecedes(b.bytes))
        }
        // v0 (0x12…) sorts after v1 (0x01…).
        #expect(sorted.last?.version == 0)
    }

    @Test func hashableDistinguishesVersionAndCodec() {
        let v0 = CID.dagPB(sha256Of: Self.hello, version: 0)
        let set: Set<CID> = [v0, v0.v1, CID.raw(sha256Of: Self.hello), CID.raw(sha256Of: Self.hello)]
        #expect(set.count == 3)
    }
}
