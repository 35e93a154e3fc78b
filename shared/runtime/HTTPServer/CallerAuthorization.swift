import Hummingbird
import PakitContracts
import X509

/// Who is calling over mutual TLS: the name in the client certificate the node CA issued
/// (`NodeCertificates`): a service name, or `operator` for the CLI and metrics scrapers.
public struct CallerIdentity: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(name: String) { self.name = name }

    public static func service(_ service: ServiceName) -> CallerIdentity { CallerIdentity(name: service.rawValue) }
    /// The operator's certificate: the CLI's internal calls and Prometheus.
    public static let `operator` = CallerIdentity(name: "operator")

    /// Another node, by peer ID: its certificate is the one its signed mesh record names.
    public static func peer(_ peerID: String) -> CallerIdentity { CallerIdentity(name: "peer:\(peerID)") }

    /// The peer ID, when the caller is another node.
    public var peerID: String? { name.hasPrefix("peer:") ? String(name.dropFirst(5)) : nil }

    /// The service this caller is, if it is one.
    public var service: ServiceName? { ServiceName(rawValue: name) }
    public var description: String { name }

    /// The identity a verified certificate names: its common name. The TLS layer has already
    /// checked the chain to the node CA, and only the bootstrap step issues certificates.
    public init?(certificate: Certificate) {
        guard let commonName = certificate.subject.commonName, !commonName.isEmpty else { return nil }
        self.name = commonName
    }
}

/// Which callers an internal route group admits. `anyCaller` admits every certificate from the
/// node CA (health-like internals such as `/metrics`); otherwise the list names the services.
public struct CallerPolicy: Sendable {
    let allowed: Set<CallerIdentity>?
    /// Admits other nodes (pinned from their records) instead of this node's services.
    let peers: Bool

    init(allowed: Set<CallerIdentity>?, peers: Bool = false) {
        self.allowed = allowed
        self.peers = peers
    }

    public static let anyCaller = CallerPolicy(allowed: nil)
    /// Other nodes of the mesh, each through the certificate its signed record names
    /// (`PinnedPeers`); this node's own certificates are refused.
    public static let peerNodes = CallerPolicy(allowed: [], peers: true)

    public static func only(_ callers: CallerIdentity...) -> CallerPolicy { CallerPolicy(allowed: Set(callers)) }
    public static func only(_ callers: [CallerIdentity]) -> CallerPolicy { CallerPolicy(allowed: Set(callers)) }

    public func admits(_ caller: CallerIdentity) -> Bool {
        if caller.peerID != nil { return peers }
        return !peers && (allowed?.contains(caller) ?? true)
    }

    public var names: [String] { peers ? ["other nodes of the mesh"] : (allowed.map { Array($0) } ?? []).map(\.name).sorted() }
}

/// Guards internal routes: the caller must present a certificate issued by the node CA (401
/// `client_certificate_required` otherwise) that names a caller the route admits (403
/// `caller_not_allowed` otherwise). Both answers come before any handler runs, so a refused
/// request touches nothing.
public struct RequireCallerMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let policy: CallerPolicy

    public init(_ policy: CallerPolicy) { self.policy = policy }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A certificate accepted as another node's is that node, whatever name it carries.
        if let peer = await context.pinnedPeer() {
            let caller = CallerIdentity.peer(peer)
            guard policy.admits(caller) else {
                throw ServiceError(.forbidden, "caller_not_allowed",
                                   "another node (\(peer)) may not call this route (allowed: \(policy.names.joined(separator: ", ")))")
            }
            var context = context
            context.caller = caller
            return try await next(request, context)
        }
        guard let certificate = await context.peerCertificate() else {
            throw ServiceError(.unauthorized, "client_certificate_required", "this route requires mutual TLS with a certificate from the node CA")
        }
        guard let caller = CallerIdentity(certificate: certificate), policy.admits(caller) else {
            let who = CallerIdentity(certificate: certificate)?.name ?? "a certificate without a name"
            throw ServiceError(.forbidden, "caller_not_allowed",
                               "\(who) may not call this route (allowed: \(policy.names.joined(separator: ", ")))")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }
}

extension DistinguishedName {
    /// The first common name, as text.
    var commonName: String? {
        for relativeName in self {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}
