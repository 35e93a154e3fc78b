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

    /// One signed extrinsic and what a second codec must read back from it.
    struct Case {
        let extrinsic: SignedExtrinsic
        let signer: ChainSigner
        let terms: TransactionTerms
        let chain: ChainIdentity
        let pallet: UInt8
        let call: UInt8
        /// The call's arguments: name, scalecodec type, and the value expected as JSON text.
        let arguments: [(name: String, type: String, expected: String)]
    }

    static func hex(_ bytes: [UInt8]) -> String { Base16.encode(bytes) }
    static func json(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed]) else { return "?" }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Decodes `cases` with tests/compat/scale_decode.py and checks every field and argument.
    static func check(_ cases: [Case]) async throws {
        let input = NSTemporaryDirectory() + "pakit-scale-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: input) }
        let lines = try cases.map { item -> String in
            let object: [String: Any] = [
                "extrinsic": hex(item.extrinsic.bytes), "genesis": hex(item.chain.genesisHash), "birth": hex(item.terms.birthHash),
                "spec": item.chain.specVersion, "tx": item.chain.transactionVersion, "args": item.arguments.map { [$0.name, $0.type] },
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let result = try await runProcess("/usr/bin/env", ["python3", script, input])
        guard result.status == 0 else { throw TestFailure("scale_decode.py failed (tests/compat/install.sh installs its tools): \(result.stderr)") }
        let answers = result.output.split(separator: "\n")
        #expect(answers.count == cases.count)
        for (item, line) in zip(cases, answers) {
            let found = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let context = "call \(item.pallet)/\(item.call), nonce \(item.terms.nonce), era \(item.terms.era): \(line.prefix(400))"
            #expect(found["version"] as? Int == 0x84, "\(context)")
            #expect(found["account"] as? String == "0x" + hex(item.signer.accountID), "\(context)")
            #expect(found["signatureKind"] as? String == "Ed25519", "\(context)")
            #expect(found["signatureValid"] as? Bool == true, "\(context)")
            #expect(found["txHash"] as? String == "0x" + hex(item.extrinsic.hash), "\(context)")
            #expect((found["nonce"] as? NSNumber)?.uint32Value == item.terms.nonce, "\(context)")
            #expect(found["tip"].map { "\($0)" } == "\(item.terms.tip)", "\(context)")
            switch item.terms.era {
            case .immortal:
                #expect(found["era"] as? String == "00", "\(context)")
            case .mortal(let period, let phase):
                #expect((found["era"] as? [Int]).map { $0.map(UInt64.init) } == [period, phase], "\(context)")
            }
            #expect(found["pallet"] as? Int == Int(item.pallet) && found["call"] as? Int == Int(item.call), "\(context)")
            let arguments = found["arguments"] as? [String: Any] ?? [:]
            for argument in item.arguments {
                #expect(arguments[argument.name].map(json) == argument.expected, "\(argument.name): \(context)")
            }
        }
    }

    static func sign(_ call: [UInt8], nonce: UInt32 = 0, arguments: [(String, String, String)]) throws -> Case {
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let signer = try ChainSigner(seed: seed)
        let chain = try ChainIdentity(genesisHash: [UInt8](repeating: 0xAA, count: 32), specVersion: 107, transactionVersion: 1)
        let terms = try TransactionTerms(era: .mortal(period: 64, current: 1_000), birthHash: [UInt8](repeating: 0xBB, count: 32), nonce: nonce)
        let extrinsic = try SignedExtrinsic.sign(call: call, terms: terms, chain: chain, signer: signer)
        return Case(extrinsic: extrinsic, signer: signer, terms: terms, chain: chain, pallet: call[0], call: call[1],
                    arguments: arguments.map { (name: $0.0, type: $0.1, expected: $0.2) })
    }

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
            let proof: [String: Any] = ["leaf": "0x" + Self.hex(leaf),
                                        "siblings": siblings.map { ["node": "0x" + Self.hex($0.node), "node_is_left": $0.nodeIsLeft] }]
            cases.append(Case(extrinsic: extrinsic, signer: signer, terms: terms, chain: chain, pallet: 38, call: 0, arguments: [
                (name: "content_id", type: "[u8; 32]", expected: Self.json("0x" + Self.hex(contentID))),
                (name: "proof", type: "MerkleProof", expected: Self.json(proof)),
                (name: "proof_type", type: "ProofType", expected: Self.json("Merkle")),
            ]))
        }
        try await Self.check(cases)
    }

    /// scalecodec shows a `MultiAddress::Id` as the account's hex (another variant would not be).
    @Test("every other call the relay builds (Balances, Economy, Bns, Contracts, Mesh, Quantum) decodes to the intended call and arguments")
    func everyCall() async throws {
        let account = [UInt8](repeating: 0x42, count: 32)
        let accountHex = "0x" + Self.hex(account)
        let hash = (0..<32).map { UInt8($0) }
        let hashHex = "0x" + Self.hex(hash)
        let big: UInt128 = 340_282_366_920_938_463_463_374_607_431_768_211_455
        let meshTransaction = MeshCall.MeshTransaction(
            txHash: hash, type: .transferBBZD, senderCompact: [1, 2, 3, 4], recipientCompact: [5, 6, 7, 8], amount: 123_456_789,
            nonce: 9, signatureHash: [UInt8](repeating: 7, count: 32), gatewayNodeID: [9, 9, 9, 9], relayPath: [[1, 1, 1, 1], [2, 2, 2, 2]],
            hopCount: 2, rssi: -97, snr: -12)
        let cases = [
            try Self.sign(BalancesCall.transferKeepAlive(to: account, planck: 1_000_000_000_000), arguments: [
                ("dest", "MultiAddress", Self.json(accountHex)), ("value", "Compact<u128>", "1000000000000")]),
            try Self.sign(BalancesCall.transferAllowDeath(to: account, planck: big), nonce: 1, arguments: [
                ("dest", "MultiAddress", Self.json(accountHex)), ("value", "Compact<u128>", "\(big)")]),
            try Self.sign(EconomyCall.transferBBZD(to: account, amount: 5), arguments: [
                ("to", "AccountId", Self.json(accountHex)), ("amount", "u128", "5")]),
            try Self.sign(BnsCall.registerDomain("pakit-demo.bz", tier: .premium), arguments: [
                ("domain_name", "Bytes", Self.json("pakit-demo.bz")), ("tier", "u8", "1")]),
            try Self.sign(BnsCall.activateHosting("pakit-demo.bz", tier: .pro, contentHash: hash, autoRenew: true), arguments: [
                ("domain_name", "Bytes", Self.json("pakit-demo.bz")), ("tier", "u8", "2"), ("content_hash", "[u8; 32]", Self.json(hashHex)),
                ("auto_renew", "bool", "true")]),
            try Self.sign(BnsCall.updateHostingContent("pakit-demo.bz", contentHash: hash, description: "site v2", sizeBytes: 1 << 40), arguments: [
                ("domain_name", "Bytes", Self.json("pakit-demo.bz")), ("new_content_hash", "[u8; 32]", Self.json(hashHex)),
                ("description", "Bytes", Self.json("site v2")), ("size_bytes", "u64", "\(UInt64(1) << 40)")]),
            try Self.sign(BnsCall.renewHosting("pakit-demo.bz", months: 12), arguments: [
                ("domain_name", "Bytes", Self.json("pakit-demo.bz")), ("months", "u32", "12")]),
            try Self.sign(BnsCall.deactivateHosting("pakit-demo.bz"), arguments: [("domain_name", "Bytes", Self.json("pakit-demo.bz"))]),
            try Self.sign(ContractsCall.call(contract: account, value: 0, gasLimit: .init(refTime: 5_000_000_000, proofSize: 1 << 20),
                                             storageDepositLimit: 10_000, data: [0xde, 0xad, 0xbe, 0xef, 1]), arguments: [
                ("dest", "MultiAddress", Self.json(accountHex)), ("value", "Compact<u128>", "0"),
                ("gas_limit", "ContractsWeight", Self.json(["ref_time": 5_000_000_000, "proof_size": 1 << 20])),
                ("storage_deposit_limit", "Option<Compact<u128>>", "10000"), ("data", "Bytes", Self.json("0xdeadbeef01"))]),
            try Self.sign(ContractsCall.call(contract: account, value: 3, gasLimit: .init(refTime: 1, proofSize: 2), storageDepositLimit: nil, data: []), arguments: [
                ("dest", "MultiAddress", Self.json(accountHex)), ("value", "Compact<u128>", "3"),
                ("gas_limit", "ContractsWeight", Self.json(["ref_time": 1, "proof_size": 2])),
                ("storage_deposit_limit", "Option<Compact<u128>>", "null"), ("data", "Bytes", Self.json(""))]),
            try Self.sign(MeshCall.registerNode(nodeID: [0xa1, 0xb2, 0xc3, 0xd4], role: .gateway, hardware: .tBeam, region: .us915,
                                                latitude: 172_500_000, longitude: -887_600_000, altitude: -5, district: .cayo, terrain: .jungle), arguments: [
                ("node_id", "[u8; 4]", Self.json("0xa1b2c3d4")), ("role", "MeshNodeRole", Self.json("Gateway")),
                ("hardware", "MeshHardware", Self.json("TBeam")), ("region", "LoRaRegion", Self.json("US915")),
                ("latitude", "i32", "172500000"), ("longitude", "i32", "-887600000"), ("altitude", "i16", "-5"),
                ("district", "BelizeDistrict", Self.json("Cayo")), ("_terrain", "TerrainType", Self.json("Jungle"))]),
            try Self.sign(MeshCall.nodeHeartbeat(nodeID: [0xa1, 0xb2, 0xc3, 0xd4]), arguments: [("node_id", "[u8; 4]", Self.json("0xa1b2c3d4"))]),
            try Self.sign(MeshCall.submitMeshTransaction(meshTransaction), arguments: [
                ("tx_hash", "H256", Self.json(hashHex)), ("tx_type", "MeshTxType", Self.json("TransferBbzd")),
                ("sender_compact", "[u8; 4]", Self.json("0x01020304")), ("recipient_compact", "[u8; 4]", Self.json("0x05060708")),
                ("amount", "u64", "123456789"), ("nonce", "u32", "9"), ("signature_hash", "H256", Self.json("0x" + Self.hex([UInt8](repeating: 7, count: 32)))),
                ("gateway_node_id", "[u8; 4]", Self.json("0x09090909")), ("relay_path", "Vec<[u8; 4]>", Self.json(["0x01010101", "0x02020202"])),
                ("hop_count", "u8", "2"), ("rssi", "i16", "-97"), ("snr", "i16", "-12")]),
            try Self.sign(QuantumCall.submitJob(jobID: Array("job-1".utf8), backend: 2, circuitHash: hash, qubits: 27, depth: 400, shots: 8192), arguments: [
                ("job_id", "Bytes", Self.json("job-1")), ("backend_index", "u8", "2"), ("circuit_hash", "[u8; 32]", Self.json(hashHex)),
                ("num_qubits", "u16", "27"), ("circuit_depth", "u32", "400"), ("num_shots", "u32", "8192")]),
            // Bytes that are not UTF-8, so scalecodec shows them as hex rather than text.
            try Self.sign(QuantumCall.recordResult(jobID: Array("job-1".utf8), resultHash: hash, commitment: hash + [0xff] + hash, accuracy: 97), arguments: [
                ("job_id", "Bytes", Self.json("job-1")), ("result_data_hash", "[u8; 32]", Self.json(hashHex)),
                ("verification_proof", "Bytes", Self.json("0x" + Self.hex(hash + [0xff] + hash))), ("accuracy_score", "u8", "97")]),
        ]
        try await Self.check(cases)
    }
}

