import Foundation
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitJobs
import PakitTestSupport
import Testing
@testable import StorageService

/// `GET /v1/admin/jobs` and `POST /v1/admin/jobs/{id}/cancel` over real HTTPS: admin only,
/// filters and limits, cancellation of queued jobs (a seal job fails its commitment with it),
/// and bad input answered with the error envelope while nothing changes.
@Suite("Admin job routes", .serialized)
struct JobAdminTests {
    @Test("list filters by kind and state, newest first; cancel stops a job once; bad input changes nothing", arguments: Backend.available)
    func listAndCancel(backend: Backend) async throws {
        // No provers: the node's worker does not run, so the jobs stay where the test puts them.
        try await TestNode.with(backend) { node in
            let queue = node.node.jobQueue
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try await queue.enqueue(JobRequest(kind: "test.admin", payload: "{\"n\":\(index)}")).job.id)
            }
            try await queue.enqueue(JobRequest(kind: "test.other", payload: "{}"))

            let listed = try await node.send(.GET, "/v1/admin/jobs?kind=test.admin")
            #expect(listed.status == .ok, "\(listed.text)")
            let jobs = try listed.decode(JobListResponse.self).jobs
            #expect(Set(jobs.map(\.id)) == Set(ids) && jobs.allSatisfy { $0.state == .queued && $0.kind == "test.admin" })
            #expect(zip(jobs, jobs.dropFirst()).allSatisfy { $0.createdAt >= $1.createdAt }, "not newest first")
            #expect(try await node.send(.GET, "/v1/admin/jobs?limit=2").decode(JobListResponse.self).jobs.count == 2)
            #expect(try await node.send(.GET, "/v1/admin/jobs").decode(JobListResponse.self).jobs.count == 4)

            let cancelled = try await node.send(.POST, "/v1/admin/jobs/\(ids[1])/cancel")
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            #expect(try cancelled.decode(JobRecord.self).state == .cancelled)
            let onlyCancelled = try await node.send(.GET, "/v1/admin/jobs?state=cancelled").decode(JobListResponse.self).jobs
            #expect(onlyCancelled.map(\.id) == [ids[1]])

            let before = try await node.send(.GET, "/v1/admin/jobs").decode(JobListResponse.self)
            func expectRefused(_ reply: TestNode.Reply, _ status: HTTPResponseStatus, _ code: String, _ what: String) {
                #expect(reply.status == status, "\(what): expected \(status), got \(reply.status) \(reply.text)")
                #expect(reply.errorCode == code, "\(what): expected \(code), got \(reply.errorCode ?? "no envelope")")
            }
            expectRefused(try await node.send(.POST, "/v1/admin/jobs/\(ids[1])/cancel"), .conflict, "job_finished", "cancel twice")
            expectRefused(try await node.send(.POST, "/v1/admin/jobs/\(String(repeating: "0", count: 32))/cancel"), .notFound, "not_found", "unknown id")
            expectRefused(try await node.send(.POST, "/v1/admin/jobs/not-a-job/cancel"), .badRequest, "invalid_parameter", "malformed id")
            for query in ["state=paused", "limit=0", "limit=1001", "limit=ten", "kind="] {
                expectRefused(try await node.send(.GET, "/v1/admin/jobs?\(query)"), .badRequest, "invalid_parameter", query)
            }
            let reader = try await node.createToken(scopes: ["read", "write"])
            expectRefused(try await node.send(.GET, "/v1/admin/jobs", token: nil), .unauthorized, "unauthorized", "no token")
            expectRefused(try await node.send(.GET, "/v1/admin/jobs", token: reader), .forbidden, "forbidden", "list without admin")
            expectRefused(try await node.send(.POST, "/v1/admin/jobs/\(ids[0])/cancel", token: reader), .forbidden, "forbidden", "cancel without admin")
            let after = try await node.send(.GET, "/v1/admin/jobs").decode(JobListResponse.self)
            #expect(after == before, "a refused request changed the queue")
        }
    }

    @Test("cancelling a seal job fails its commitment, and sealing can be requested again", arguments: Backend.available)
    func cancelSeal(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let cid = try await node.add(randomBytes(3_000, seed: 71)).cid
            let (row, created) = try await node.node.proofJobs.requestCommitment(try CID(cid))
            #expect(created && row.status == .queued)
            let seal = try #require(try await node.node.jobQueue.list(kind: "storage.seal").first)
            let reply = try await node.send(.POST, "/v1/admin/jobs/\(seal.id)/cancel")
            #expect(reply.status == .ok, "\(reply.text)")
            let commitment = try await node.send(.GET, "/v1/commitments/\(cid)", token: nil).decode(CommitmentResponse.self)
            #expect(commitment.status == .failed && commitment.error?.contains("cancelled") == true)
            let (again, queuedAgain) = try await node.node.proofJobs.requestCommitment(try CID(cid))
            #expect(queuedAgain && again.status == .queued, "a cancelled commitment must be requestable again")
            #expect(try await node.node.jobQueue.list(kind: "storage.seal", state: .queued).count == 1)
        }
    }
}
