import Foundation
import NIOCore
import NIOFoundationCompat

/// A file read as a stream of 1 MiB buffers, for upload bodies: memory stays bounded whatever
/// the file size. `onRead` sees each buffer's size (progress bars).
public struct FileByteChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let handle: FileHandle
    let chunkSize: Int
    let onRead: (@Sendable (Int) -> Void)?

    public init(handle: FileHandle, chunkSize: Int = 1 << 20, onRead: (@Sendable (Int) -> Void)? = nil) {
        self.handle = handle
        self.chunkSize = chunkSize
        self.onRead = onRead
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let chunkSize: Int
        let onRead: (@Sendable (Int) -> Void)?

        public mutating func next() async throws -> ByteBuffer? {
            let data = try handle.read(upToCount: chunkSize) ?? Data()
            onRead?(data.count)
            return data.isEmpty ? nil : ByteBuffer(data: data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle, chunkSize: chunkSize, onRead: onRead) }
}
