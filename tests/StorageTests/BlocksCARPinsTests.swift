import Foundation
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

@Suite("Blocks, CAR, pins and GC")
struct BlocksCARPinsTests {
    @Test("PUT stores a block only when its bytes hash to the CID", arguments: Backend.available)
    func putBlock(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let hello = Array("hello".utf8)
            let cid = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
            let lying = try await node.send(.PUT, "/v1/blocks/\(cid)", body: Array("hellO".utf8))
            #expect(lying.status == .unprocessableEntity)
            #expect(lying.errorCode == "hash_mismatch")
            #expect(try await node.send(.GET, "/v1/blocks/\(cid)/stat").status == .notFound)
            let stored = try await node.send(.PUT, "/v1/blocks/\(cid)", body: hello)
            #expect(stored.status == .created)
            let read = try await node.send(.GET, "/v1/blocks/\(cid)", token: nil)
            #expect(read.body == hello)
            #expect(read.headers.first(name: "Content-Type") == "application/vnd.ipld.raw")
            let raw = try await node.send(.GET, "/ipfs/\(cid)?format=raw", token: nil)
            #expect(raw.body == hello)
            let stat = try await node.send(.GET, "/v1/blocks/\(cid)/stat").decode(BlockStat.self)
            #expect(stat.size == 5)
            // An identity CID carries its (here empty) block inline.
            let identity = try await node.send(.GET, "/v1/files/bafkqaaa", token: nil)
            #expect(identity.status == .ok && identity.body.isEmpty)
        }
    }

    @Test("CAR export, import after GC, and rejection of truncated or lying CARs", arguments: Backend.available)
    func carRoundTrip(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let bytes = randomBytes(2_200_000, seed: 11)
            let cid = try await node.add(bytes).cid
            let car = try await node.send(.GET, "/v1/car/\(cid)", token: nil)
            #expect(car.status == .ok)
            #expect(car.headers.first(name: "Content-Type")?.hasPrefix("application/vnd.ipld.car") == true)
            // Drop the content, then bring it back from the CAR.
            #expect(try await node.send(.DELETE, "/v1/pins/\(cid)").status == .noContent)
            let gc = try await node.send(.POST, "/v1/gc").decode(GCResponse.self)
            #expect(gc.removedBlocks == 4)  // 3 leaves + root
            #expect(try await node.send(.GET, "/v1/files/\(cid)", token: nil).status == .notFound)
            let stats = try await node.send(.GET, "/v1/stats").decode(StatsResponse.self)
            // Truncated anywhere: rejected whole.
            for cut in [10, car.body.count / 2, car.body.count - 1] {
                let truncated = try await node.send(.POST, "/v1/car", body: Array(car.body.prefix(cut)))
                #expect(truncated.status == .unprocessableEntity, "cut at \(cut)")
            }
            // A block byte flipped: its hash no longer matches its CID.
            var lying = car.body
            lying[lying.count - 100] ^= 0xFF
            #expect(try await node.send(.POST, "/v1/car", body: lying).status == .unprocessableEntity)
            #expect(try await node.send(.GET, "/v1/stats").decode(StatsResponse.self) == stats)
            let imported = try await node.send(.POST, "/v1/car", body: car.body)
            #expect(imported.status == .created)
            #expect(try imported.decode(CARImportResponse.self).roots == [cid])
            #expect(try await node.send(.GET, "/v1/files/\(cid)", token: nil).body == bytes)
            let trustless = try await node.send(.GET, "/ipfs/\(cid)?format=car", token: nil)
            #expect(trustless.body == car.body)
        }
    }

    @Test("GC keeps pinned DAGs and removes the rest; pins page by cursor", arguments: Backend.available)
    func pinsAndGC(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            var kept: [String] = []
            for seed in 0..<5 { kept.append(try await node.add(randomBytes(1000 + seed, seed: UInt64(seed))).cid) }
            let dropped = try await node.add(randomBytes(5000, seed: 99), query: "pin=false").cid
            let first = try await node.send(.GET, "/v1/pins?limit=2", token: nil).decode(PinList.self)
            #expect(first.pins.count == 2)
            var all = first.pins.map(\.cid)
            var cursor = first.next
            while let after = cursor {
                let page = try await node.send(.GET, "/v1/pins?limit=2&after=\(after)", token: nil).decode(PinList.self)
                all += page.pins.map(\.cid)
                cursor = page.next
            }
            #expect(Set(all) == Set(kept))
            #expect(all.count == kept.count)
            #expect(try await node.send(.GET, "/v1/pins?limit=0", token: nil).status == .badRequest)
            let gc = try await node.send(.POST, "/v1/gc").decode(GCResponse.self)
            #expect(gc.removedCIDs == [dropped])
            for cid in kept { #expect(try await node.send(.GET, "/v1/files/\(cid)", token: nil).status == .ok) }
            #expect(try await node.send(.POST, "/v1/gc", token: nil).status == .unauthorized)
            let verify = try await node.send(.POST, "/v1/repo/verify").decode(RepoVerifyResponse.self)
            #expect(verify.missing.isEmpty && verify.corrupt.isEmpty)
            #expect(try await node.send(.DELETE, "/v1/pins/\(dropped)").status == .notFound)
            #expect(try await node.json(.POST, "/v1/pins", PinRequest(cid: dropped)).status == .notFound)
        }
    }

    @Test("ingest and reads continue while GC runs, and GC never takes a block a writer relies on", arguments: Backend.available)
    func gcIsOnline(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let shared = randomBytes(1 << 20, seed: 5)
            for round in 0..<4 {
                // An unpinned copy makes the shared block garbage; concurrent pinned uploads reuse it.
                _ = try await node.add(shared, query: "pin=false")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await node.send(.POST, "/v1/gc") }
                    for writer in 0..<3 {
                        group.addTask {
                            let bytes = shared + randomBytes(1000, seed: UInt64(round * 10 + writer))
                            let added = try await node.add(bytes)
                            let back = try await node.send(.GET, "/v1/files/\(added.cid)", token: nil)
                            #expect(back.body == bytes)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            _ = try await node.send(.POST, "/v1/gc")
            let verify = try await node.send(.POST, "/v1/repo/verify").decode(RepoVerifyResponse.self)
            #expect(verify.missing.isEmpty, "GC removed blocks that metadata still refers to")
            let pins = try await node.send(.GET, "/v1/pins?limit=1000", token: nil).decode(PinList.self)
            for pin in pins.pins { #expect(try await node.send(.GET, "/v1/files/\(pin.cid)", token: nil).status == .ok) }
        }
    }

    @Test("start-up reconciliation removes block files no metadata refers to and keeps the rest", arguments: [Backend.sqlite])
    func reconcileRemovesOrphans(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let kept = try await node.add(Array("kept".utf8)).cid
            // A block file that reached its name but whose metadata never committed (a crash).
            let orphanBytes = Array("orphan after a crash".utf8)
            let orphan = CID.raw(sha256Of: orphanBytes).string
            let directory = "\(node.dataDirectory)/storage/blocks/\(orphan.suffix(3).prefix(2))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data([0] + orphanBytes).write(to: URL(fileURLWithPath: "\(directory)/\(orphan)"))
            await node.node.reconcile()
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(orphan)"))
            #expect(try await node.send(.GET, "/v1/files/\(kept)", token: nil).body == Array("kept".utf8))
        }
    }
}
