@testable import ChainRelayService
import Foundation
import PakitChain
import PakitContracts
import PakitCore
import Testing

/// The submission route's JSON calls become exactly the bytes PakitChain's builders make
/// (which scalecodec decodes in tests/ChainTests/IndependentCodecTests.swift), and survive a
/// round trip through JSON; wrong arguments are refused naming them.
@Suite("Chain relay: calls from JSON")
struct CallEncodingTests {
    static let hash = String(repeating: "ab", count: 32)
    static let other = String(repeating: "cd", count: 32)

    static func call(_ json: String) throws -> ChainCall {
        try JSONDecoder().decode(ChainCall.self, from: Data(json.utf8))
    }

    @Test("Contracts, Mesh and Quantum calls encode as the builders do and round-trip through JSON")
    func builders() throws {
        let account = [UInt8](repeating: 7, count: 32)
        let cases: [(String, [UInt8])] = [
            (#"{"call": "Contracts.call", "args": {"dest": "\#(SS58.encode(account))", "value": "5", "gas_ref_time": 1000, "gas_proof_size": 2000, "storage_deposit_limit": "9", "data": "0a0b"}}"#,
             try ContractsCall.call(contract: account, value: 5, gasLimit: .init(refTime: 1000, proofSize: 2000), storageDepositLimit: 9, data: [0x0a, 0x0b])),
            (#"{"call": "Mesh.register_node", "args": {"node_id": "01020304", "role": 3, "hardware": 1, "region": 0, "latitude": 17250000, "longitude": -88770000, "altitude": 20, "district": 1, "terrain": 4}}"#,
             try MeshCall.registerNode(nodeID: [1, 2, 3, 4], role: .gateway, hardware: .tBeam, region: .us915, latitude: 17_250_000,
                                       longitude: -88_770_000, altitude: 20, district: .cayo, terrain: .jungle)),
            (#"{"call": "Mesh.node_heartbeat", "args": {"node_id": "01020304"}}"#, try MeshCall.nodeHeartbeat(nodeID: [1, 2, 3, 4])),
            (#"{"call": "Mesh.submit_mesh_transaction", "args": {"tx_hash": "\#(Self.hash)", "tx_type": 0, "sender_compact": "01020304", "recipient_compact": "05060708", "amount": 42, "nonce": 3, "signature_hash": "\#(Self.other)", "gateway_node_id": "0a0b0c0d", "relay_path": ["01020304"], "hop_count": 1, "rssi": -90, "snr": -7}}"#,
             try MeshCall.submitMeshTransaction(.init(txHash: try #require(Hex.decode(Self.hash)), type: .transferDalla, senderCompact: [1, 2, 3, 4],
                                                      recipientCompact: [5, 6, 7, 8], amount: 42, nonce: 3, signatureHash: try #require(Hex.decode(Self.other)),
                                                      gatewayNodeID: [10, 11, 12, 13], relayPath: [[1, 2, 3, 4]], hopCount: 1, rssi: -90, snr: -7))),
            (#"{"call": "Quantum.submit_quantum_job", "args": {"job_id": "6a6f62", "backend_index": 2, "circuit_hash": "\#(Self.hash)", "num_qubits": 5, "circuit_depth": 10, "num_shots": 1024}}"#,
             try QuantumCall.submitJob(jobID: Array("job".utf8), backend: 2, circuitHash: try #require(Hex.decode(Self.hash)), qubits: 5, depth: 10, shots: 1024)),
            (#"{"call": "Quantum.record_quantum_result", "args": {"job_id": "6a6f62", "result_data_hash": "\#(Self.hash)", "verification_proof": "\#(Self.other)", "accuracy_score": 97}}"#,
             try QuantumCall.recordResult(jobID: Array("job".utf8), resultHash: try #require(Hex.decode(Self.hash)),
                                          commitment: try #require(Hex.decode(Self.other)), accuracy: 97)),
        ]
        for (json, expected) in cases {
            let call = try Self.call(json)
            #expect(try CallEncoding.encode(call) == expected, "\(call.name)")
            let again = try JSONDecoder().decode(ChainCall.self, from: try JSONEncoder().encode(call))
            #expect(again == call, "\(call.name) does not survive a JSON round trip")
        }
    }

    @Test("wrong arguments are refused with the argument named")
    func refusals() throws {
        let cases: [(String, String)] = [
            (#"{"call": "Mesh.register_node", "args": {"node_id": "01020304", "role": 9, "hardware": 1, "region": 0, "latitude": 0, "longitude": 0, "altitude": 0, "district": 1, "terrain": 4}}"#, "role"),
            (#"{"call": "Mesh.node_heartbeat", "args": {"node_id": "0102"}}"#, "node"),
            (#"{"call": "Quantum.record_quantum_result", "args": {"job_id": "6a", "result_data_hash": "\#(Self.hash)", "verification_proof": "00", "accuracy_score": 1}}"#, "32"),
            (#"{"call": "Contracts.call", "args": {"dest": "x", "value": "1", "gas_ref_time": 1, "gas_proof_size": 1, "data": ""}}"#, "SS58"),
        ]
        for (json, word) in cases {
            #expect {
                try CallEncoding.encode(try Self.call(json))
            } throws: { error in
                (error as? ChainError)?.message.contains(word) == true
            }
        }
    }
}
