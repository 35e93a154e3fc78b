import Foundation
import PakitChain
import PakitCore
import PakitTestSupport
import Testing

/// Every byte the relay signs, read by a second codec: PyPI `scalecodec` (py-substrate-interface's
/// SCALE codec) decodes our extrinsics to the intended call and arguments, and PyPI `PyNaCl`
/// (libsodium) accepts the ed25519 signature over the payload it rebuilds itself
/// (tests/compat/scale_decode.py).
@Suite("Extrinsics read by scalecodec and PyNaCl")
struct IndependentCodecTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("compat/scale_decode.py").path

    struct Case {
        let extrinsic: SignedExtrinsic
        let signer: ChainSigner
        let terms: TransactionTerms
        let chain: ChainIdentity
        let contentID: [UInt8]
        let leaf: [UInt8]
        let siblings: [MerkleStep]
    }

    static func hex(_ bytes: [UInt8]) -> String { Base16.encode(bytes) }

    @Test("64 random StorageProof submissions: path lengths 1…64 (payloads above 256 bytes signed as their hash), mortal and immortal eras, nonces and tips up to their widths")
    func randomSubmissions() async throws {
        var generator = SystemRandomNumberGenerator()
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        var cases: [Case] = []
        for index in 0..<64 {
            let signer = try ChainSigner(seed: bytes(32))
            let chain = try ChainIdentity(genesisHash: bytes(32), specVersion: UInt32.random(in: 100...200, using: &generator), transactionVersion: 1)
            let era: Era = index % 8 == 0 ? .immortal
                : .mortal(period: [4, 64, 256, 4096, 65536][index % 5], current: UInt64.random(in: 0...10_000_000, using: &generator))
            let nonce: UInt32 = index == 1 ? .max : UInt32.random(in: 0...UInt32.max, using: &generator) >> (index % 32)
            let tip: UInt128 = index == 2 ? .max : UInt128(UInt64.random(in: 0...UInt64.max, using: &generator)) >> (index % 64)
            let terms = try TransactionTerms(era: era, birthHash: era == .immortal ? chain.genesisHash : bytes(32), nonce: nonce, tip: tip)
            let siblings = (0..<(index + 1)).map { _ in MerkleStep(node: bytes(32), nodeIsLeft: Bool.random(using: &generator)) }
            let leaf = bytes(32)
            let contentID = bytes(32)
            let call = try StorageProofCall.submit(contentID: contentID, leaf: leaf, siblings: siblings)
            let extrinsic = try SignedExtrinsic.sign(call: call, terms: terms, chain: chain, signer: signer)
            cases.append(Case(extrinsic: extrinsic, signer: signer, terms: terms, chain: chain, contentID: contentID, leaf: leaf, siblings: siblings))
        }
        let input = NSTemporaryDirectory() + "pakit-scale-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: input) }
        let lines = cases.map { item in
            #"{"extrinsic": "\#(Self.hex(item.extrinsic.bytes))", "genesis": "\#(Self.hex(item.chain.genesisHash))", "birth": "\#(Self.hex(item.terms.birthHash))", "spec": \#(item.chain.specVersion), "tx": \#(item.chain.transactionVersion)}"#
        }
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let result = try await runProcess("/usr/bin/env", ["python3", Self.script, input])
        guard result.status == 0 else { throw TestFailure("scale_decode.py failed (tests/compat/install.sh installs its tools): \(result.stderr)") }
        let answers = result.output.split(separator: "\n")
        #expect(answers.count == cases.count)
        for (item, line) in zip(cases, answers) {
            let found = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let context = "nonce \(item.terms.nonce), era \(item.terms.era), \(item.siblings.count) siblings: \(line.prefix(300))"
            #expect(found["version"] as? Int == 0x84, "\(context)")
            #expect(found["account"] as? String == "0x" + Self.hex(item.signer.accountID), "\(context)")
            #expect(found["signatureKind"] as? String == "Ed25519", "\(context)")
            #expect(found["signatureValid"] as? Bool == true, "\(context)")
            #expect(found["txHash"] as? String == "0x" + Self.hex(item.extrinsic.hash), "\(context)")
            #expect((found["nonce"] as? NSNumber)?.uint32Value == item.terms.nonce, "\(context)")
            #expect(found["tip"].map { "\($0)" } == "\(item.terms.tip)", "\(context)")
            switch item.terms.era {
            case .immortal:
                #expect(found["era"] as? String == "00", "\(context)")
            case .mortal(let period, let phase):
                #expect((found["era"] as? [Int]).map { $0.map(UInt64.init) } == [period, phase], "\(context)")
            }
            #expect(found["pallet"] as? Int == 38 && found["call"] as? Int == 0, "\(context)")
            #expect(found["contentID"] as? String == "0x" + Self.hex(item.contentID), "\(context)")
            #expect(found["leaf"] as? String == "0x" + Self.hex(item.leaf), "\(context)")
            let siblings = (found["siblings"] as? [[Any]])?.map { "\($0[0]) \($0[1])" }
            #expect(siblings == item.siblings.map { "0x\(Self.hex($0.node)) \($0.nodeIsLeft ? "1" : "0")" }, "\(context)")
            #expect(found["proofType"] as? String == "Merkle", "\(context)")
        }
    }
}
