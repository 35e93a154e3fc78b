/// The API version every service serves under `/v1`.
public enum APIVersion {
    public static let current = "v1"
}

/// The one error body every endpoint of every service answers with:
/// `{"error": {"code": "...", "message": "..."}}`.
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        /// Stable, machine-readable code (`invalid_cid`, `not_found`, `hash_mismatch`, …).
        public var code: String
        /// One human-readable sentence.
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Body

    public init(code: String, message: String) {
        self.error = Body(code: code, message: message)
    }
}

/// The five services of a node, with their default ports.
public enum ServiceName: String, Codable, Sendable, CaseIterable {
    case storage
    case meshGateway = "mesh-gateway"
    case prover
    case loraBridge = "lora-bridge"
    case chainRelay = "chain-relay"

    public var defaultPort: Int {
        switch self {
        case .storage: 7070
        case .meshGateway: 7071
        case .prover: 7072
        case .loraBridge: 7073
        case .chainRelay: 7074
        }
    }
}

/// `GET /health`: the process is alive.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: String
    public var service: String
    public var version: String
    /// The mesh gateway's membership and gossip counts (absent on other services).
    public var mesh: MeshHealth?

    public init(status: String, service: String, version: String, mesh: MeshHealth? = nil) {
        self.status = status
        self.service = service
        self.version = version
        self.mesh = mesh
    }
}

/// `GET /ready`: every dependency answered (`status` is `ready`), or which did not (503).
public struct ReadyResponse: Codable, Sendable, Equatable {
    public var status: String
    public var checks: [String: String]

    public init(status: String, checks: [String: String]) {
        self.status = status
        self.checks = checks
    }
}
