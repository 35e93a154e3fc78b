import Foundation
import PakitCore

/// One running dev chain (tools/devchain/devchain.py, a labelled development stand-in for a
/// BelizeChain node) and calls to it through tools/devchain/rpc.py, a client independent of
/// the relay's own.
public struct DevChain: Sendable {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    public let process: Process
    public let url: String

    /// A chain some other process started (`pakit up --devchain`), reached at `url`.
    public init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    /// Starts a chain with 100 ms blocks finalized 2 behind, each account in `endow` holding
    /// 100 DALLA (or `planck`), plus whatever `extra` options devchain.py takes.
    public static func start(endow: [[UInt8]], planck: UInt64 = 100 * 1_000_000_000_000, blockMilliseconds: Int = 100,
                             extra: [String] = []) async throws -> DevChain {
        let urlFile = NSTemporaryDirectory() + "pakit-devchain-\(UUID().uuidString).url"
        let arguments = ["python3", "\(repositoryRoot)/tools/devchain/devchain.py", "--url-file", urlFile, "--block-ms", "\(blockMilliseconds)",
                         "--finality-lag", "2"] + endow.flatMap { ["--endow", "\(Base16.encode($0))=\(planck)"] } + extra
        let process = try ServiceProcess.launch("/usr/bin/env", arguments)
        do {
            let url = try await ServiceProcess.waitForFile(urlFile, while: process, timeout: .seconds(60))
            try? FileManager.default.removeItem(atPath: urlFile)
            return DevChain(process: process, url: url)
        } catch {
            ServiceProcess.kill(process)
            throw error
        }
    }

    public func stop() {
        ServiceProcess.kill(process)
    }

    /// One JSON-RPC call; the whole answer (`result` or `error`).
    public func call(_ method: String, _ params: String = "[]") async throws -> [String: Any] {
        let result = try await runProcess("/usr/bin/env", ["python3", "\(Self.repositoryRoot)/tools/devchain/rpc.py", url, method, params])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
            throw TestFailure("rpc.py \(method): \(result.stderr)")
        }
        return object
    }

    /// Submits and watches; the reply, then every status until a terminal one, and the hash a
    /// `finalized` status names.
    public func watch(bytes: [UInt8]) async throws -> (reply: [String: Any], statuses: [String], finalizedIn: String?) {
        let result = try await runProcess("/usr/bin/env", ["python3", "\(Self.repositoryRoot)/tools/devchain/rpc.py", url, "--watch", Base16.encode(bytes)])
        guard result.status == 0 else { throw TestFailure("rpc.py --watch: \(result.stderr)") }
        let lines = try result.output.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        let statuses = lines.dropFirst().compactMap { line -> String? in
            if let text = line["status"] as? String { return text }
            return (line["status"] as? [String: Any])?.keys.first
        }
        let finalizedIn = lines.compactMap { ($0["status"] as? [String: Any])?["finalized"] as? String }.first
        return (lines.first ?? [:], statuses, finalizedIn)
    }

    public func storage(_ key: [UInt8], at block: String? = nil) async throws -> [UInt8]? {
        let params = block.map { "[\"0x\(Base16.encode(key))\", \"\($0)\"]" } ?? "[\"0x\(Base16.encode(key))\"]"
        let answer = try await call("state_getStorage", params)
        return try (answer["result"] as? String).map { try Base16.decode($0.dropFirst(2)) }
    }

    /// The finalized head's number and hash.
    public func finalizedHead() async throws -> (number: UInt64, hash: [UInt8]) {
        guard let hash = try await call("chain_getFinalizedHead")["result"] as? String,
              let header = try await call("chain_getHeader", "[\"\(hash)\"]")["result"] as? [String: Any],
              let number = (header["number"] as? String).flatMap({ UInt64($0.dropFirst(2), radix: 16) }) else {
            throw TestFailure("the dev chain has no finalized head")
        }
        return (number, try Base16.decode(hash.dropFirst(2)))
    }

    /// Every extrinsic of the finalized chain, block by block (genesis excluded), as hex-free bytes.
    public func finalizedExtrinsics() async throws -> [(block: UInt64, extrinsics: [[UInt8]])] {
        let head = try await finalizedHead()
        var blocks: [(block: UInt64, extrinsics: [[UInt8]])] = []
        let script = """
        import json, sys, asyncio, websockets
        async def main():
            async with websockets.connect(sys.argv[1], max_size=None) as ws:
                out = []
                for n in range(1, int(sys.argv[2]) + 1):
                    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "chain_getBlockHash", "params": [n]}))
                    h = json.loads(await ws.recv())["result"]
                    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "chain_getBlock", "params": [h]}))
                    out.append(json.loads(await ws.recv())["result"]["block"]["extrinsics"])
                print(json.dumps(out))
        asyncio.run(main())
        """
        let result = try await runProcess("/usr/bin/env", ["python3", "-c", script, url, "\(head.number)"])
        guard result.status == 0, let lists = try JSONSerialization.jsonObject(with: result.stdout) as? [[String]] else {
            throw TestFailure("reading the finalized blocks: \(result.stderr)")
        }
        for (index, list) in lists.enumerated() {
            blocks.append((UInt64(index + 1), try list.map { try Base16.decode($0.dropFirst(2)) }))
        }
        return blocks
    }
}
