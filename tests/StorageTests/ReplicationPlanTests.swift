import Foundation
import PakitContracts
import PakitCore
@testable import StorageService
import Testing

/// The rules that decide a pin's replicas, from its rows and the mesh alone.
@Suite("ReplicationPlan")
struct ReplicationPlanTests {
    static let cid = try! CID("bafkreigouliazmgoop6bagqrza3yjuz6fvga3mevrxy5w65dgsqb6mhrzm")

    static func member(_ id: String, _ status: MeshPeer.Status = .alive) -> MeshView.Member {
        MeshView.Member(peerID: id, storageURL: "https://\(id).example:7070", certificateSHA256: Array(repeating: 1, count: 32), status: status)
    }

    static func row(_ id: String, _ state: ReplicaInfo.State, updatedAt: Int64 = 1_000) -> ReplicationPlan.Row {
        ReplicationPlan.Row(peerID: id, storageURL: "https://\(id).example:7070", state: state, updatedAt: updatedAt)
    }

    static func plan(factor: Int, rows: [ReplicationPlan.Row] = [], members: [MeshView.Member], gone: [String: Duration] = [:],
                     now: Int64 = 1_000) -> ReplicationPlan {
        ReplicationPlan.make(cid: cid, factor: factor, rows: rows, members: members, me: "me", grace: .seconds(30),
                             goneFor: { gone[$0] ?? .zero }, now: now)
    }

    @Test("k = 3 asks two of the live nodes, never itself or a suspect one, in an order that depends only on the CID and peer IDs")
    func rendezvousChoice() {
        let members = ["p1", "p2", "p3", "p4", "p5"].map { Self.member($0) } + [Self.member("me"), Self.member("s", .suspect)]
        let plan = Self.plan(factor: 3, members: members)
        #expect(plan.missing == 2)
        #expect(plan.candidates.count == 5)
        #expect(!plan.candidates.contains { $0.peerID == "me" || $0.peerID == "s" })
        // The same choice whatever order the mesh lists its members in.
        let shuffled = Self.plan(factor: 3, members: members.reversed())
        #expect(shuffled.candidates.map(\.peerID) == plan.candidates.map(\.peerID))
        // Another CID ranks them differently (balance), with the same rule.
        let other = ReplicationPlan.make(cid: try! CID("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), factor: 3, rows: [], members: members,
                                         me: "me", grace: .seconds(30), goneFor: { _ in .zero }, now: 0)
        #expect(Set(other.candidates.map(\.peerID)) == Set(plan.candidates.map(\.peerID)))
        #expect(!plan.isSettled)
    }

    @Test("a confirmed replica dead for less than the grace still counts; past it, it is lost and a new node is wanted")
    func grace() {
        let members = [Self.member("p1", .dead), Self.member("p2"), Self.member("p3")]
        let within = Self.plan(factor: 2, rows: [Self.row("p1", .confirmed)], members: members, gone: ["p1": .seconds(10)])
        #expect(within.markLost.isEmpty && within.missing == 0 && within.isSettled)
        let past = Self.plan(factor: 2, rows: [Self.row("p1", .confirmed)], members: members, gone: ["p1": .seconds(31)])
        #expect(past.markLost == ["p1"])
        #expect(past.missing == 1)
        #expect(Set(past.candidates.map(\.peerID)) == ["p2", "p3"])
    }

    @Test("a lost node that comes back is released when the others suffice, and asked first when they do not")
    func lostNodeBack() {
        let members = [Self.member("p1"), Self.member("p2"), Self.member("p3")]
        let surplus = Self.plan(factor: 2, rows: [Self.row("p1", .lost), Self.row("p2", .confirmed)], members: members)
        #expect(surplus.release.map(\.peerID) == ["p1"])
        #expect(surplus.missing == 0)
        let needed = Self.plan(factor: 3, rows: [Self.row("p1", .lost), Self.row("p2", .confirmed)], members: members)
        #expect(needed.release.isEmpty)
        #expect(needed.missing == 1)
        #expect(needed.candidates.first?.peerID == "p1")
    }

    @Test("more confirmed replicas than k − 1 releases the lowest-ranked; factor 0 (pin removed) releases every live one")
    func releases() {
        let members = [Self.member("p1"), Self.member("p2"), Self.member("p3")]
        let rows = [Self.row("p1", .confirmed), Self.row("p2", .confirmed), Self.row("p3", .confirmed)]
        let lowered = Self.plan(factor: 2, rows: rows, members: members)
        #expect(lowered.release.count == 2)
        let kept = Set(["p1", "p2", "p3"]).subtracting(lowered.release.map(\.peerID))
        // The one kept is the highest-ranked: what a fresh k = 2 choice would pick first.
        #expect(kept == [Self.plan(factor: 2, members: members).candidates[0].peerID])
        let removed = Self.plan(factor: 0, rows: rows + [Self.row("p4", .requested)], members: members + [Self.member("p4")])
        #expect(Set(removed.release.map(\.peerID)) == ["p1", "p2", "p3", "p4"])
        #expect(removed.missing == 0 && removed.candidates.isEmpty)
    }

    @Test("a refusal is remembered for ten minutes; with no node to ask the plan is settled until the mesh changes")
    func refusals() {
        let members = [Self.member("p1"), Self.member("p2", .dead)]
        let recent = Self.plan(factor: 2, rows: [Self.row("p1", .refused, updatedAt: 900)], members: members, now: 1_000)
        #expect(recent.missing == 1 && recent.candidates.isEmpty && recent.isSettled)
        let old = Self.plan(factor: 2, rows: [Self.row("p1", .refused, updatedAt: 0)], members: members, now: 1_000)
        #expect(old.candidates.map(\.peerID) == ["p1"])
    }
}
