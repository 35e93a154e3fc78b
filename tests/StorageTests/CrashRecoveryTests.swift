import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import PakitContracts
import PakitHTTPClient
import PakitTLS
import PakitTestSupport
import Synchronization
import Testing

/// The real `pakit-storage` process, killed with SIGKILL at random points during concurrent
/// uploads and restarted: every acknowledged upload must read back byte-identical, no
/// metadata row may point at a missing block, and no corrupt block may be served.
@Suite("Crash recovery (real process, kill -9)")
struct CrashRecoveryTests {
    @Test("acknowledged uploads survive kill -9 at random points", arguments: Backend.available)
    func killDuringUploads(backend: Backend) async throws {
        let dataDirectory = NSTemporaryDirectory() + "pakit-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try FileManager.default.createDirectory(atPath: dataDirectory + "/storage", withIntermediateDirectories: true)
        let databaseURL = try await backend.makeDatabaseURL(dataDirectory: dataDirectory)
        var generator = SystemRandomNumberGenerator()
        let acknowledged = Acknowledged()

        for round in 0..<5 {
            let process = try StorageProcess.start(dataDirectory: dataDirectory, databaseURL: databaseURL)
            let url = try await process.waitForURL()
            let client = try StorageProcess.client(dataDirectory: dataDirectory)
            let token = try String(contentsOfFile: "\(dataDirectory)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

            // Everything acknowledged so far is intact after the previous kill.
            for upload in acknowledged.all {
                let body = try await StorageProcess.get(client, url + "/v1/files/\(upload.cid)")
                #expect(body == randomBytes(upload.size, seed: upload.seed), "round \(round): \(upload.cid) changed after kill -9")
            }
            let verify = try await StorageProcess.post(client, url + "/v1/repo/verify", token: token)
            let report = try JSONDecoder().decode(RepoVerifyResponse.self, from: Data(verify))
            #expect(report.missing.isEmpty, "round \(round): rows without blocks: \(report.missing.prefix(3))")
            #expect(report.corrupt.isEmpty, "round \(round): corrupt blocks: \(report.corrupt.prefix(3))")
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "\(dataDirectory)/storage/blocks/.tmp")) ?? []
            #expect(leftovers.isEmpty, "temporary files survived recovery")

            // Concurrent writers until the kill.
            let writers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            while !Task.isCancelled {
                                let seed = acknowledged.nextSeed()
                                let size = Int(seed % 7 == 0 ? 3_000_000 : (seed * 7919) % 400_000 + 1)
                                guard let answer = try? await StorageProcess.post(client, url + "/v1/files?profile=unixfs-v1-2025",
                                                                                  token: token, body: randomBytes(size, seed: seed)),
                                      let added = try? JSONDecoder().decode(FileAddResponse.self, from: Data(answer)) else { return }
                                acknowledged.append((added.cid, seed, size))
                            }
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500, using: &generator)))
            process.kill()
            writers.cancel()
            await writers.value
            try? await client.shutdown()
        }
        let total = acknowledged.all.count
        #expect(total > 10, "too few uploads were acknowledged to prove anything (\(total))")

        // Final restart and check.
        let process = try StorageProcess.start(dataDirectory: dataDirectory, databaseURL: databaseURL)
        defer { process.kill() }
        let url = try await process.waitForURL()
        let client = try StorageProcess.client(dataDirectory: dataDirectory)
        for upload in acknowledged.all {
            let body = try await StorageProcess.get(client, url + "/v1/files/\(upload.cid)")
            #expect(body == randomBytes(upload.size, seed: upload.seed))
        }
        try await client.shutdown()
    }
}

