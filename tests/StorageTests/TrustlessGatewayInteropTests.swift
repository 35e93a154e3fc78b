import Foundation
import PakitContracts
import PakitTestSupport
import Testing

/// Our trustless-gateway answers (what peers fetch from each other) read by independent
/// tools: PyPI `ipld_car` (Storacha's CARv1 reader) decodes the CAR, and PyPI `multiformats`
/// hashes every block against its CID (tests/compat/car_verify.py).
@Suite("Trustless gateway interop")
struct TrustlessGatewayInteropTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The verifier's findings for `cid` on `node`.
    static func verify(_ cid: String, on node: TestNode) async throws -> [String: Any] {
        let result = try await runProcess("/usr/bin/env", ["python3", "\(repositoryRoot)/tests/compat/car_verify.py",
                                                     "--ca", "\(node.dataDirectory)/tls/ca.pem", node.baseURL, cid])
        guard result.status == 0 else { throw TestFailure("car_verify.py failed (tests/compat/install.sh installs its tools): \(result.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
            throw TestFailure("car_verify.py printed no JSON object")
        }
        return object
    }

    @Test("a multi-block file and a directory: the CAR decodes, names the root, and every block hashes to its CID; the raw block too")
    func carAndRawBlock() async throws {
        try await TestNode.with(.sqlite) { node in
            var generator = SystemRandomNumberGenerator()
            let file = (0..<(3 << 20) + 4321).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let added = try await node.add(file)
            let small = try await node.add(Array("an entry of the directory\n".utf8))
            let directory = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [
                .init(name: "big.bin", cid: added.cid), .init(name: "note.txt", cid: small.cid),
            ], cidVersion: 1, pin: true)).decode(DirectoryCreateResponse.self)

            for (cid, blocks) in [(added.cid, added.blocks), (directory.cid, added.blocks + small.blocks + 1)] {
                let found = try await Self.verify(cid, on: node)
                #expect((found["carContentType"] as? String)?.hasPrefix("application/vnd.ipld.car") == true, "\(found)")
                #expect(found["rawContentType"] as? String == "application/vnd.ipld.raw", "\(found)")
                #expect(found["rootMatches"] as? Bool == true, "\(found)")
                #expect(found["rootInCAR"] as? Bool == true, "\(found)")
                #expect(found["blocks"] as? Int == blocks, "\(found)")
                #expect(found["verified"] as? Int == blocks, "every block verified: \(found)")
                #expect(found["rawVerified"] as? Bool == true, "\(found)")
            }
        }
    }
}
