import Foundation
@testable import PakitChain
import PakitCore
import PakitTestSupport
import Testing

/// Runtime metadata V14, the registry-driven decoder, `System.Events` and the compatibility
/// check, read against a second codec: the dev chain's synthetic metadata
/// (tools/devchain/metadata.py) and a `System.Events` value that PyPI `scalecodec` 1.2.12 encodes
/// from it (tests/compat/metadata_events.py).
@Suite("Runtime metadata, events and compatibility")
struct MetadataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let eventsScript = root.appendingPathComponent("tests/compat/metadata_events.py").path
    static let metadataScript = root.appendingPathComponent("tools/devchain/metadata.py").path

    /// What scalecodec encoded and how it read it back.
    struct Fixture: Sendable {
        struct Record: Sendable {
            let phase: String
            let extrinsic: Int?
            let palletIndex: Int
            let pallet: String
            let eventIndex: Int
            let event: String
            let attributes: String
            let topics: [String]
        }

        let metadata: [UInt8]
        let events: [UInt8]
        let records: [Record]
        let outcomes: [String: String]
    }

    static func bytes(_ hex: Any?) throws -> [UInt8] {
        guard let text = hex as? String, text.hasPrefix("0x") else { throw TestFailure("expected 0x… hex, found \(String(describing: hex))") }
        return try Base16.decode(text.dropFirst(2))
    }

    static func fixture() async throws -> Fixture {
        let result = try await runProcess("/usr/bin/env", ["python3", eventsScript])
        guard result.status == 0 else { throw TestFailure("metadata_events.py failed (tests/compat/install.sh installs scalecodec): \(result.stderr)") }
        return try parseFixture(result.stdout)
    }

    static func parseFixture(_ data: Data) throws -> Fixture {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let records = object["records"] as? [[String: Any]], let outcomes = object["outcomes"] as? [String: String] else {
            throw TestFailure("metadata_events.py printed no records: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return Fixture(metadata: try bytes(object["metadata"]), events: try bytes(object["events"]), records: try records.map { record in
            guard let phase = record["phase"] as? String, let palletIndex = record["palletIndex"] as? Int, let pallet = record["pallet"] as? String,
                  let eventIndex = record["eventIndex"] as? Int, let event = record["event"] as? String,
                  let attributes = record["attributes"] as? String, let topics = record["topics"] as? [String] else {
                throw TestFailure("a record lacks a field: \(record)")
            }
            return Fixture.Record(phase: phase, extrinsic: record["extrinsic"] as? Int, palletIndex: palletIndex, pallet: pallet,
                                  eventIndex: eventIndex, event: event, attributes: attributes, topics: topics)
        }, outcomes: outcomes)
    }

    /// `metadata.py --hex` with `overrides` (a deliberately different runtime).
    static func devChainMetadata(overrides: String? = nil) async throws -> RuntimeMetadata {
        let result = try await runProcess("/usr/bin/env", ["python3", metadataScript, "--hex"] + (overrides.map { ["--overrides", $0] } ?? []))
        guard result.status == 0 else { throw TestFailure("metadata.py --hex failed: \(result.stderr)") }
        return try RuntimeMetadata(hex: result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: Parsing

    @Test("the dev chain's V14 metadata parses: the reference's pallet indices, the System.Events entry, constants decoded by the registry, extrinsic v4 with 8 extensions")
    func parsesTheDevChainMetadata() async throws {
        let metadata = try await Self.devChainMetadata()
        try Self.checkParsed(metadata)
    }

    static func checkParsed(_ metadata: RuntimeMetadata) throws {
        let indices = Dictionary(uniqueKeysWithValues: metadata.pallets.map { ($0.name, $0.index) })
        #expect(indices == ["System": 0, "Timestamp": 1, "Balances": 4, "TransactionPayment": 5, "Sudo": 6, "Contracts": 13,
                            "Economy": 20, "Quantum": 31, "Bns": 33, "Mesh": 34, "StorageProof": 38])
        #expect(metadata.extrinsic.version == 4)
        #expect(metadata.extrinsic.signedExtensions.map(\.identifier) == PakitRuntimeInterface.signedExtensions.map(\.identifier))
        #expect(metadata.types[metadata.runtimeTypeID]?.path == ["belizechain_runtime", "Runtime"])

        let system = try #require(metadata.pallet(named: "System"))
        let events = try #require(system.storageEntry(named: "Events"))
        #expect(events.modifier == .default && events.defaultValue == [0])
        guard case .plain(let eventsType) = events.kind, case .sequence(let recordType)? = metadata.types[eventsType]?.definition else {
            Issue.record("System.Events is not a plain Vec: \(events.kind)")
            return
        }
        #expect(metadata.types[recordType]?.path == ["frame_system", "EventRecord"])
        let proofs = try #require(metadata.pallet(named: "StorageProof")?.storageEntry(named: "StorageProofs"))
        if case .map(let hashers, _, _) = proofs.kind { #expect(hashers == [.blake2_128Concat]) } else { Issue.record("StorageProofs is not a map") }

        let decoder = ScaleValueDecoder(types: metadata.types)
        func constant(_ name: String) throws -> ScaleValue {
            let found = try #require(system.constants.first { $0.name == name }, "System.\(name)")
            return try decoder.decode(found.type, bytes: found.value)
        }
        #expect(try constant("BlockHashCount") == .unsigned(2400))
        #expect(try constant("SS58Prefix") == .unsigned(1981))
        let version = try constant("Version")
        #expect(version[field: "spec_name"] == .text("belizechain"))
        #expect(version[field: "spec_version"] == .unsigned(107))
        #expect(version[field: "transaction_version"] == .unsigned(1))

        // A whole call through the registry: the reference's signed submission's call bytes (§12).
        let call = try StorageProofCall.submit(contentID: [UInt8](repeating: 7, count: 32), leaf: [UInt8](repeating: 8, count: 32),
                                               siblings: [MerkleStep(node: [UInt8](repeating: 9, count: 32), nodeIsLeft: true)])
        let callType = try #require(metadata.types.types.first { $0.path == ["belizechain_runtime", "RuntimeCall"] })
        let decoded = try decoder.decode(callType.id, bytes: call)
        #expect(decoded.variantName == "StorageProof")
        let inner = try #require(decoded.fields.first?.value)
        #expect(inner.variantName == "submit_storage_proof")
        #expect(inner[field: "content_id"] == .bytes([UInt8](repeating: 7, count: 32)))
        #expect(inner[field: "proof_type"] == .variant(name: "Merkle", index: 0, fields: []))
        #expect(inner[field: "proof"]?[field: "siblings"]?.unwrapped ==
            .sequence([.composite([ScaleField(name: "node", value: .bytes([UInt8](repeating: 9, count: 32))), ScaleField(name: "node_is_left", value: .bool(true))])]))
        var reader = ScaleReader(call + [0xEE])
        _ = try decoder.decode(callType.id, from: &reader)
        #expect(reader.remaining == 1, "decoding a call leaves the reader just after it")
    }

    // MARK: Compatibility

    @Test("the call table holds the indices PakitChain's builders write, as the brief and reference list them")
    func callTableMatchesBuilders() throws {
        let expected: [String: (UInt8, UInt8, Int)] = [
            "StorageProof.submit_storage_proof": (38, 0, 3), "Balances.transfer_allow_death": (4, 0, 2),
            "Balances.transfer_keep_alive": (4, 3, 2), "Economy.transfer_bbzd": (20, 8, 2), "Bns.register_domain": (33, 0, 2),
            "Bns.activate_hosting": (33, 6, 4), "Bns.renew_hosting": (33, 7, 2), "Bns.deactivate_hosting": (33, 8, 1),
            "Bns.update_hosting_content": (33, 9, 4), "Contracts.call": (13, 6, 5), "Mesh.register_node": (34, 0, 9),
            "Mesh.node_heartbeat": (34, 3, 1), "Mesh.submit_mesh_transaction": (34, 4, 12), "Quantum.submit_quantum_job": (31, 0, 6),
            "Quantum.record_quantum_result": (31, 2, 4), "System.remark": (0, 0, 1),
        ]
        #expect(PakitRuntimeInterface.calls.count == expected.count)
        for call in PakitRuntimeInterface.calls {
            let name = "\(call.pallet.metadataName).\(call.name)"
            let row = try #require(expected[name], "\(name) is not an expected call")
            let index = try call.encodedIndex()
            #expect((call.pallet.rawValue, index, call.argumentCount) == row, "\(name)")
        }
    }

    @Test("the dev chain's runtime is compatible: no mismatches")
    func realRuntimeIsCompatible() async throws {
        let metadata = try await Self.devChainMetadata()
        #expect(metadata.pakitMismatches() == [])
    }

    @Test("a runtime with a moved pallet, moved calls and a removed call is reported exactly")
    func movedAndRemovedCallsAreReported() async throws {
        let overrides = #"{"pallet_index": {"Bns": 40}, "call_index": {"Bns.update_hosting_content": 20, "Mesh.node_heartbeat": 16}, "remove_calls": ["StorageProof.submit_storage_proof"]}"#
        let metadata = try await Self.devChainMetadata(overrides: overrides)
        #expect(metadata.pakitMismatches() == [
            "StorageProof.submit_storage_proof is not in this runtime (Pakit encodes it as call 0)",
            "Bns is pallet 40 in this runtime; Pakit encodes 33",
            "Bns.update_hosting_content is call 20 in this runtime; Pakit encodes 9",
            "Mesh.node_heartbeat is call 16 in this runtime; Pakit encodes 3",
        ])
    }

    @Test("argument counts, a missing pallet, a pallet in Pakit's slot, the extrinsic version and the signed extensions are reported exactly")
    func shapeMismatchesAreReported() async throws {
        let metadata = try await Self.devChainMetadata()
        try Self.checkShapeMismatches(metadata)
    }

    static func checkShapeMismatches(_ metadata: RuntimeMetadata) throws {
        let bnsCalls = try #require(metadata.pallet(named: "Bns")?.calls)
        let u32 = try #require(metadata.types.types.first { $0.definition == .primitive(.u32) }?.id)
        // Bns.update_hosting_content grows a fifth argument; Quantum is renamed Compute.
        let types = try TypeRegistry(metadata.types.types.map { type in
            guard type.id == bnsCalls, case .variant(let variants) = type.definition else { return type }
            return RegisteredType(id: type.id, path: type.path, parameters: type.parameters, definition: .variant(variants.map { variant in
                guard variant.name == "update_hosting_content" else { return variant }
                return TypeVariant(name: variant.name, fields: variant.fields + [TypeField(name: "extra", type: u32, typeName: nil, docs: [])],
                                   index: variant.index, docs: variant.docs)
            }), docs: type.docs)
        })
        let pallets = metadata.pallets.map { pallet in
            pallet.name != "Quantum" ? pallet : PalletMetadata(name: "Compute", storage: pallet.storage, calls: pallet.calls, event: pallet.event,
                                                               constants: pallet.constants, error: pallet.error, index: pallet.index)
        }
        let changed = RuntimeMetadata(types: types, pallets: pallets, extrinsic: metadata.extrinsic, runtimeTypeID: metadata.runtimeTypeID)
        #expect(changed.pakitMismatches() == [
            "Bns.update_hosting_content takes 5 arguments in this runtime; Pakit encodes 4",
            "Quantum is not in this runtime (Pakit encodes it as pallet 31; pallet 31 is Compute)",
        ])

        // Version 5, and CheckMetadataHash appended.
        var extensions = metadata.extrinsic.signedExtensions
        extensions.append(SignedExtensionMetadata(identifier: "CheckMetadataHash", type: u32, additionalSigned: u32))
        let newer = RuntimeMetadata(types: metadata.types, pallets: metadata.pallets,
                                    extrinsic: ExtrinsicMetadata(type: metadata.extrinsic.type, version: 5, signedExtensions: extensions),
                                    runtimeTypeID: metadata.runtimeTypeID)
        #expect(newer.pakitMismatches() == [
            "the extrinsic version is 5 in this runtime; Pakit signs version 4",
            "the signed extensions are [CheckNonZeroSender, CheckSpecVersion, CheckTxVersion, CheckGenesis, CheckMortality, CheckNonce, CheckWeight, ChargeTransactionPayment, CheckMetadataHash] in this runtime; Pakit signs [CheckNonZeroSender, CheckSpecVersion, CheckTxVersion, CheckGenesis, CheckMortality, CheckNonce, CheckWeight, ChargeTransactionPayment]",
        ])

        // Same names, but CheckGenesis signs a u32 and CheckWeight writes one into the extrinsic.
        let reshaped = metadata.extrinsic.signedExtensions.map { ext in
            switch ext.identifier {
            case "CheckGenesis": SignedExtensionMetadata(identifier: ext.identifier, type: ext.type, additionalSigned: u32)
            case "CheckWeight": SignedExtensionMetadata(identifier: ext.identifier, type: u32, additionalSigned: ext.additionalSigned)
            default: ext
            }
        }
        let odd = RuntimeMetadata(types: metadata.types, pallets: metadata.pallets,
                                  extrinsic: ExtrinsicMetadata(type: metadata.extrinsic.type, version: 4, signedExtensions: reshaped),
                                  runtimeTypeID: metadata.runtimeTypeID)
        #expect(odd.pakitMismatches() == [
            "CheckGenesis adds 4 bytes to the signed payload in this runtime; Pakit signs 32",
            "CheckWeight adds 4 bytes to the extrinsic in this runtime; Pakit writes 0",
        ])
    }

    // MARK: Events

    @Test("System.Events encoded by scalecodec decode to scalecodec's own reading, and each extrinsic's outcome names its error")
    func decodesScalecodecEvents() async throws {
        let fixture = try await Self.fixture()
        try Self.checkEvents(fixture)
    }

    static func checkEvents(_ fixture: Fixture) throws {
        let metadata = try RuntimeMetadata(bytes: fixture.metadata)
        let records = try metadata.decodeEvents(fixture.events)
        #expect(records.count == fixture.records.count)
        for (index, (record, expected)) in zip(records, fixture.records).enumerated() {
            let context = "record \(index): \(expected.pallet).\(expected.event)"
            switch record.phase {
            case .applyExtrinsic(let extrinsic): #expect(expected.phase == "ApplyExtrinsic" && expected.extrinsic == Int(extrinsic), "\(context)")
            case .finalization: #expect(expected.phase == "Finalization" && expected.extrinsic == nil, "\(context)")
            case .initialization: #expect(expected.phase == "Initialization" && expected.extrinsic == nil, "\(context)")
            }
            #expect(Int(record.palletIndex) == expected.palletIndex && record.palletName == expected.pallet, "\(context)")
            #expect(Int(record.eventIndex) == expected.eventIndex && record.eventName == expected.event, "\(context)")
            #expect(ScalecodecJSON.object(record.fields) == expected.attributes, "\(context)")
            #expect(record.topics.map { "0x" + Base16.encode($0) } == expected.topics, "\(context)")
        }
        for extrinsic in UInt32(0)...3 {
            let outcome = metadata.outcome(ofExtrinsic: extrinsic, in: records)
            let text: String? = switch outcome {
            case .succeeded?: "success"
            case .failed(let failure)?: failure.description
            case nil: nil
            }
            #expect(text == fixture.outcomes[String(extrinsic)], "extrinsic \(extrinsic)")
        }
        if case .failed(let failure)? = metadata.outcome(ofExtrinsic: 1, in: records) {
            #expect(failure.module == DispatchFailure.ModuleError(palletIndex: 38, errorIndex: 4, palletName: "StorageProof", errorName: "ContentAlreadyProven"))
        } else {
            Issue.record("extrinsic 1 did not fail")
        }
        #expect(try metadata.decodeEvents([0]) == [], "an empty list decodes to no records")
        // A Module error from a pallet this runtime lacks keeps its indices instead of inventing names.
        let foreign = metadata.dispatchFailure(.variant(name: "Module", index: 3, fields: [ScaleField(name: nil, value: .composite([
            ScaleField(name: "index", value: .unsigned(99)), ScaleField(name: "error", value: .bytes([4, 0, 0, 0])),
        ]))]))
        #expect(foreign.description == "pallet 99.error 4")
        #expect(foreign.module == DispatchFailure.ModuleError(palletIndex: 99, errorIndex: 4, palletName: nil, errorName: nil))
        #expect(metadata.dispatchFailure(.variant(name: "BadOrigin", index: 2, fields: [])).description == "BadOrigin")
    }

    // MARK: Hostile input

    @Test("every truncation of the events, and of the metadata, is refused with a ChainError")
    func truncationsAreRefused() async throws {
        let fixture = try await Self.fixture()
        try Self.checkTruncations(fixture)
    }

    static func checkTruncations(_ fixture: Fixture) throws {
        let metadata = try RuntimeMetadata(bytes: fixture.metadata)
        for length in 0..<fixture.events.count {
            #expect(throws: ChainError.self, "events cut to \(length) bytes") { try metadata.decodeEvents(Array(fixture.events.prefix(length))) }
        }
        #expect(throws: ChainError.self, "a trailing byte") { try metadata.decodeEvents(fixture.events + [0]) }
        // Every length near both ends, and every 13th between (a full parse each).
        let lengths = Array(0..<600) + Array(stride(from: 600, to: fixture.metadata.count - 600, by: 13))
            + Array((fixture.metadata.count - 600)..<fixture.metadata.count)
        for length in lengths {
            #expect(throws: ChainError.self, "metadata cut to \(length) bytes") { try RuntimeMetadata(bytes: Array(fixture.metadata.prefix(length))) }
        }
        #expect(throws: ChainError.self) { try RuntimeMetadata(bytes: fixture.metadata + [0]) }
    }

    @Test("random byte flips in the events and in the metadata never trap: each input decodes or is refused")
    func byteFlipsNeverTrap() async throws {
        let fixture = try await Self.fixture()
        try Self.flipBytes(fixture)
    }

    static func flipBytes(_ fixture: Fixture) throws {
        let metadata = try RuntimeMetadata(bytes: fixture.metadata)
        var generator = SystemRandomNumberGenerator()
        var refused = 0
        for _ in 0..<3000 {
            var events = fixture.events
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                events[Int.random(in: 0..<events.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            }
            do {
                let records = try metadata.decodeEvents(events)
                for index in UInt32(0)...3 { _ = metadata.outcome(ofExtrinsic: index, in: records) }
            } catch { refused += 1 }
        }
        #expect(refused > 0, "some flipped events must be refused")
        var parsed = 0
        for _ in 0..<400 {
            var bytes = fixture.metadata
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            }
            guard let flipped = try? RuntimeMetadata(bytes: bytes) else { continue }
            parsed += 1
            _ = flipped.pakitMismatches()
            if let records = try? flipped.decodeEvents(fixture.events) {
                for index in UInt32(0)...3 { _ = flipped.outcome(ofExtrinsic: index, in: records) }
            }
        }
        #expect(parsed > 0, "some flipped metadata still parses (flips inside names or constant values)")
    }

    @Test("other magic, other versions, huge declared counts and lengths are refused with a clear ChainError")
    func foreignAndHugeInputIsRefused() throws {
        func refusal(_ bytes: [UInt8]) -> String {
            do {
                _ = try RuntimeMetadata(bytes: bytes)
                return "accepted"
            } catch { return error.message }
        }
        #expect(refusal([]).contains("starts with \"meta\""))
        #expect(refusal(Array("atem".utf8) + [14]).contains("starts with \"meta\""))
        #expect(refusal(RuntimeMetadata.magic + [15]) == "runtime metadata V15 is not supported; only V14 is read")
        #expect(refusal(RuntimeMetadata.magic + [13, 0]) == "runtime metadata V13 is not supported; only V14 is read")
        #expect(refusal(RuntimeMetadata.magic + [14, 0x03, 0, 0, 0, 0x40]).contains("exceeds the limit"), "2^30 types")
        #expect(refusal(RuntimeMetadata.magic + [14, 0x02, 0x00, 0x40, 0x00]).contains("more than the"), "2^20 types in 0 bytes")
        #expect(refusal(RuntimeMetadata.magic + [14, 0x13] + [UInt8](repeating: 0xFF, count: 8)).contains("exceeds"), "a 2^64-scale count")
        // One type whose path segment claims 2^30 bytes.
        #expect(refusal(RuntimeMetadata.magic + [14, 0x04, 0x00, 0x04, 0x02, 0x00, 0x00, 0x40] + [UInt8](repeating: 0, count: 16)).contains("exceeds the limit"))

        let metadata = try HandMadeMetadata.bytes(events: HandMadeMetadata.eventsType)
        let parsed = try RuntimeMetadata(bytes: metadata)
        var writer = ScaleWriter()
        writer.compact(1 << 40)
        for hostile in [[0x03, 0, 0, 0, 0x40], [0x13] + [UInt8](repeating: 0xFF, count: 8), writer.bytes] {
            #expect(throws: ChainError.self, "a huge event count") { try parsed.decodeEvents(hostile) }
        }
    }

    @Test("a self-referential type, zero-sized items counted in the billions and a reference to a missing type are refused without trapping")
    func hostileRegistriesAreRefused() throws {
        let parsed = try RuntimeMetadata(bytes: try HandMadeMetadata.bytes(events: HandMadeMetadata.eventsType))
        let decoder = ScaleValueDecoder(types: parsed.types)
        // Type 1 contains itself: no input can hold it, so the depth limit ends every attempt.
        #expect(throws: ChainError.self) { try decoder.decode(HandMadeMetadata.selfContaining, bytes: [UInt8](repeating: 0, count: 1000)) }
        #expect(throws: ChainError.self) { try parsed.decodeEvents([0x04] + [UInt8](repeating: 0, count: 100)) }
        // A legitimately recursive enum: shallow values decode, deep ones stop at the limit.
        let shallow = try decoder.decode(HandMadeMetadata.chain, bytes: [0, 0, 0, 1])
        #expect(shallow == .variant(name: "Link", index: 0, fields: [ScaleField(name: nil, value: .variant(name: "Link", index: 0, fields: [
            ScaleField(name: nil, value: .variant(name: "Link", index: 0, fields: [ScaleField(name: nil, value: .variant(name: "End", index: 1, fields: []))]))]))]))
        do {
            _ = try decoder.decode(HandMadeMetadata.chain, bytes: [UInt8](repeating: 0, count: 10_000) + [1])
            Issue.record("a chain 10,000 deep was accepted")
        } catch {
            #expect(error.message.contains("deeper than 64"), "\(error)")
        }
        // Vec<()> and [(); 2^32 - 1]: no bytes per item, so only the value budget bounds them.
        var huge = ScaleWriter()
        huge.compact(1 << 40)
        #expect(throws: ChainError.self) { try decoder.decode(HandMadeMetadata.unitVector, bytes: huge.bytes) }
        #expect(throws: ChainError.self) { try decoder.decode(HandMadeMetadata.unitArray, bytes: []) }
        var small = ScaleWriter()
        small.compact(5)
        #expect(try decoder.decode(HandMadeMetadata.unitVector, bytes: small.bytes) == .sequence(Array(repeating: .tuple([]), count: 5)))
        // A field naming a type the registry lacks is refused when the metadata is read.
        #expect(throws: ChainError.self) { try RuntimeMetadata(bytes: try HandMadeMetadata.bytes(events: 99)) }
    }
}

