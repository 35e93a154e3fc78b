import AsyncHTTPClient
import Foundation
import PakitHTTPServer
import PakitContracts
import PakitTestSupport
import Testing

/// The storage process's HTTP/2 against nghttp2's own client (`nghttp`, Debian's
/// nghttp2-client): the flow-control windows it advertises, and a multi-megabyte upload over a
/// single stream read back byte for byte.
@Suite("HTTP/2 with nghttp2 (real process)", .serialized)
struct HTTP2InteropTests {
    static let nghttp = "/usr/bin/nghttp"

    @Test("the server advertises its bulk stream window and takes an 8 MiB upload on one stream",
          .enabled(if: FileManager.default.isExecutableFile(atPath: nghttp)))
    func windowsAndOneStreamUpload() async throws {
        let data = NSTemporaryDirectory() + "pakit-h2-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/storage", withIntermediateDirectories: true)
        let process = try StorageProcess.start(dataDirectory: data, databaseURL: "sqlite:\(data)/storage/metadata.sqlite")
        defer { process.kill() }
        let url = try await process.waitForURL()
        let token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        let content = randomBytes(8 << 20, seed: 42)
        let file = data + "/upload.bin"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(content)))
        let output = try await Self.run([Self.nghttp, "-v", "-d", file, "-H", "authorization: Bearer \(token)",
                                   "-H", "content-type: application/octet-stream", "\(url)/v1/files?pin=true"])

        // The server's SETTINGS frame names the window (65535 would be the protocol default).
        let settings = output.split(separator: "\n").drop { !$0.contains("recv SETTINGS frame") }.prefix(8).joined(separator: "\n")
        #expect(settings.contains("SETTINGS_INITIAL_WINDOW_SIZE(0x04):\(ServiceHTTPChannel.Windows.bulk.stream)"), "server settings: \(settings)")
        #expect(output.contains(":status: 201"), "upload status: \(output.suffix(2000))")
        // One request stream carried the whole body.
        let requests = output.split(separator: "\n").filter { $0.contains("send HEADERS frame") }
        #expect(requests.count == 1)

        // nghttp prints the response body with its next frame log line straight after it.
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("{") })
        let json = try #require(line.lastIndex(of: "}").map { line[...$0] })
        let added = try JSONDecoder().decode(FileAddResponse.self, from: Data(json.utf8))
        let client = try StorageProcess.client(dataDirectory: data)
        let stored = try await StorageProcess.get(client, "\(url)/v1/files/\(added.cid)")
        try await client.shutdown()
        #expect(stored == content)
    }

    static func run(_ arguments: [String]) async throws -> String {
        let result = try await runProcess(arguments[0], Array(arguments.dropFirst()))
        return result.output + result.stderr
    }
}
