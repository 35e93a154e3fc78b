import PakitChain
import PakitCore
import Testing

/// The signed `StorageProof.submit_storage_proof` of the BelizeChain reference (§12), verified
/// there with an independent ed25519 and BLAKE2b: reproduced byte for byte.
@Suite("Reference extrinsic: StorageProof.submit_storage_proof")
struct ReferenceVectorTests {
    static func hex(_ bytes: [UInt8]) -> String { Base16.encode(bytes) }

    @Test("the call, payload, signature, extrinsic, hash and SS58 address are those of the reference")
    func submitStorageProof() throws {
        let leaf = Blake2b.hash256(Array("block-data".utf8))
        let siblings = [Blake2b.hash256(Array("sibling-1".utf8)), Blake2b.hash256(Array("sibling-2".utf8))]
            .map { MerkleStep(node: $0, nodeIsLeft: false) }
        #expect(Self.hex(leaf) == "cea088b8e8e43246887d223295c8c3be763770bbccd84d9aec6402186c3f79b9")
        // The pallet's verification: current = blake2_256(current ‖ node) for a right sibling.
        let contentID = siblings.reduce(leaf) { Blake2b.hash256($0 + $1.node) }
        #expect(Self.hex(contentID) == "0fd0dac5cb132ef1f23496c67af6f57c5389f8d5f46971bb7790c031ae471575")
        #expect(BinaryMerkleTree.verify(leaf: leaf, steps: siblings, root: contentID))

        let call = try StorageProofCall.submit(contentID: contentID, leaf: leaf, siblings: siblings)
        #expect(call.count == 134)
        let chain = try ChainIdentity(genesisHash: [UInt8](repeating: 0xAA, count: 32), specVersion: 107, transactionVersion: 1)
        let terms = try TransactionTerms(era: .mortal(period: 64, current: 100), birthHash: [UInt8](repeating: 0xBB, count: 32), nonce: 0)
        let payload = SignedExtrinsic.signingPayload(call: call, terms: terms, chain: chain)
        #expect(payload.count == 210)
        #expect(Self.hex(payload) == "26000fd0dac5cb132ef1f23496c67af6f57c5389f8d5f46971bb7790c031ae471575cea088b8e8e43246887d223295c8c3be763770bbccd84d9aec6402186c3f79b908c0e97d8a64ff73af8eb860dbf8e2d0fb32fa005566985ded835deb3bcce4fa48003e20d9e339cf9ffaad15d0e0fc05172bc6947f1bdde91bf3d1d4eb7b316e34320000450200006b00000001000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")

        let signer = try ChainSigner(seed: [UInt8](repeating: 0x11, count: 32))
        #expect(Self.hex(signer.accountID) == "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737")
        #expect(SS58.encode(signer.accountID) == "r1WfxbSP6HqmwWdccukkXftxmNZBnyAMMYTUCwbJna1c85vNr")
        let signed = try SignedExtrinsic.sign(call: call, terms: terms, chain: chain, signer: signer)
        #expect(Self.hex(signed.signature) == "7911f8715dae6e476ecd86e685bdefa28955239de5ee7bd5bb6b4517c37212f4d72b09d81217e83f3f3e5d19facf38a7654146781fac025814292e0589f3a408")
        #expect(Self.hex(signed.bytes) == "b5038400d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737007911f8715dae6e476ecd86e685bdefa28955239de5ee7bd5bb6b4517c37212f4d72b09d81217e83f3f3e5d19facf38a7654146781fac025814292e0589f3a4084502000026000fd0dac5cb132ef1f23496c67af6f57c5389f8d5f46971bb7790c031ae471575cea088b8e8e43246887d223295c8c3be763770bbccd84d9aec6402186c3f79b908c0e97d8a64ff73af8eb860dbf8e2d0fb32fa005566985ded835deb3bcce4fa48003e20d9e339cf9ffaad15d0e0fc05172bc6947f1bdde91bf3d1d4eb7b316e34320000")
        #expect(Self.hex(signed.hash) == "cb0f0a5c1c07f952e079713cf7b98058a38e53547f7ac55d0a1cfa3c7c080c92")

        // Read back as a block carries it: the same parts, and the signature checks out only
        // for the birth hash it was made for.
        guard case .signed(let part) = try DecodedExtrinsic.decode(signed.bytes) else {
            Issue.record("a signed extrinsic decoded as bare")
            return
        }
        #expect(part.accountID == signer.accountID && part.call == call && part.nonce == 0 && part.tip == 0)
        #expect(part.era == .mortal(period: 64, phase: 36))
        #expect(part.verifies(chain: chain, birthHash: [UInt8](repeating: 0xBB, count: 32)))
        #expect(!part.verifies(chain: chain, birthHash: [UInt8](repeating: 0xCC, count: 32)))
        let otherSpec = try ChainIdentity(genesisHash: chain.genesisHash, specVersion: 108, transactionVersion: 1)
        #expect(!part.verifies(chain: otherSpec, birthHash: [UInt8](repeating: 0xBB, count: 32)))
    }

    @Test("a payload longer than 256 bytes is signed as its BLAKE2-256")
    func longPayloadIsHashed() throws {
        let chain = try ChainIdentity(genesisHash: [UInt8](repeating: 1, count: 32), specVersion: 107, transactionVersion: 1)
        let terms = try TransactionTerms(era: .immortal, birthHash: chain.genesisHash, nonce: 7, tip: 5)
        // call ‖ era (1) ‖ nonce (1) ‖ tip (1) ‖ versions (8) ‖ genesis and birth hashes (64)
        let shortCall = [UInt8](repeating: 9, count: 256 - 3 - 8 - 64)
        #expect(SignedExtrinsic.signingPayload(call: shortCall, terms: terms, chain: chain).count == 256)
        let longCall = shortCall + [9]
        let payload = SignedExtrinsic.signingPayload(call: longCall, terms: terms, chain: chain)
        var raw = longCall
        raw += [0x00, 7 << 2, 5 << 2, 0x6b, 0, 0, 0, 1, 0, 0, 0] + chain.genesisHash + chain.genesisHash
        #expect(raw.count == 257)
        #expect(payload == Blake2b.hash256(raw))
    }
}
