import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Turns what AsyncHTTPClient and NIO throw into a `ServiceCallError`, deciding whether the
/// request can have reached the peer: that decides if a non-idempotent call may be sent again.
///
/// What AsyncHTTPClient 1.37 throws, as observed against Hummingbird over h2 (RuntimeTests):
/// - connection refused: a bare `IOError` with errno `ECONNREFUSED` (not `NIOConnectionError`,
///   once `retryConnectionEstablishment` is off) — never sent;
/// - a peer's graceful shutdown: GOAWAY itself fails nothing (streams up to the last stream id
///   may finish); when the server then closes the connection with the stream still open, the
///   request fails with `HTTPClientError.remoteConnectionClosed` — a retryable `transport`
///   failure that may have been processed, so idempotent calls are repeated (on another
///   instance when called through a pool) and others are not.
enum TransportFailure {
    static func classify(_ error: any Error, url: String) -> ServiceCallError {
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return ServiceCallError(kind: .cancelled, url: url, message: "cancelled")
        }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout || error == .writeTimeout {
            return ServiceCallError(kind: .timeout, url: url, message: "no complete answer before the deadline (\(error))")
        }
        return ServiceCallError(kind: .transport, url: url, message: "\(String(reflecting: error))",
                                mayHaveBeenProcessed: !neverSent(error))
    }

    /// Failures that happen before the request leaves this process: no connection could be
    /// made, the TLS handshake failed, or AsyncHTTPClient gave up waiting for a connection.
    static func neverSent(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError:
            return true
        case let error as HTTPClientError:
            return error == .connectTimeout || error == .tlsHandshakeTimeout || error == .getConnectionFromPoolTimeout
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as IOError:
            return error.errnoCode == ECONNREFUSED || error.errnoCode == EHOSTUNREACH || error.errnoCode == ENETUNREACH
        case let error as NIOSSLError:
            if case .handshakeFailed = error { return true }
            return false
        default:
            return false
        }
    }
}