/// A small V14 metadata written field by field with `ScaleWriter`, independent of the dev
/// chain's: a System pallet whose `Events` entry is `Vec<type events>`, and the hostile types.
enum HandMadeMetadata {
    static let selfContaining: UInt32 = 1
    static let eventsType: UInt32 = 2
    static let unitVector: UInt32 = 4
    static let unitArray: UInt32 = 5
    static let chain: UInt32 = 6

    static func bytes(events: UInt32) throws -> [UInt8] {
        var writer = ScaleWriter()
        writer.raw(RuntimeMetadata.magic)
        writer.u8(14)
        func text(_ value: String) { writer.byteVector(Array(value.utf8)) }
        func type(_ id: UInt32, path: [String] = [], _ definition: () -> Void) {
            writer.compact(UInt128(id))
            writer.compact(UInt128(path.count))
            for segment in path { text(segment) }
            writer.compact(0)  // type parameters
            definition()
            writer.compact(0)  // docs
        }
        func field(_ name: String?, _ id: UInt32) {
            writer.option(name) { writer, name in writer.byteVector(Array(name.utf8)) }
            writer.compact(UInt128(id))
            writer.u8(0)  // no type name
            writer.compact(0)  // docs
        }
        func variant(_ name: String, index: UInt8, fields: [UInt32]) {
            text(name)
            writer.compact(UInt128(fields.count))
            for id in fields { field(nil, id) }
            writer.u8(index)
            writer.compact(0)  // docs
        }
        writer.compact(7)
        type(0) { writer.u8(5); writer.u8(3) }  // u8
        type(selfContaining, path: ["hostile", "SelfContaining"]) {  // struct SelfContaining { next: SelfContaining }
            writer.u8(0)
            writer.compact(1)
            field("next", selfContaining)
        }
        type(eventsType) { writer.u8(2); writer.compact(UInt128(selfContaining)) }  // Vec<SelfContaining>
        type(3) { writer.u8(4); writer.compact(0) }  // ()
        type(unitVector) { writer.u8(2); writer.compact(3) }  // Vec<()>
        type(unitArray) { writer.u8(3); writer.u32(.max); writer.compact(3) }  // [(); 2^32 - 1]
        type(chain, path: ["hostile", "Chain"]) {  // enum Chain { Link(Chain), End }
            writer.u8(1)
            writer.compact(2)
            variant("Link", index: 0, fields: [chain])
            variant("End", index: 1, fields: [])
        }
        // Pallets: System (0) with storage Events.
        writer.compact(1)
        text("System")
        writer.u8(1)
        text("System")
        writer.compact(1)
        text("Events")
        writer.u8(1)  // Default
        writer.u8(0)  // Plain
        writer.compact(UInt128(events))
        writer.byteVector([0])
        writer.compact(0)
        writer.u8(0)  // calls
        writer.u8(0)  // event
        writer.compact(0)  // constants
        writer.u8(0)  // error
        writer.u8(0)  // index
        // Extrinsic: type 0, version 4, no extensions; runtime type 3.
        writer.compact(0)
        writer.u8(4)
        writer.compact(0)
        writer.compact(3)
        return writer.bytes
    }
}

