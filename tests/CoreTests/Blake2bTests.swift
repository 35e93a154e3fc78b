import Testing
@testable import PakitCore

@Suite("BLAKE2b")
struct Blake2bTests {
    @Test("RFC 7693 Appendix A: BLAKE2b-512(\"abc\")")
    func rfc7693AppendixA() {
        #expect(Self.hex(Blake2b.hash(Array("abc".utf8))) ==
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test("Empty input, 256- and 512-bit digests")
    func emptyInput() {
        #expect(Self.hex(Blake2b.hash256([UInt8]())) ==
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(Self.hex(Blake2b.hash([UInt8]())) ==
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
    }

    /// Digests of `i % 251` patterns around the block boundaries (reference values from
    /// Python's hashlib.blake2b).
    @Test("Block-boundary lengths, 512-bit digests", arguments: [
        (1, "2fa3f686df876995167e7c2e5d74c4c7b6e48f8068fe0e44208344d480f7904c36963e44115fe3eb2a3ac8694c28bcb4f5a0f3276f2e79487d8219057a506e4b"),
        (3, "40a374727302d9a4769c17b5f409ff32f58aa24ff122d7603e4fda1509e919d4107a52c57570a6d94e50967aea573b11f86f473f537565c66f7039830a85d186"),
        (64, "2fc6e69fa26a89a5ed269092cb9b2a449a4409a7a44011eecad13d7c4b0456602d402fa5844f1a7a758136ce3d5d8d0e8b86921ffff4f692dd95bdc8e5ff0052"),
        (127, "b6292669ccd38d5f01caae96ba272c76a879a45743afa0725d83b9ebb26665b731f1848c52f11972b6644f554c064fa90780dbbbf3a89d4fc31f67df3e5857ef"),
        (128, "2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115"),
        (129, "f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f"),
        (255, "fe2c02da499516b0e9fb2dd70c49eb3629039f632e20a880946fb7bc97a7ab09deb7d48774d7f0648141c9d9ede19ae6e0dbf07863a128cf4b00195f0f179f74"),
        (256, "93463ac058b6163eb43be3f5bb32b28541498f4e3366f1effe253ad44e1e076e41c3616046027c82a7124f8f4746668ad10b12e8e25a95ac8f3151df01cd5a93"),
        (257, "9ca40e2ddee9436dbbd08efc65dbaf4870059f5eb3d76efd20241ae5bf13c60f250b882ea5c564838257a3fc95c496819ace2c6490b55b268535208dfc31822c"),
        (1000, "c11e1c0340bd7e5a1b275f1230c962fad215ecb1391486e74e31b960a2f2996381a5fad092da06841d5f26e38f6ecfeaf441acbcd1c2de61aef121e7927175f5"),
        (4101, "a1d3474acce0306c42d1c35ec80d3e564a2a2d02325034bc8dc0b010db5cbfd6ccd12e5b2102c14f8a8a1f91f45dd80f501d5ad195dd53eaec46da6a3760095c"),
    ])
    func blockBoundaries(length: Int, expected: String) {
        #expect(Self.hex(Blake2b.hash(Self.pattern(length))) == expected)
    }

    @Test("Variable output lengths", arguments: [
        (129, 1, "c7"),
        (129, 20, "a7bf25f1599102ab631e3052e8303a2c097d1a7e"),
        (257, 48, "8de2ed9883dd9907710225676e5ad90a2e308270f3e483113e794828a3e1472f8b810ee4ad3335766e69e486327c7bdc"),
        (1000, 32, "b372d0608f720c8c3dd41e9c8eecb10143b41abe520b616607e754bf79c08331"),
        (1 << 20, 32, "8a5a7a9dc3cf203ed374b0a1eea930601ad2acbfe2b4bc62cf83de4ee536528b"),
    ])
    func outputLengths(length: Int, outputLength: Int, expected: String) {
        let digest = Blake2b.hash(Self.pattern(length), outputLength: outputLength)
        #expect(digest.count == outputLength)
        #expect(Self.hex(digest) == expected)
    }

    @Test("Incremental updates over random splits equal the one-shot digest")
    func incrementalMatchesOneShot() {
        var random = Random(seed: 0xB1AE_2B00)
        for length in [0, 1, 127, 128, 129, 256, 1000, 5000] {
            let message = random.bytes(length)
            let expected = Blake2b.hash(message)
            for _ in 0..<20 {
                var hasher = Blake2b()
                var offset = 0
                while offset < message.count {
                    let take = min(message.count - offset, Int(random.next() % 300))
                    hasher.update(message[offset ..< offset + take])
                    offset += take
                }
                #expect(hasher.finalize() == expected, "length \(length)")
            }
        }
    }

    @Test("finalize() leaves the hasher usable; empty updates change nothing")
    func finalizeIsNonConsuming() {
        var hasher = Blake2b(outputLength: 32)
        hasher.update(Array("block-".utf8))
        let prefixDigest = hasher.finalize()
        hasher.update([UInt8]())
        hasher.update(Array("data".utf8))
        #expect(prefixDigest == Blake2b.hash256(Array("block-".utf8)))
        #expect(hasher.finalize() == Blake2b.hash256(Array("block-data".utf8)))
        #expect(hasher.finalize() == hasher.finalize())
    }

    @Test("Non-contiguous collections hash like arrays")
    func nonContiguousInput() {
        let lazyBytes = (0..<777).lazy.map { UInt8($0 % 251) }
        #expect(Blake2b.hash256(lazyBytes) == Blake2b.hash256(Self.pattern(777)))
        #expect(Blake2b.hash256("block-data".utf8) == Blake2b.hash256(Array("block-data".utf8)))
    }

    @Test("Pair hashing equals hashing the concatenation")
    func pairHashing() {
        var random = Random(seed: 7)
        for (a, b) in [(0, 0), (32, 32), (100, 28), (128, 1), (1, 300)] {
            let first = random.bytes(a), second = random.bytes(b)
            #expect(Blake2b.hash256(first, second) == Blake2b.hash256(first + second))
        }
    }
}

extension Blake2bTests {
    /// The bytes `i % 251` for `i` in `0..<count`.
    static func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8($0 % 251) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// Deterministic SplitMix64, so failures reproduce.
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func bytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
        }
    }
}
