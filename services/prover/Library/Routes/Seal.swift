import HTTPTypes
import Hummingbird
import NIOCore
import PakitConcurrency
import PakitContracts
import PakitHTTPServer
import PakitZK

/// `POST /v1/seal`: content in, Poseidon commitment tree out.
extension ProverNode {
    static let rootHeader = HTTPField.Name("Pakit-Commitment-Root")!
    static let chunkCountHeader = HTTPField.Name("Pakit-Chunk-Count")!
    static let byteCountHeader = HTTPField.Name("Pakit-Byte-Count")!
    static let treeDepthHeader = HTTPField.Name("Pakit-Tree-Depth")!

    func addSealRoutes(to router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/seal") { request, context in
            try await handle {
                let summary = try QueryParameters(request).oneOf("format", ["tree", "summary"]) == "summary"
                let capacity = StorageProofParameters.byteCapacity
                if let length = request.headers[.contentLength].flatMap(Int.init) {
                    if length == 0 { throw ProverError.emptyContent }
                    if length > capacity { throw ProverError.tooLarge(Self.capacityMessage(length)) }
                }
                let ticket = try self.seals.admit()
                let tree = try await ticket.run {
                    try await onComputeThreads { try await Self.seal(request.body) }
                }
                var headers: HTTPFields = [
                    Self.rootHeader: tree.root.decimalString,
                    Self.chunkCountHeader: "\(tree.chunkCount)",
                    Self.byteCountHeader: "\(tree.byteCount)",
                    Self.treeDepthHeader: "\(StorageProofParameters.treeDepth)",
                ]
                if summary {
                    var response = try jsonResponse(SealSummary(
                        root: tree.root.decimalString, chunkCount: UInt64(tree.chunkCount), byteCount: UInt64(tree.byteCount),
                        treeDepth: StorageProofParameters.treeDepth))
                    response.headers.append(contentsOf: headers)
                    return response
                }
                headers[.contentType] = "application/octet-stream"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: tree.serialized())))
            }
        }
    }

    /// Streams the body into the tree builder: memory holds one partial chunk and the leaves.
    static func seal(_ body: RequestBody) async throws -> CommitmentTree {
        var builder = CommitmentTreeBuilder()
        for try await buffer in body {
            do {
                try builder.append(buffer.readableBytesView)
            } catch {
                throw ProverError.tooLarge(capacityMessage(builder.byteCount + buffer.readableBytes))
            }
            ProverMetrics.sealBytes.increment(by: buffer.readableBytes)
        }
        do {
            return try builder.finish()
        } catch {
            throw ProverError.emptyContent
        }
    }

    static func capacityMessage(_ bytes: Int) -> String {
        "content of \(bytes) bytes exceeds one commitment tree (\(StorageProofParameters.byteCapacity) bytes = 2^20 chunks of 496 bytes); split it into several trees"
    }
}