/// A decoded value as scalecodec shows it in JSON, canonically (sorted keys, no spaces), so
/// the two readings compare as text: a one-field tuple struct is its field, named fields an
/// object, a fieldless variant its name, a variant with one unnamed field `{name: value}`,
/// bytes `0x…` hex, integers exact.
enum ScalecodecJSON {
    static func object(_ fields: [ScaleField]) -> String {
        let pairs = fields.map { ($0.name ?? "", value($0.value)) }.sorted { $0.0 < $1.0 }
        return "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func value(_ value: ScaleValue) -> String {
        switch value {
        case .composite(let fields):
            if fields.count == 1, fields[0].name == nil { return Self.value(fields[0].value) }
            if fields.allSatisfy({ $0.name != nil }) { return object(fields) }
            return "[" + fields.map { Self.value($0.value) }.joined(separator: ",") + "]"
        case .variant(let name, _, let fields):
            if fields.isEmpty { return "\"\(name)\"" }
            if fields.count == 1, fields[0].name == nil { return "{\"\(name)\":\(Self.value(fields[0].value))}" }
            return "{\"\(name)\":\(object(fields))}"
        case .sequence(let items), .tuple(let items): return "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .bool(let flag): return flag ? "true" : "false"
        case .text(let text): return "\"\(text)\""
        case .unsigned(let number): return "\(number)"
        case .signed(let number): return "\(number)"
        case .bytes(let bytes), .wideInteger(let bytes, _), .bits(_, let bytes): return "\"0x\(Base16.encode(bytes))\""
        }
    }
}
