/// Why a call to another Pakit service gave no usable answer.
///
/// Every failure of `ServiceClient` is one of these (typed throws), so callers decide on
/// retrying, failing over or reporting without inspecting AsyncHTTPClient or NIO errors.
/// `status`, `code` and `message` come from the peer's error envelope when it answered.
public struct ServiceCallError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely enough to decide what to do next.
    public enum Kind: Sendable, Equatable {
        /// No answer: connection refused or reset, TLS failure, stream closed, peer gone.
        case transport
        /// The call's deadline passed before the answer was complete.
        case timeout
        /// `503`: the peer is busy, starting or shutting down; `retryAfter` says when to return.
        case unavailable
        /// Any other `5xx`.
        case server
        /// `4xx`: the request itself was refused.
        case refused
        /// A `2xx` whose body is not what the contract says (does not decode, too large).
        case badAnswer
        /// The calling task was cancelled.
        case cancelled
        /// The request could not be built (a body that does not encode, a body factory that
        /// failed): nothing was sent.
        case invalidRequest
    }

    public var kind: Kind
    /// The URL called.
    public var url: String
    /// The HTTP status, when the peer answered.
    public var status: Int?
    /// The envelope's `code`, when the peer answered with one.
    public var code: String?
    /// The envelope's `message`, or what went wrong on the way.
    public var message: String
    /// The peer's `Retry-After`, in seconds (only the delta-seconds form is used by Pakit).
    public var retryAfterSeconds: Int?
    /// False only when the request provably never reached the peer's handler (the connection
    /// failed before it was sent, or the peer refused the stream unprocessed): then even a
    /// non-idempotent request can be sent again.
    public var mayHaveBeenProcessed: Bool

    public init(kind: Kind, url: String, status: Int? = nil, code: String? = nil, message: String,
                retryAfterSeconds: Int? = nil, mayHaveBeenProcessed: Bool = true) {
        self.kind = kind
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.mayHaveBeenProcessed = mayHaveBeenProcessed
    }

    /// Worth another attempt (later, or on another instance): the failure is the peer's or the
    /// network's, not the request's. `408` and `429` are the refusals that say "not now".
    public var retryable: Bool {
        switch kind {
        case .transport, .timeout, .unavailable, .server, .badAnswer: true
        case .refused: status == 408 || status == 429
        case .cancelled, .invalidRequest: false
        }
    }

    /// `Retry-After` as a duration.
    public var retryAfter: Duration? { retryAfterSeconds.map { .seconds($0) } }

    public var description: String {
        guard let status else { return "\(url): \(message)" }
        if let code { return "\(url) answered \(status) (\(code): \(message))" }
        return "\(url) answered \(status) (\(message))"
    }
}
