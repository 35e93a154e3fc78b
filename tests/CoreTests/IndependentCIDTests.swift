import Foundation
import PakitTestSupport
import PakitCore
import Testing

/// The DAG builder against an independent implementation, PyPI `aleph-cid`
/// (tests/compat/aleph_cid.py), in Kubo's `--cid-version=1` shape: 256 KiB raw leaves,
/// 174 links, CIDv1 — files of boundary sizes and a directory tree.
@Suite("Independent CIDs (aleph-cid)")
struct IndependentCIDTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("compat/aleph_cid.py").path
    static let layout = DAGLayout(cidVersion: 1, rawLeaves: true, maxLinks: 174)

    static func fileCID(_ bytes: [UInt8]) throws -> CID {
        var chunker = try FixedSizeChunker(chunkSize: 256 << 10)
        var builder = FileDAGBuilder(layout: layout)
        var chunks = chunker.push(bytes)
        if let last = chunker.finish() { chunks.append(last) }
        for chunk in chunks {
            _ = builder.addChunk(chunk)
            _ = builder.takeCompletedNodes()
        }
        return builder.finish().root
    }

    static func aleph(_ paths: [String]) async throws -> [String: String] {
        let result = try await runProcess("/usr/bin/env", ["python3", script, "--v1-raw-leaves"] + paths)
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: String] else {
            throw CoreTestFailure("aleph_cid.py failed (tests/compat/install.sh installs it): \(result.stderr)")
        }
        return object
    }

    @Test("files at chunk and link boundaries")
    func files() async throws {
        let directory = NSTemporaryDirectory() + "pakit-aleph-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sizes = [1, 262_143, 262_144, 262_145, 1_000_000, 174 * 262_144, 174 * 262_144 + 1]
        var files: [String: [UInt8]] = [:]
        for size in sizes {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            let path = "\(directory)/f\(size)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            files[path] = bytes
        }
        let independent = try await Self.aleph(Array(files.keys))
        for (path, bytes) in files {
            #expect(try Self.fileCID(bytes).string == independent[path], "\(bytes.count) bytes")
        }
    }

    @Test("a directory tree of small files")
    func directory() async throws {
        let root = NSTemporaryDirectory() + "pakit-aleph-tree-\(UUID().uuidString)"
        let tree: [String: [UInt8]] = ["a.txt": Array("a\n".utf8), "sub/b.txt": Array("bb\n".utf8),
                                       "sub/nested/c.txt": Array("ccc\n".utf8), "sub/big": Array(repeating: 7, count: 300_000)]
        for (path, bytes) in tree {
            let url = URL(fileURLWithPath: "\(root)/\(path)")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        func build(_ path: String) throws -> (CID, UInt64) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if !isDirectory.boolValue {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                var chunker = try FixedSizeChunker(chunkSize: 256 << 10)
                var builder = FileDAGBuilder(layout: Self.layout)
                var chunks = chunker.push(bytes)
                if let last = chunker.finish() { chunks.append(last) }
                for chunk in chunks { _ = builder.addChunk(chunk) }
                let result = builder.finish()
                return (result.root, result.rootTsize)
            }
            var entries: [UnixFSDirectory.Entry] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: path) {
                let (cid, tsize) = try build("\(path)/\(name)")
                entries.append(.init(name: name, cid: cid, tsize: tsize))
            }
            let block = try UnixFSDirectory.build(entries: entries, cidVersion: 1)
            return (block.cid, try cumulativeSize(ofBlock: block.bytes, cid: block.cid))
        }
        #expect(try await build(root).0.string == Self.aleph([root])[root])
    }
}

struct CoreTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
