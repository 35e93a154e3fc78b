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
    static func verify(_ cid: String, path: String = "", query: String = "", on node: TestNode) async throws -> [String: Any] {
        let result = try await runProcess("/usr/bin/env", ["python3", "\(repositoryRoot)/tests/compat/car_verify.py",
                                                           "--ca", "\(node.dataDirectory)/tls/ca.pem", "--path", path, "--query", query,
                                                           node.baseURL, cid])
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

    @Test("dag-scope and entity-bytes: a byte range comes as the file's root and the leaves it touches, a path's target alone with block or entity scope; every CAR verifies; ETags differ; malformed values are 400")
    func scopesAndRanges() async throws {
        try await TestNode.with(.sqlite) { node in
            var generator = SystemRandomNumberGenerator()
            // Four leaves of 1 MiB (the default profile) and one of 4321 bytes under one root.
            let mib = 1 << 20
            let file = (0..<(4 * mib) + 4321).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let added = try await node.add(file)
            let directory = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: [
                .init(name: "big.bin", cid: added.cid),
            ], cidVersion: 1, pin: true)).decode(DirectoryCreateResponse.self)
            let whole = try await Self.verify(added.cid, on: node)
            let cids = try #require(whole["cids"] as? [String])
            #expect(cids.count == 6, "\(whole)")
            let (root, leaves) = (cids[0], Array(cids.dropFirst()))

            let ranges: [(query: String, expected: [String])] = [
                ("dag-scope=entity&entity-bytes=0:0", [root, leaves[0]]),
                ("dag-scope=entity&entity-bytes=\(mib):\(2 * mib - 1)", [root, leaves[1]]),
                ("dag-scope=entity&entity-bytes=\(mib - 10):\(mib + 10)", [root, leaves[0], leaves[1]]),
                ("dag-scope=entity&entity-bytes=-100:*", [root, leaves[4]]),
                ("dag-scope=entity&entity-bytes=\(3 * mib):-5000", [root, leaves[3]]),
                ("dag-scope=entity&entity-bytes=99999999:*", [root]),
                ("dag-scope=entity&entity-bytes=9:3", [root]),
                ("dag-scope=entity&entity-bytes=-99999999999999999999999:99999999999999999999999", cids),
                ("dag-scope=entity", cids),
                ("dag-scope=block", [root]),
            ]
            for (query, expected) in ranges {
                let found = try await Self.verify(added.cid, query: query, on: node)
                #expect(found["cids"] as? [String] == expected, "\(query): \(found)")
                #expect(found["verified"] as? Int == expected.count, "\(query): \(found)")
                #expect(found["rootMatches"] as? Bool == true, "\(query): \(found)")
            }
            // A path: the directory, then its target; the root stays the directory.
            let viaPath = try await Self.verify(directory.cid, path: "big.bin", query: "dag-scope=block", on: node)
            #expect((viaPath["cids"] as? [String])?.count == 2 && (viaPath["cids"] as? [String])?.last == root, "\(viaPath)")
            #expect(viaPath["rootMatches"] as? Bool == true, "\(viaPath)")
            let directoryEntity = try await Self.verify(directory.cid, query: "dag-scope=entity", on: node)
            #expect((directoryEntity["cids"] as? [String])?.count == 1, "a directory entity is its own block: \(directoryEntity)")

            // The ETag names the scope and range.
            var tags: Set<String> = []
            for query in ["", "&dag-scope=block", "&dag-scope=entity", "&dag-scope=entity&entity-bytes=0:0"] {
                let reply = try await node.send(.GET, "/ipfs/\(added.cid)?format=car\(query)", token: nil)
                #expect(reply.status == .ok)
                tags.insert(reply.headers.first(name: "ETag") ?? "")
            }
            #expect(tags.count == 4, "\(tags)")
            // entity-bytes shapes the entity scope only; with another scope, or a raw block, it
            // is not read (as dag-scope is not with a raw block), but it must still parse.
            let unread = try await node.send(.GET, "/ipfs/\(added.cid)?format=car&dag-scope=all&entity-bytes=0:10", token: nil)
            #expect(unread.status == .ok && unread.headers.first(name: "ETag") == "\"\(added.cid).car\"")
            let raw = try await node.send(.GET, "/ipfs/\(added.cid)?format=raw&dag-scope=block&entity-bytes=0:10", token: nil)
            #expect(raw.status == .ok && raw.headers.first(name: "Content-Type") == "application/vnd.ipld.raw")
            for query in ["dag-scope=entity&entity-bytes=9:", "dag-scope=all&entity-bytes=*:3", "dag-scope=block&entity-bytes=--1:2",
                          "dag-scope=entity&entity-bytes=abc", "dag-scope=entity&entity-bytes=1:2:3", "dag-scope=subtree"] {
                let reply = try await node.send(.GET, "/ipfs/\(added.cid)?format=car&\(query)", token: nil)
                #expect(reply.status == .badRequest && reply.errorCode == "invalid_parameter", "\(query): \(reply.status) \(reply.text.prefix(200))")
            }
        }
    }
}
