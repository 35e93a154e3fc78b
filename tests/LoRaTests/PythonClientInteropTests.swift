import Foundation
import LoRaBridgeService
import LoRaSimulator
import PakitMeshtastic
import PakitTestSupport
import Testing

/// The official Meshtastic Python client (PyPI `meshtastic` 2.7.11, an independent
/// implementation of the client API) against the radio simulator, with our device client on
/// the other simulated node.
@Suite("Official Meshtastic Python client", .serialized)
struct PythonClientInteropTests {
    @Test("connects to a simulated device, exchanges PRIVATE_APP packets with our client, and is refused 232 bytes")
    func pythonClientTalksToTheSimulator() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 10)
        defer { mesh.stop() }
        let (ours, log) = try await mesh.device(1)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../compat/meshtastic_peer.py").standardizedFileURL.path
        let python = try LineProcess.launch("/usr/bin/env", ["python3", script, "127.0.0.1", "\(mesh.simulator.nodes[0].port)", "\(mesh.number(1))", "c0ffee"])
        defer { python.terminate() }

        let connected = try await python.nextJSON()
        #expect(connected["event"] as? String == "connected")
        #expect((connected["myNodeNum"] as? NSNumber)?.uint32Value == mesh.number(0))
        #expect((connected["nodes"] as? [NSNumber])?.map(\.uint32Value).contains(mesh.number(1)) == true)
        #expect((connected["hopLimit"] as? NSNumber)?.intValue == 3)
        #expect((connected["region"] as? NSNumber)?.intValue == 3)
        #expect((connected["channels"] as? NSNumber)?.intValue == 8)

        // Ours → Python: a PRIVATE_APP broadcast arrives on Python's PRIVATE_APP topic.
        try await ours.send(.privateApp(to: broadcastAddress, payload: [0x50, 0x4B, 0x01]))
        let received = try await python.nextJSON()
        #expect(received["event"] as? String == "received")
        #expect(received["payload"] as? String == "504b01")
        #expect((received["from"] as? NSNumber)?.uint32Value == mesh.number(1))
        #expect((received["hopStart"] as? NSNumber)?.intValue == 3)

        // Python → ours: a unicast with want_ack arrives here and Python gets the ACK.
        let packet = await log.packet(port: .privateApp, from: mesh.number(0))
        #expect(packet?.decoded.payload == Data([0xC0, 0xFF, 0xEE]))
        #expect(packet?.to == mesh.number(1))
        #expect(packet?.pkiEncrypted == true)
        let ack = try await python.nextJSON()
        #expect(ack["label"] as? String == "unicast")
        #expect(ack["error"] as? String == "NONE")
        #expect((ack["from"] as? NSNumber)?.uint32Value == mesh.number(1))

        // 232 bytes is one over the firmware's PRIVATE_APP limit: refused as the firmware does.
        let oversize = try await python.nextJSON()
        #expect(oversize["label"] as? String == "oversize")
        #expect(oversize["error"] as? String == "TOO_LARGE")
        // 231 bytes goes on air; the neighbour's relay is Python's implicit ACK.
        let maximum = try await python.nextJSON()
        #expect(maximum["label"] as? String == "maximum")
        #expect(maximum["error"] as? String == "NONE")
        #expect((maximum["from"] as? NSNumber)?.uint32Value == mesh.number(0))
        let big = await log.packet(port: .privateApp, from: mesh.number(0)) { $0.decoded.payload.count == 231 }
        #expect(big != nil)
        let done = try await python.nextJSON()
        #expect(done["event"] as? String == "done")
        let report = await mesh.report(0)
        #expect(report.counters.refusedTooLarge == 1)
        _ = ours
    }
}

/// A child process whose stdout is read line by line (on a thread of its own).
final class LineProcess: Sendable {
    private let process: Process
    private let lines: AsyncStream<String>

    private init(process: Process, lines: AsyncStream<String>) {
        self.process = process
        self.lines = lines
    }

    static func launch(_ executable: String, _ arguments: [String], standardInput: Pipe? = nil) throws -> LineProcess {
        let process = Process()
        if let standardInput { process.standardInput = standardInput }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let handle = pipe.fileHandleForReading
        let reader = Thread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            continuation.finish()
        }
        try process.run()
        reader.start()
        return LineProcess(process: process, lines: stream)
    }

    /// The next stdout line as a JSON object; fails the test if the process ends first.
    func nextJSON() async throws -> [String: Any] {
        for await line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if object["event"] as? String == "timeout" { throw TestFailure("the peer timed out: \(line)") }
            return object
        }
        throw TestFailure("the process ended without another line")
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    var processIdentifier: Int32 { process.processIdentifier }
}

extension LineProcess {
    /// Launches with a pipe on standard input too, for line commands.
    static func launchWithInput(_ executable: String, _ arguments: [String]) throws -> (LineProcess, FileHandle) {
        let input = Pipe()
        let process = try LineProcess.launch(executable, arguments, standardInput: input)
        return (process, input.fileHandleForWriting)
    }
}
