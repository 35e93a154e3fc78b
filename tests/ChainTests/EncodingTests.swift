import PakitChain
import PakitCore
import Testing

/// SCALE, eras, storage keys and SS58 against the reference's vectors (cross-checked there with
/// scalecodec 1.2.12 and the runtime's own sources), and hostile bytes that must be refused.
@Suite("Chain encodings")
struct EncodingTests {
    static func hex(_ bytes: [UInt8]) -> String { Base16.encode(bytes) }

    @Test("Compact integers encode as the reference says and read back; non-canonical and truncated forms are refused")
    func compact() throws {
        let vectors: [(UInt128, String)] = [
            (0, "00"), (1, "04"), (63, "fc"), (64, "0101"), (16383, "fdff"), (16384, "02000100"),
            (1 << 30, "0300000040"), (1_000_000_000_000, "070010a5d4e8"), (UInt128.max, "33" + String(repeating: "ff", count: 16)),
        ]
        for (value, expected) in vectors {
            var writer = ScaleWriter()
            writer.compact(value)
            #expect(Self.hex(writer.bytes) == expected, "\(value)")
            var reader = ScaleReader(writer.bytes)
            #expect(try reader.compact() == value && reader.isAtEnd)
        }
        for bad in [[0x01, 0x00], [0x02, 0x00, 0x00, 0x00], [0x03, 0x00, 0x00, 0x00, 0x00], [0x07, 0x01, 0x00, 0x00, 0x00, 0x00],
                    [0x01], [0x03, 0xff], [0x43] + [UInt8](repeating: 0xff, count: 17)] as [[UInt8]] {
            var reader = ScaleReader(bad)
            #expect(throws: ChainError.self, "\(bad)") { _ = try reader.compact() }
        }
    }

    @Test("vectors, options and lengths: a length larger than the input is refused before anything is allocated")
    func lengths() throws {
        var writer = ScaleWriter()
        writer.byteVector(Array("bz".utf8))
        writer.option(UInt32(5)) { $0.u32($1) }
        writer.option(UInt32?.none) { $0.u32($1) }
        writer.u128(1)
        #expect(Self.hex(writer.bytes) == "08627a01050000000001000000000000000000000000000000")
        var reader = ScaleReader(writer.bytes)
        #expect(try reader.byteVector() == Array("bz".utf8))
        #expect(try reader.u8() == 1 && reader.u32() == 5 && reader.u8() == 0 && reader.u128() == 1 && reader.isAtEnd)

        var lying = ScaleReader([0xfe, 0xff, 0x03, 0x00, 0x01])  // Compact(2^28 − 1), then 1 byte
        #expect(throws: ChainError.self) { _ = try lying.byteVector() }
        var huge = ScaleReader([0x13] + [UInt8](repeating: 0xff, count: 8))
        #expect(throws: ChainError.self) { _ = try huge.length(maximum: .max) }
        var notBool = ScaleReader([2])
        #expect(throws: ChainError.self) { _ = try notBool.bool() }
    }

    @Test("mortal eras: the reference's vectors, birth and death, and decoding")
    func eras() throws {
        for (era, expected) in [(Era.mortal(period: 64, current: 42), "a502"), (.mortal(period: 64, current: 100), "4502"),
                                (.mortal(period: 32768, current: 20000), "4e9c"), (.immortal, "00")] {
            var writer = ScaleWriter()
            era.encode(into: &writer)
            #expect(Self.hex(writer.bytes) == expected)
            var reader = ScaleReader(writer.bytes)
            #expect(try Era.decode(from: &reader) == era)
        }
        let era = Era.mortal(period: 64, current: 100)
        #expect(era.birth(current: 100) == 100 && era.death(current: 100) == 164)
        #expect(era.birth(current: 130) == 100)
        #expect(Era.mortal(period: 50, current: 7) == .mortal(period: 64, phase: 7))
        #expect(Era.mortal(period: 1, current: 7) == .mortal(period: 4, phase: 3))
        #expect(Era.mortal(period: .max, current: 70_000) == .mortal(period: 65536, phase: 4464))
        var bad = ScaleReader([0x00 | 0xf0, 0xff])  // period 2: below 4
        #expect(throws: ChainError.self) { _ = try Era.decode(from: &bad) }
    }

