import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PakitContracts
import PakitHTTPClient
import PakitTLS

/// `pakit status`: each service `pakit up` runs, with its URL, pid, readiness and restarts.
/// Readiness is asked of the service itself (`GET /ready` with the operator's certificate, so a
/// failing check is named).
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the services of a running node.")

    @OptionGroup var data: DataDirectoryOption

    func run() async throws {
        let dataDirectory = data.path
        let statePath = "\(dataDirectory)/up.json"
        guard let bytes = FileManager.default.contents(atPath: statePath),
              let state = try? JSONDecoder().decode(UpStatus.self, from: bytes) else {
            throw CLIError("no node is running from \(dataDirectory) (no \(statePath)); start one with 'pakit up'")
        }
        guard kill(Int32(state.supervisor), 0) == 0 else {
            throw CLIError("the 'pakit up' that wrote \(statePath) (pid \(state.supervisor)) is not running")
        }
        let operatorTLS = ServiceTLSFiles.defaultPaths(dataDirectory: dataDirectory, identity: NodeCertificates.operatorName)
        let client = ServiceClient.make(tls: try operatorTLS.clientConfiguration())
        var rows = [["SERVICE", "URL", "PID", "READY", "RESTARTS"]]
        for service in state.services {
            let alive = service.pid.map { kill(Int32($0), 0) == 0 } ?? false
            var readiness = alive ? "starting" : "down"
            if alive, let url = service.url {
                readiness = await Self.readiness(client, url: url)
            }
            rows.append([service.name, service.url ?? "-", service.pid.map(String.init) ?? "-", readiness, "\(service.restarts)"])
        }
        try? await client.shutdown()
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }

    /// `ready`, or `not ready (check: reason, …)`, or why the service did not answer.
    static func readiness(_ client: HTTPClient, url: String) async -> String {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url + "/ready"), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard let ready = try? JSONDecoder().decode(ReadyResponse.self, from: Data(buffer: body)) else {
                return "unknown (HTTP \(response.status.code))"
            }
            if ready.status == "ready" { return "ready" }
            let failing = ready.checks.filter { $0.value != "ok" }.map { "\($0.key): \($0.value)" }.sorted()
            return "not ready" + (failing.isEmpty ? "" : " (\(failing.joined(separator: "; ")))")
        } catch {
            return "unreachable (\(error))"
        }
    }
}

/// `pakit jobs [--kind K] [--state S] [--json]`: the node's durable jobs (seal, prove,
/// replicate), newest first (admin).
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the node's durable jobs: seals, proofs, replication (admin).")
    @OptionGroup var node: NodeOptions
    @Option(help: "Only this kind (storage.seal, storage.prove, storage.replicate).") var kind: String?
    @Option(help: "Only this state (queued, running, done, failed, cancelled).") var state: String?
    @Option(help: "At most this many (1…1000).") var limit: Int = 100
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        var query = ["limit=\(limit)"]
        if let kind { query.append("kind=\(kind.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? kind)") }
        if let state { query.append("state=\(state.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? state)") }
        let path = "/v1/admin/jobs?" + query.joined(separator: "&")
        let answer = try await NodeClient.with(node) { try await $0.json(JobListResponse.self, .GET, path) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        for job in answer.jobs {
            print("\(job.id)  \(job.kind)  \(job.state.rawValue)  attempts \(job.attempts)/\(job.maxAttempts)  \(job.payload)"
                  + (job.lastError.map { "  last error: \($0.prefix(120))" } ?? ""))
        }
    }
}
