import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import PakitContracts
import PakitHTTPClient

/// `pakit add FILE` / `pakit add -r DIR`.
struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a file (or a directory with -r) and print its CID.")

    @OptionGroup var node: NodeOptions
    @Flag(name: .shortAndLong, help: "Add a directory tree.") var recursive = false
    @Option(help: "Chunking profile: unixfs-v1-2025 (default), unixfs-v0-2015, fastcdc-v1.") var profile: String?
    @Flag(help: "Do not pin the result.") var noPin = false
    @Flag(name: .shortAndLong, help: "Print only the root CID.") var quiet = false
    @Argument(help: "File or directory to add ('-' for standard input).") var path: String

    func run() async throws {
        try await NodeClient.with(node, http1Only: true) { client in
            var isDirectory: ObjCBool = false
            let exists = path == "-" || FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard exists else { throw CLIError("no such file: \(path)") }
            if isDirectory.boolValue {
                guard recursive else { throw CLIError("\(path) is a directory: use -r") }
                let cid = try await addDirectory(path, client: client, pin: !noPin)
                print(quiet ? cid : "added \(cid) \(URL(fileURLWithPath: path).lastPathComponent)")
            } else {
                let result = try await addFile(path, client: client, pin: !noPin)
                print(quiet ? result.cid : "added \(result.cid) \(result.name ?? "") (\(result.size) bytes, \(result.blocks) blocks)")
            }
        }
    }

    func addFile(_ path: String, client: NodeClient, pin: Bool) async throws -> FileAddResponse {
        let name = path == "-" ? nil : URL(fileURLWithPath: path).lastPathComponent
        var query = "pin=\(pin)"
        if let name, let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { query += "&name=\(encoded)" }
        if let profile { query += "&profile=\(profile)" }
        let body: ServiceRequestBody
        if path == "-" {
            body = .stream(.stream(FileByteChunks(handle: .standardInput), length: .unknown))
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot open \(path)") }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            let progress = isatty(STDERR_FILENO) == 1 && !quiet ? ProgressBar(total: size, label: name ?? "") : nil
            body = .stream(.stream(FileByteChunks(handle: handle) { read in progress?.advance(read) }, length: .known(Int64(size))))
        }
        let result = try await client.json(FileAddResponse.self, .POST, "/v1/files?\(query)", body: body, contentType: "application/octet-stream")
        return result
    }

    /// Adds every file, then builds directories bottom-up with `POST /v1/dirs`.
    func addDirectory(_ path: String, client: NodeClient, pin: Bool) async throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        var entries: [DirectoryCreateRequest.Entry] = []
        for name in names {
            let child = "\(path)/\(name)"
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory)
            let cid = isDirectory.boolValue
                ? try await addDirectory(child, client: client, pin: false)
                : try await addFile(child, client: client, pin: false).cid
            entries.append(.init(name: name, cid: cid))
        }
        let legacy = profile == "unixfs-v0-2015"
        let response = try await client.json(DirectoryCreateResponse.self, .POST, "/v1/dirs",
                                              json: DirectoryCreateRequest(entries: entries, cidVersion: legacy ? 0 : 1, pin: pin))
        return response.cid
    }
}

/// A one-line progress bar on standard error, only on a terminal.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private var done = 0
    private var lastDrawn = Date.distantPast

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    /// Called with each read's size; a read of 0 bytes is the end.
    func advance(_ bytes: Int) {
        if bytes == 0 { return finish() }
        done += bytes
        if Date().timeIntervalSince(lastDrawn) > 0.1 { draw() }
    }

    func finish() {
        draw()
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw() {
        lastDrawn = Date()
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        let line = String(format: "\r%@ [%@] %3.0f%% %.1f/%.1f MiB", label, bar, fraction * 100, Double(done) / 1_048_576, Double(total) / 1_048_576)
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// `pakit cat CID[/path]`.
struct Cat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a file's content to standard output.")
    @OptionGroup var node: NodeOptions
    @Argument(help: "CID, optionally followed by /path inside a directory.") var target: String

    func run() async throws {
        try await download(target, node: node, to: .standardOutput)
    }
}

/// `pakit get CID[/path] -o FILE`.
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save a file's content.")
    @OptionGroup var node: NodeOptions
    @Option(name: .shortAndLong, help: "Output file.") var output: String
    @Argument(help: "CID, optionally followed by /path.") var target: String

    func run() async throws {
        let partial = output + ".part"
        guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
            throw CLIError("cannot create \(partial)")
        }
        do {
            try await download(target, node: node, to: handle)
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: output)
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}

func download(_ target: String, node: NodeOptions, to handle: FileHandle) async throws {
    try await NodeClient.with(node) { client in
        let response = try await client.download("/v1/files/\(target)")
        for try await buffer in response.body { try Output.write(buffer, to: handle) }
    }
}

/// `pakit stat CID`.
struct Stat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a block's size and how it is stored.")
    @OptionGroup var node: NodeOptions
    @Argument var cid: String

    func run() async throws {
        let stat = try await NodeClient.with(node) { try await $0.json(BlockStat.self, .GET, "/v1/blocks/\(cid)/stat") }
        print("cid: \(stat.cid)\nsize: \(stat.size)\nstored: \(stat.storedSize)\ncompression: \(stat.compression)")
    }
}