    @Test("storage keys: the reference's prefixes (twox128) and a Blake2_128Concat map entry")
    func storageKeys() {
        let prefixes = [
            ("System", "Account", "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"),
            ("System", "Events", "26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"),
            ("System", "Number", "26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac"),
            ("StorageProof", "StorageProofs", "0baf99b236718ca3bd9e4aa7ebd993e26c8eca7ffda4bfb1a1a4f526155bd57c"),
            ("Bns", "HostedWebsites", "0a9834bcd606b9d97c7a486f586f879e76a4250e221e91b51f4568e34de7e017"),
            ("Economy", "BBZDBalances", "638f7cfbfc50e6547af83c8b52adf256ad00e74d7eb7013a83f59bfa0f5eedc9"),
        ]
        for (pallet, item, expected) in prefixes {
            #expect(Self.hex(StorageKey.prefix(pallet: pallet, item: item)) == expected, "\(pallet).\(item)")
        }
        let contentID = [UInt8](repeating: 7, count: 32)
        let key = StorageValue.ProofRecord.key(contentID: contentID)
        #expect(key.count == 32 + 16 + 32)
        #expect(Array(key.suffix(32)) == contentID)
        #expect(Array(key[32..<48]) == Blake2b.hash(contentID, outputLength: 16))
        // xxHash64's published check values (empty input, seed 0 and 1).
        #expect(XXHash64.hash([], seed: 0) == 0xEF46_DB37_51D8_E999)
    }

    @Test("SS58-1981: the reference's sudo account, round trips, and refusal of a wrong checksum, prefix or length")
    func ss58() throws {
        let alice = "r1Wm6WgKeFpYHgngPgEF2p4NjzJs8QY5FyctGVcDnN24RGRur"
        let key = try SS58.decode(alice)
        #expect(key.count == 32)
        #expect(SS58.encode(key) == alice)
        var tampered = Array(alice)
        tampered[10] = tampered[10] == "a" ? "b" : "a"
        #expect(throws: ChainError.self) { _ = try SS58.decode(String(tampered)) }
        #expect(throws: ChainError.self) { _ = try SS58.decode(SS58.encode(key, prefix: 42)) }
        #expect(throws: ChainError.self) { _ = try SS58.decode("r1Wm6W") }
        #expect(throws: ChainError.self) { _ = try SS58.decode("0OIl") }
    }

    @Test("extrinsic decoding refuses what this runtime does not carry and any length that lies")
    func hostileExtrinsics() throws {
        let inherent: [UInt8] = [0x05, 0x01, 0x00, 0x0b, 0x00]
        var framed = ScaleWriter()
        framed.byteVector(inherent)
        #expect(try DecodedExtrinsic.decode(framed.bytes) == .bare(version: 5, call: [0x01, 0x00, 0x0b, 0x00]))
        let bad: [[UInt8]] = [
            [],                                   // nothing
            [0x14, 0x05, 0x01],                   // length 5, 2 bytes follow
            [0x08, 0x45, 0x00],                   // v5 general
            [0x08, 0x84, 0x01],                   // signed with a non-Id address, truncated
            [0x0c, 0x84, 0x00, 0x01],             // signed, account cut short
        ]
        for bytes in bad {
            #expect(throws: ChainError.self, "\(bytes)") { _ = try DecodedExtrinsic.decode(bytes) }
        }
    }

    @Test("call arguments are checked: sizes of hashes and the path bound")
    func callArguments() {
        let hash = [UInt8](repeating: 1, count: 32)
        let step = MerkleStep(node: hash, nodeIsLeft: true)
        #expect(throws: ChainError.self) { _ = try StorageProofCall.submit(contentID: [1], leaf: hash, siblings: [step]) }
        #expect(throws: ChainError.self) { _ = try StorageProofCall.submit(contentID: hash, leaf: hash, siblings: []) }
        #expect(throws: ChainError.self) { _ = try StorageProofCall.submit(contentID: hash, leaf: hash, siblings: Array(repeating: step, count: 65)) }
        #expect(throws: ChainError.self) { _ = try StorageProofCall.submit(contentID: hash, leaf: hash, siblings: [MerkleStep(node: [1], nodeIsLeft: false)]) }
    }

