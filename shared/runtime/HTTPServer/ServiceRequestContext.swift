import Hummingbird
import Logging
import NIOCore
import NIOSSL
import X509

/// Who is calling, once authenticated: a bearer token's scopes or a mutual-TLS peer.
public struct Principal: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable, Codable {
        case read, write, admin
    }
    /// Token id, or `cert:<common name>` for a mutual-TLS peer.
    public var id: String
    public var scopes: Set<Scope>

    public init(id: String, scopes: Set<Scope>) {
        self.id = id
        self.scopes = scopes
    }

    /// `admin` implies every scope.
    public func allows(_ scope: Scope) -> Bool { scopes.contains(scope) || scopes.contains(.admin) }
}

/// The request context of every Pakit service: Hummingbird's core storage plus the channel
/// (for the TLS peer) and the authenticated principal, set by auth middleware.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public var principal: Principal?
    /// Streaming endpoints enforce their own limits; this bounds bodies collected in memory (JSON).
    public var maxUploadSize: Int { 8 << 20 }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The verified client certificate, if the peer presented one. Over HTTP/2 the TLS handler
    /// sits on the parent (connection) channel; over HTTP/1.1 on the channel itself.
    public func peerCertificate() async -> Certificate? {
        if let certificate = await Self.peerCertificate(on: channel) { return certificate }
        if let parent = channel.parent { return await Self.peerCertificate(on: parent) }
        return nil
    }

    private static func peerCertificate(on channel: any Channel) async -> Certificate? {
        do {
            let handler = try await channel.pipeline.handler(type: NIOSSLHandler.self).get()
            let nio: NIOSSLCertificate? = try await channel.eventLoop.submit { handler.peerCertificate }.get()
            guard let nio else { return nil }
            return try Certificate(derEncoded: nio.toDERBytes())
        } catch {
            return nil
        }
    }
}
