import NIOCore
import PakitCore
import Synchronization

/// A stored file's bytes as an async sequence of buffers, read one block at a time when the
/// consumer asks for the next buffer (an HTTP request body: the client pulls as the network
/// drains), so memory stays at one block whatever the file size.
struct FileContentStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let reader: DAGReader
    let root: DecodedNode
    /// Where a read failure is recorded, so the caller can tell "the content is unreadable"
    /// from "the prover connection failed" after the request fails.
    let failure: FailureBox

    final class FailureBox: Sendable {
        private let stored = Mutex<StorageError?>(nil)
        var error: StorageError? { stored.withLock { $0 } }
        func record(_ error: StorageError) { stored.withLock { $0 = error } }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let reader: DAGReader
        let failure: FailureBox
        /// Work left, in reverse order: nodes to expand or child CIDs to load.
        var stack: [Pending]

        enum Pending {
            case node(DecodedNode)
            case child(CID)
        }

        mutating func next() async throws -> ByteBuffer? {
            while let item = stack.popLast() {
                let node: DecodedNode
                switch item {
                case .node(let decoded): node = decoded
                case .child(let cid):
                    do {
                        node = try await reader.node(cid)
                    } catch {
                        failure.record(error)
                        throw error
                    }
                }
                switch node {
                case .raw(let bytes):
                    if !bytes.isEmpty { return ByteBuffer(bytes: bytes) }
                case .file(let data, let children, _):
                    stack.append(contentsOf: children.reversed().map { .child($0.cid) })
                    if !data.isEmpty { return ByteBuffer(bytes: data) }
                default:
                    let error = StorageError.invalidContent("a file DAG contains a node that is not file data")
                    failure.record(error)
                    throw error
                }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(reader: reader, failure: failure, stack: [.node(root)])
    }
}

extension DAGReader {
    /// Bytes `range` of the file `node` (for a challenged chunk: ≤ 496 bytes).
    func bytes(of node: DecodedNode, range: Range<UInt64>) async throws -> [UInt8] {
        var collected: [UInt8] = []
        collected.reserveCapacity(Int(range.count))
        try await writeRange(of: node, range: range) { buffer in
            collected.append(contentsOf: buffer.readableBytesView)
        }
        return collected
    }
}
