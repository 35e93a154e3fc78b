import Foundation
import Logging
import PakitContracts
import PakitCore
import PakitSQL
import PakitTestSupport
@testable import StorageService
import Testing

/// The replication tables on both engines: what the replicator and the replica routes read and
/// write (the process tests run SQLite only, as `pakit up` does).
@Suite("Replica store on SQLite and PostgreSQL")
struct ReplicaStoreTests {
    @Test("rows, statements, rounds, holds, quota sums, releases and DAG sizes", arguments: Backend.available)
    func tables(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let database = try await SQLDatabases.open(url: node.node.configuration.databaseURL, logger: Logger(label: "test"))
            defer { Task { await database.close() } }
            let store = ReplicaStore(database: database)
            // Not periodic: identical chunks would be one block, and the DAG's bytes smaller.
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            let file = (0..<(3 << 20)).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            let added = try await node.add(file)
            let cid = try CID(added.cid)

            // Origin side: a factor above 1 is watched; rows and the statement round-trip.
            #expect(try await store.factor(of: cid) == 1)
            try await database.query("UPDATE pins SET replication_factor = 2 WHERE cid = $1", [.blob(cid.v1.bytes)])
            #expect(try await store.factor(of: cid) == 2)
            #expect(try await store.cidsToWatch().map(\.v1) == [cid.v1])
            let statement = ReplicaStatement(cid: cid.string, peerID: "12D3KooWPeer", heldAt: 1, blocks: added.blocks, bytes: 9, signature: "ab")
            try await store.setState(cid, peer: "12D3KooWPeer", storageURL: "https://p:1", state: .requested)
            try await store.setState(cid, peer: "12D3KooWPeer", storageURL: "https://p:1", state: .confirmed, statement: statement)
            try await store.setState(cid, peer: "12D3KooWOther", storageURL: "https://o:1", state: .refused, reason: "quota")
            let infos = try await store.infos(of: cid)
            #expect(infos.map(\.state) == [.refused, .confirmed])
            #expect(infos.last?.statement == statement && infos.first?.reason == "quota")
            #expect(try await store.confirmedCounts(of: [cid]) == [cid.v1: 1])
            // Marking it lost keeps the statement it confirmed with.
            try await store.setState(cid, peer: "12D3KooWPeer", storageURL: "https://p:1", state: .lost, reason: "dead")
            #expect(try await store.infos(of: cid).last?.statement == statement)

            // Rounds: each opened once, with its job.
            let rounds = try await database.transaction { tx in
                let first = try await ReplicaStore.nextRound(cid, in: tx)
                let second = try await ReplicaStore.nextRound(cid, in: tx)
                try await ReplicaStore.setRoundJob(cid, job: "job-2", in: tx)
                return [first, second]
            }
            #expect(rounds == [1, 2])
            let round = try await store.roundJob(of: cid)
            #expect(round?.round == 2 && round?.job == "job-2")

            // The DAG's unique block bytes from the links (the recursive query differs by engine).
            let dagBytes = try await Replicator.dagBytes(cid, in: database)
            #expect((dagBytes ?? 0) >= UInt64(file.count), "\(String(describing: dagBytes))")

            // Replica side: held for two origins; quota sums count a DAG once.
            let small = try await node.add(Array("held for others".utf8), query: "pin=false")
            let held = try CID(small.cid)
            try await database.transaction { tx in
                try await ReplicaStore.hold(held, for: "12D3KooWA", bytes: 15, in: tx)
                try await ReplicaStore.hold(held, for: "12D3KooWB", bytes: 15, in: tx)
            }
            #expect(try await store.heldForOthers(except: cid) == 15)
            #expect(try await store.heldForOthers(except: held) == 0)
            #expect(try await store.origins(of: [held]) == [held.v1: ["12D3KooWA", "12D3KooWB"]])
            // The operator cannot unpin what others hold here (it stays, not own).
            #expect(try await node.node.metadata.unpin(held) == false)
            let first = try await store.release(held, for: "12D3KooWA")
            #expect(first.released && !first.unpinned)
            let last = try await store.release(held, for: "12D3KooWB")
            #expect(last.released && last.unpinned)
            let again = try await store.release(held, for: "12D3KooWB")
            #expect(!again.released)
            #expect(try await database.read("SELECT cid FROM pins WHERE cid = $1", [.blob(held.v1.bytes)]).isEmpty)
        }
    }
}
