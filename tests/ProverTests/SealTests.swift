import AsyncHTTPClient
import Foundation
import NIOCore
import PakitContracts
import PakitRuntime
import PakitZK
@testable import ProverService
import Testing

/// Every prover test, one at a time: each proof already uses both cores, and the nodes share
/// one cache of development keys.
@Suite("prover service", .serialized, .timeLimit(.minutes(5)))
struct ProverServiceTests {}

extension ProverServiceTests {
    @Suite("seal")
    struct Seal {
        @Test("the sealed root, counts and tree equal the CommitmentTree computed in-process")
        func sealMatchesInProcessTree() async throws {
            let content = Fixture.content
            let expected = try CommitmentTree(content: content)
            try await ProverTestNode.with { node in
                let summary = try await node.send(.POST, "/v1/seal?format=summary", body: content)
                #expect(summary.status == .ok, "\(summary.text)")
                let body = try summary.decode(SealSummary.self)
                #expect(body == SealSummary(root: expected.root.decimalString, chunkCount: UInt64(expected.chunkCount),
                                            byteCount: UInt64(content.count), treeDepth: 10))
                #expect(summary.version == .http2)

                let tree = try await node.send(.POST, "/v1/seal", body: content)
                #expect(tree.status == .ok)
                #expect(tree.headers["Content-Type"].first == "application/octet-stream")
                #expect(tree.headers["Pakit-Commitment-Root"].first == expected.root.decimalString)
                #expect(tree.headers["Pakit-Chunk-Count"].first == "\(expected.chunkCount)")
                #expect(tree.headers["Pakit-Byte-Count"].first == "\(content.count)")
                #expect(tree.body == expected.serialized())
                #expect(try CommitmentTree(serialized: tree.body) == expected)
            }
        }

        @Test("a body streamed in uneven pieces gives the same tree as one buffer")
        func streamedBodyGivesSameTree() async throws {
            let content = Fixture.bytes(2_000_003, seed: 7)
            let expected = try CommitmentTree(content: content)
            try await ProverTestNode.with { node in
                var request = HTTPClientRequest(url: node.baseURL + "/v1/seal?format=summary")
                request.method = .POST
                // Pieces that never line up with the 496-byte chunks.
                let pieces = stride(from: 0, to: content.count, by: 65_537).map { ByteBuffer(bytes: content[$0..<min($0 + 65_537, content.count)]) }
                request.body = .stream(pieces.async, length: .known(Int64(content.count)))
                let response = try await node.mtlsClient.execute(request, timeout: .seconds(300))
                let body = try await response.body.collect(upTo: 1 << 20)
                #expect(response.status == .ok)
                let summary = try JSONDecoder().decode(SealSummary.self, from: Data(body.readableBytesView))
                #expect(summary.root == expected.root.decimalString)
                #expect(summary.chunkCount == UInt64(expected.chunkCount))
            }
        }

        @Test("an empty body is 400 empty_content, an unknown format 400 invalid_parameter, a declared size over one tree 413")
        func sealRejectsBadInput() async throws {
            try await ProverTestNode.with { node in
                let empty = try await node.send(.POST, "/v1/seal", body: [])
                #expect(empty.status == .badRequest)
                #expect(empty.errorCode == "empty_content")
                let format = try await node.send(.POST, "/v1/seal?format=xml", body: [1, 2, 3])
                #expect(format.status == .badRequest)
                #expect(format.errorCode == "invalid_parameter")

                // Declared larger than 2^20 chunks: refused from the header, before any hashing
                // (the client has sent 4 bytes of the announced 496 MiB when the answer comes).
                // HTTP/1.1, because AsyncHTTPClient's h2 path holds a response back until its own
                // request body is complete (curl --http1.1 shows the same early 413).
                let client = ServiceClient.make(tls: try node.node.tls.clientConfiguration(), http1Only: true)
                defer { _ = client.shutdown() }
                var request = HTTPClientRequest(url: node.baseURL + "/v1/seal")
                request.method = .POST
                let tooLong = Int64(StorageProofParameters.byteCapacity) + 1
                let (parts, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
                feed.yield(ByteBuffer(bytes: [0, 1, 2, 3]))
                request.body = .stream(parts, length: .known(tooLong))
                defer { feed.finish() }
                let answer = try await client.execute(request, timeout: .seconds(60))
                #expect(answer.status == .payloadTooLarge)
                let body = try await answer.body.collect(upTo: 1 << 16)
                #expect(String(buffer: body).contains("too_large"))
            }
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence (request body streams).
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