/// Storage values as the chain stores them, encoded by PyPI `scalecodec` from the runtime's
/// types (tests/compat/scale_encode.py) and read by `PakitChain`.
@Suite("Storage values encoded by scalecodec")
struct IndependentStorageValueTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("compat/scale_encode.py").path

    @Test("AccountInfo, ProofRecord and HostingInfo decode to the values scalecodec encoded")
    func values() async throws {
        let flags = UInt128(1) << 127
        let input = NSTemporaryDirectory() + "pakit-scale-encode-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: input) }
        let account = "0x" + String(repeating: "42", count: 32)
        try [
            #"{"type":"PakitAccountInfo","value":{"nonce":5,"consumers":1,"providers":2,"sufficients":4,"data":{"free":1000000000000,"reserved":7,"frozen":9,"flags":\#(flags)}}}"#,
            #"{"type":"ProofRecord","value":{"submitter":"\#(account)","submitted_at":77,"proof_type":"Merkle"}}"#,
            #"{"type":"HostingInfo","value":{"subscriber":"\#(account)","tier":"Pro","content_hash":"0x\#(String(repeating: "04", count: 32))","activated_at":10,"last_payment_at":11,"expires_at":432010,"data_size":8589934592,"monthly_fee":50000000000000,"auto_renew":true}}"#,
        ].joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let result = try await runProcess("/usr/bin/env", ["python3", Self.script, input])
        guard result.status == 0 else { throw TestFailure("scale_encode.py failed (tests/compat/install.sh installs its tools): \(result.stderr)") }
        let encoded = try result.output.split(separator: "\n").map { try Base16.decode($0) }
        #expect(encoded.count == 3)
        guard encoded.count == 3 else { return }

        let info = try StorageValue.AccountInfo.decode(encoded[0])
        #expect(info == StorageValue.AccountInfo(nonce: 5, consumers: 1, providers: 2, sufficients: 4, free: 1_000_000_000_000,
                                                 reserved: 7, frozen: 9, flags: flags))
        let record = try StorageValue.ProofRecord.decode(encoded[1])
        #expect(record == StorageValue.ProofRecord(submitter: [UInt8](repeating: 0x42, count: 32), submittedAt: 77, proofType: .merkle))
        let hosting = try StorageValue.HostingInfo.decode(encoded[2])
        #expect(hosting == StorageValue.HostingInfo(subscriber: [UInt8](repeating: 0x42, count: 32), tier: BnsCall.HostingTier.pro.rawValue,
                                               contentHash: [UInt8](repeating: 4, count: 32), activatedAt: 10, lastPaymentAt: 11,
                                               expiresAt: 432_010, dataSize: 8_589_934_592, monthlyFee: 50_000_000_000_000, autoRenew: true))
        #expect(hosting.encode() == encoded[2], "our encoding of the same HostingInfo differs from scalecodec's")
        // Trailing or missing bytes are refused.
        #expect(throws: ChainError.self) { _ = try StorageValue.AccountInfo.decode(encoded[0] + [0]) }
        #expect(throws: ChainError.self) { _ = try StorageValue.ProofRecord.decode(Array(encoded[1].dropLast())) }
        #expect(throws: ChainError.self) { _ = try StorageValue.ProofRecord.decode(Array(encoded[1].dropLast()) + [2]) }
        let key = try StorageValue.AccountInfo.key([UInt8](repeating: 0x42, count: 32))
        #expect(Array(key.prefix(32)) == StorageKey.prefix(pallet: "System", item: "Account") && key.count == 32 + 16 + 32)
    }
}