@Suite("Graceful shutdown (real process, SIGTERM)")
struct GracefulShutdownTests {
    @Test("SIGTERM lets an upload in flight finish; its content is there after restart")
    func inFlightUploadFinishes() async throws {
        let dataDirectory = NSTemporaryDirectory() + "pakit-term-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try FileManager.default.createDirectory(atPath: dataDirectory + "/storage", withIntermediateDirectories: true)
        let databaseURL = "sqlite:\(dataDirectory)/storage/metadata.sqlite"
        let process = try StorageProcess.start(dataDirectory: dataDirectory, databaseURL: databaseURL)
        defer { process.kill() }
        let url = try await process.waitForURL()
        // HTTP/1.1: AsyncHTTPClient 1.37 fails its own in-flight h2 request when the server sends
        // GOAWAY, although the server lets the stream finish (curl --http2 completes with 201).
        let client = try StorageProcess.client(dataDirectory: dataDirectory, http1Only: true)
        let token = try String(contentsOfFile: "\(dataDirectory)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = randomBytes(3_000_000, seed: 31)
        let (parts, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        var request = HTTPClientRequest(url: url + "/v1/files")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .stream(parts, length: .known(Int64(bytes.count)))
        let upload = Task { () -> (HTTPResponseStatus, ByteBuffer) in
            let response = try await client.execute(request, timeout: .seconds(60))
            return (response.status, try await response.body.collect(upTo: 1 << 20))
        }
        // Half the body is on the wire; the server's handler is running.
        feed.yield(ByteBuffer(bytes: bytes[0..<1_500_000]))
        // Wait until the server has ingested part of it (its own counter, read over mutual TLS).
        let observer = ServiceClient.make(tls: try LocalCertificateAuthority.loadOrCreate(in: "\(dataDirectory)/tls")
            .certificate(for: "observer").clientConfiguration())
        var ingested = 0.0
        while ingested < 1_000_000 {
            let metrics = try await observer.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
            let text = String(buffer: try await metrics.body.collect(upTo: 1 << 22))
            ingested = text.split(separator: "\n").first { $0.hasPrefix("pakit_storage_ingested_bytes_total ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        try await observer.shutdown()
        process.process.terminate()  // SIGTERM
        feed.yield(ByteBuffer(bytes: bytes[1_500_000...]))
        feed.finish()
        let result = await upload.result
        try await client.shutdown()
        let (status, answer) = try result.get()
        #expect(status == .created, "the in-flight upload was cut off by SIGTERM")
        await process.process.exited()
        #expect(process.process.terminationStatus == 0)
        let added = try JSONDecoder().decode(FileAddResponse.self, from: Data(buffer: answer))

        let restarted = try StorageProcess.start(dataDirectory: dataDirectory, databaseURL: databaseURL)
        defer { restarted.kill() }
        let newURL = try await restarted.waitForURL()
        let again = try StorageProcess.client(dataDirectory: dataDirectory)
        #expect(try await StorageProcess.get(again, newURL + "/v1/files/\(added.cid)") == bytes)
        try await again.shutdown()
    }
}

/// Uploads the server acknowledged (2xx with a CID), shared by the writer tasks.
final class Acknowledged: Sendable {
    private let uploads = Mutex<[(cid: String, seed: UInt64, size: Int)]>([])
    private let seeds = Atomic<UInt64>(1)

    var all: [(cid: String, seed: UInt64, size: Int)] { uploads.withLock { $0 } }
    func append(_ upload: (cid: String, seed: UInt64, size: Int)) { uploads.withLock { $0.append(upload) } }
    func nextSeed() -> UInt64 { seeds.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Runs the built `pakit-storage` executable as a child process.
final class StorageProcess: Sendable {
    let process: Process
    let dataDirectory: String

    static var executable: String {
        get throws { try BuiltProduct.path("pakit-storage") }
    }

    private init(process: Process, dataDirectory: String) {
        self.process = process
        self.dataDirectory = dataDirectory
    }

    static func start(dataDirectory: String, databaseURL: String, extraArguments: [String] = []) throws -> StorageProcess {
        try? FileManager.default.removeItem(atPath: "\(dataDirectory)/storage.url")
        // The bootstrap step `pakit init` performs: the service loads only its own certificate.
        try NodeCertificates.issue(in: "\(dataDirectory)/tls", identities: ["storage", NodeCertificates.operatorName])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable)
        process.arguments = ["--data-dir", dataDirectory, "--port", "0", "--database-url", databaseURL, "--log-level", "warning"] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return StorageProcess(process: process, dataDirectory: dataDirectory)
    }

    func waitForURL() async throws -> String {
        try await ServiceProcess.waitForFile("\(dataDirectory)/storage.url", while: process)
    }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static func client(dataDirectory: String, http1Only: Bool = false) throws -> HTTPClient {
        try TestTLS.trustingClient(dataDirectory: dataDirectory, http1Only: http1Only)
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> [UInt8] {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 30)
        guard response.status == .ok else { throw TestFailure("GET \(url): \(response.status)") }
        return Array(body.readableBytesView)
    }

    static func post(_ client: HTTPClient, _ url: String, token: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 1 << 26)
        guard (200..<300).contains(response.status.code) else { throw TestFailure("POST \(url): \(response.status)") }
        return Array(answer.readableBytesView)
    }
}
