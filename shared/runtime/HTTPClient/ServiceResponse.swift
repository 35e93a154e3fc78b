import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A `2xx` answer read into memory.
public struct ServiceResponse: Sendable {
    public let url: String
    public let status: HTTPResponseStatus
    public let headers: HTTPHeaders
    public let version: HTTPVersion
    public let body: ByteBuffer

    /// The body as `T` (JSON); a body that does not decode is the peer's `badAnswer`.
    public func decode<T: Decodable>(_ type: T.Type) throws(ServiceCallError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body, byteTransferStrategy: .noCopy))
        } catch {
            throw ServiceCallError(kind: .badAnswer, url: url, status: Int(status.code),
                                   message: "unreadable \(T.self) in the answer: \(error)")
        }
    }

    public var bytes: [UInt8] { Array(body.readableBytesView) }
}

/// A `2xx` answer whose body the caller reads as it arrives (downloads). The call's deadline
/// still bounds the whole transfer.
public struct ServiceStreamedResponse: Sendable {
    public let url: String
    public let status: HTTPResponseStatus
    public let headers: HTTPHeaders
    public let version: HTTPVersion
    /// The body as `ByteBuffer`s; its errors are AsyncHTTPClient's (the answer was under way).
    public let body: HTTPClientResponse.Body
}