    @Test("the other call builders refuse what the runtime would: bad .bz names, long descriptions, zero signature hashes, long relay paths, short commitments")
    func otherCallArguments() {
        let hash = [UInt8](repeating: 1, count: 32)
        for name in ["ab", "Upper.bz", "space name", "emoji😀.bz", String(repeating: "a", count: 65), "under_score"] {
            #expect(throws: ChainError.self, "\(name)") { _ = try BnsCall.registerDomain(name, tier: .standard) }
        }
        #expect(throws: ChainError.self) { _ = try BnsCall.activateHosting("site.bz", tier: .free, contentHash: [1], autoRenew: false) }
        #expect(throws: ChainError.self) {
            _ = try BnsCall.updateHostingContent("site.bz", contentHash: hash, description: String(repeating: "d", count: 129), sizeBytes: 1)
        }
        #expect(throws: ChainError.self) { _ = try BalancesCall.transferKeepAlive(to: [1, 2], planck: 1) }
        #expect(throws: ChainError.self) { _ = try EconomyCall.transferBBZD(to: [], amount: 1) }
        let transaction = { (signature: [UInt8], path: Int) in
            MeshCall.MeshTransaction(txHash: hash, type: .transferDalla, senderCompact: [1, 2, 3, 4], recipientCompact: [1, 2, 3, 4],
                                     amount: 1, nonce: 1, signatureHash: signature, gatewayNodeID: [1, 2, 3, 4],
                                     relayPath: Array(repeating: [1, 2, 3, 4], count: path), hopCount: 1, rssi: 0, snr: 0)
        }
        #expect(throws: ChainError.self) { _ = try MeshCall.submitMeshTransaction(transaction([UInt8](repeating: 0, count: 32), 1)) }
        #expect(throws: ChainError.self) { _ = try MeshCall.submitMeshTransaction(transaction(hash, 9)) }
        #expect((try? MeshCall.submitMeshTransaction(transaction(hash, 8))) != nil)
        #expect(throws: ChainError.self) { _ = try MeshCall.nodeHeartbeat(nodeID: [1, 2, 3]) }
        #expect(throws: ChainError.self) { _ = try QuantumCall.recordResult(jobID: [1], resultHash: hash, commitment: [UInt8](repeating: 1, count: 31), accuracy: 1) }
        #expect(throws: ChainError.self) { _ = try QuantumCall.submitJob(jobID: [], backend: 0, circuitHash: hash, qubits: 1, depth: 1, shots: 1) }
    }

    @Test("HostedWebsites: the key hashes the name with its Compact length; HostingInfo round-trips and refuses trailing bytes or an unknown tier")
    func hosting() throws {
        let key = try StorageValue.HostingInfo.key(domain: "site.bz")
        let encodedName: [UInt8] = [7 << 2] + Array("site.bz".utf8)
        #expect(Array(key.prefix(32)) == StorageKey.prefix(pallet: "Bns", item: "HostedWebsites"))
        #expect(Array(key[32..<48]) == Blake2b.hash(encodedName, outputLength: 16))
        #expect(Array(key.suffix(encodedName.count)) == encodedName)
        let info = StorageValue.HostingInfo(subscriber: [UInt8](repeating: 3, count: 32), tier: 2, contentHash: [UInt8](repeating: 4, count: 32),
                                       activatedAt: 10, lastPaymentAt: 11, expiresAt: 432_010, dataSize: 1 << 33, monthlyFee: 50_000_000_000_000, autoRenew: true)
        let bytes = info.encode()
        #expect(bytes.count == 32 + 1 + 32 + 12 + 8 + 16 + 1)
        #expect(try StorageValue.HostingInfo.decode(bytes) == info)
        #expect(throws: ChainError.self) { _ = try StorageValue.HostingInfo.decode(bytes + [0]) }
        #expect(throws: ChainError.self) { _ = try StorageValue.HostingInfo.decode(Array(bytes.dropLast())) }
        var badTier = bytes
        badTier[32] = 9
        #expect(throws: ChainError.self) { _ = try StorageValue.HostingInfo.decode(badTier) }
    }
}
