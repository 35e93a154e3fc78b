import Foundation
import PakitContracts
import PakitTestSupport
import Testing

/// Replication as real processes: three `pakit up` nodes, a pin with two copies on a, the
/// replica's node killed with SIGKILL, repair onto the third node, the dead node back and its
/// surplus replica released; reads stay byte-identical throughout. And an origin killed while
/// its replication job is in flight, which resumes after restart and places one replica.
@Suite("Replication: three pakit up nodes", .serialized)
struct ReplicationTests {
    static func environment(grace: Int) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PAKIT_") { environment[key] = nil }
        environment["PAKIT_REPLICA_GRACE"] = "\(grace)"
        return environment
    }

    @Test("pin with 2 copies on a; kill -9 the replica's node; repair onto the third; the dead node returns and its surplus replica is released; every read byte-identical")
    func repairAfterDeath() async throws {
        let root = NSTemporaryDirectory() + "pakit-replication-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pakit = try BuiltProduct.path("pakit")
        let environment = Self.environment(grace: 2)
        let cluster = try await TestCluster.start(pakit: pakit, root: root, environments: [environment, environment, environment])
        defer { cluster.abandon() }
        let ids = try await cluster.waitForMesh()

        let content = FetchFromPeersTests.content(1_500_000, seed: 7)
        let cid = try await cluster.add(content, on: cluster.nodes[0], name: "replicated.bin")
        let pinned = try await runProcess(pakit, ["pin", "add", "--data", cluster.nodes[0].data, "--replicas", "2", cid], environment: environment)
        #expect(pinned.status == 0, "pakit pin add --replicas 2: \(pinned.stderr)")

        // One confirmed replica, with a statement signed by its node.
        let first = try await cluster.waitFor("a confirmed replica") { () -> (ReplicaInfo?, String) in
            let (status, note) = try await cluster.pinStatus(cid, on: 0)
            let confirmed = status?.replicas.filter { $0.state == .confirmed } ?? []
            return (confirmed.count == 1 ? confirmed[0] : nil, note)
        }
        #expect(first.statement?.peerID == first.peerID && first.statement?.cid == cid && first.statement?.bytes ?? 0 >= UInt64(content.count))
        let holder = try #require(ids.firstIndex(of: first.peerID))
        let other = holder == 1 ? 2 : 1
        #expect(holder != 0)
        let listing = try await runProcess(pakit, ["pin", "ls", "--data", cluster.nodes[holder].data], environment: environment).output
        #expect(listing.contains(cid) && listing.contains("replica for \(ids[0])"), "pakit pin ls on the replica: \(listing)")
        let origin = try await runProcess(pakit, ["pin", "ls", "--data", cluster.nodes[0].data], environment: environment).output
        #expect(origin.contains("\(cid)  copies 2/2"), "pakit pin ls on a: \(origin)")
        try await cluster.expectRead(cid, on: holder, equals: content)
        // The replica came as one CAR of the whole DAG, not block by block.
        let pulled = try await cluster.metrics(on: holder)
        #expect(pulled["pakit_storage_remote_dag_fetches_total{outcome=\"complete\"}"] == 1, "\(pulled)")
        #expect(pulled["pakit_storage_remote_blocks_total{source=\"peer\"}"] == 0, "\(pulled)")
        // 1.5 MB in the default profile's 1 MiB chunks: two leaves and the root.
        #expect(pulled["pakit_storage_remote_blocks_total{source=\"peer-car\"}"] == 3, "\(pulled)")

        // The replica's node dies; repair places the DAG on the third node.
        cluster.kill(holder)
        let repaired = try await cluster.waitFor("repair onto the third node") { () -> (PinStatus?, String) in
            let (status, note) = try await cluster.pinStatus(cid, on: 0)
            let states = Dictionary((status?.replicas ?? []).map { ($0.peerID, $0.state) }, uniquingKeysWith: { first, _ in first })
            return (states[ids[holder]] == .lost && states[ids[other]] == .confirmed ? status : nil, note)
        }
        #expect(repaired.replicas.filter { $0.state == .confirmed }.count == 1)
        try await cluster.expectRead(cid, on: 0, equals: content)
        try await cluster.expectRead(cid, on: other, equals: content)

        // The dead node returns: it still holds its copy, which is now surplus and released.
        try await cluster.restart(holder)
        _ = try await cluster.waitFor("the surplus replica released") { () -> (Bool?, String) in
            let (status, note) = try await cluster.pinStatus(cid, on: 0)
            let states = Dictionary((status?.replicas ?? []).map { ($0.peerID, $0.state) }, uniquingKeysWith: { first, _ in first })
            return (states[ids[holder]] == .released && states[ids[other]] == .confirmed ? true : nil, note)
        }
        let (returned, _) = try await cluster.pinStatus(cid, on: holder)
        #expect(returned == nil, "the returned node still pins \(cid) after the release")
        try await cluster.expectRead(cid, on: other, equals: content)
        try await cluster.expectRead(cid, on: holder, equals: content)
        try await cluster.expectRead(cid, on: 0, equals: content)
        await cluster.stop()
    }

    @Test("the origin is killed while its replication job waits on a replica; after restart the job resumes and exactly one replica is confirmed")
    func originKilledMidReplication() async throws {
        let root = NSTemporaryDirectory() + "pakit-replication-crash-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pakit = try BuiltProduct.path("pakit")
        let environment = Self.environment(grace: 30)
        let cluster = try await TestCluster.start(pakit: pakit, root: root, environments: [environment, environment, environment])
        defer {
            for index in [1, 2] { cluster.signal(index, service: "storage", SIGCONT) }
            cluster.abandon()
        }
        let ids = try await cluster.waitForMesh()
        let content = FetchFromPeersTests.content(800_000, seed: 9)
        let cid = try await cluster.add(content, on: cluster.nodes[0], name: "crash.bin")

        // b's and c's storage stop answering (their gateways stay alive, so both stay
        // candidates): the job's request hangs in flight.
        for index in [1, 2] { cluster.signal(index, service: "storage", SIGSTOP) }
        let pinned = try await runProcess(pakit, ["pin", "add", "--data", cluster.nodes[0].data, "--replicas", "2", cid], environment: environment)
        #expect(pinned.status == 0, "pakit pin add: \(pinned.stderr)")
        let running = try await cluster.waitFor("the replication job running") { () -> (JobRecord?, String) in
            let result = try await runProcess(pakit, ["jobs", "--data", cluster.nodes[0].data, "--kind", "storage.replicate", "--json"],
                                        environment: environment)
            let jobs = (try? JSONDecoder().decode(JobListResponse.self, from: result.stdout))?.jobs ?? []
            return (jobs.first { $0.state == .running }, result.stderr + result.output)
        }
        cluster.kill(0)
        for index in [1, 2] { cluster.signal(index, service: "storage", SIGCONT) }
        try await cluster.restart(0)

        let confirmed = try await cluster.waitFor("one confirmed replica after the restart") { () -> (PinStatus?, String) in
            let (status, note) = try await cluster.pinStatus(cid, on: 0)
            let jobs = try await runProcess(pakit, ["jobs", "--data", cluster.nodes[0].data, "--kind", "storage.replicate"], environment: environment)
            return ((status?.replicas.filter { $0.state == .confirmed }.count ?? 0) == 1 ? status : nil, note + "\njobs: " + jobs.output + jobs.stderr)
        }
        let holder = try #require(confirmed.replicas.first { $0.state == .confirmed }.flatMap { ids.firstIndex(of: $0.peerID) })
        // The job that was in flight finished (done), and only one replica holds the DAG.
        let jobs = try await cluster.waitFor("the job done") { () -> ([JobRecord]?, String) in
            let result = try await runProcess(pakit, ["jobs", "--data", cluster.nodes[0].data, "--kind", "storage.replicate", "--json"],
                                        environment: environment)
            let jobs = (try? JSONDecoder().decode(JobListResponse.self, from: result.stdout))?.jobs ?? []
            return (jobs.first { $0.id == running.id }?.state == .done ? jobs : nil, result.output)
        }
        #expect(jobs.filter { $0.state == .queued || $0.state == .running }.isEmpty)
        var holders: [Int] = []
        for index in [1, 2] where (try? await cluster.pinStatus(cid, on: index).0)?.pin.replicaFor?.contains(ids[0]) == true {
            holders.append(index)
        }
        #expect(holders == [holder], "nodes holding a replica for a: \(holders)")
        try await cluster.expectRead(cid, on: holder, equals: content)
        await cluster.stop()
    }
}
