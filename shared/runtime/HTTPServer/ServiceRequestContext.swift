import Hummingbird
import Logging
import NIOCore
import NIOSSL
import X509

/// Who is calling, once a bearer token was checked: the token's id and scopes.
public struct Principal: Sendable, Equatable {
    /// A permission a token carries. The runtime names the three every service has; a service
    /// adds its own as further constants (`extension Principal.Scope { static let relay = … }`).
    public struct Scope: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String

        /// Lowercase letters, digits and `-`, 1…32 bytes.
        public init?(rawValue: String) {
            guard (1...32).contains(rawValue.utf8.count),
                  rawValue.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { return nil }
            self.rawValue = rawValue
        }

        private init(known: String) { rawValue = known }

        public static let read = Scope(known: "read")
        public static let write = Scope(known: "write")
        /// Implies every other scope.
        public static let admin = Scope(known: "admin")

        public var description: String { rawValue }
    }

    /// The token's id.
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
/// (for the TLS peer), the bearer token's principal and the mutual-TLS caller, each set by its
/// middleware.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public var principal: Principal?
    /// The service (or operator) a verified client certificate names, on internal routes.
    public var caller: CallerIdentity?
    /// Streaming endpoints enforce their own limits; this bounds bodies collected in memory (JSON).
    public var maxUploadSize: Int { 8 << 20 }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The client certificate the node CA verified, if the client presented one (never another
    /// node's pinned certificate, nor one accepted as untrusted; see `PinnedPeers`). Over
    /// HTTP/2 the TLS handler sits on the parent (connection) channel; over HTTP/1.1 on the
    /// channel itself.
    public func peerCertificate() async -> Certificate? {
        if let mark = await connectionTrust(), !mark.verifiedByNodeCA { return nil }
        if let certificate = await Self.peerCertificate(on: channel) { return certificate }
        if let parent = channel.parent { return await Self.peerCertificate(on: parent) }
        return nil
    }

    /// The other node this connection's client certificate was accepted for (through
    /// `PinnedPeers`, not the node CA), or nil.
    public func pinnedPeer() async -> String? {
        await connectionTrust()?.peer
    }

    /// The connection's trust mark, where the server pins peers.
    private func connectionTrust() async -> PinnedPeerConnection? {
        for candidate in [channel, channel.parent].compactMap({ $0 }) {
            if let mark = try? await candidate.pipeline.handler(type: PinnedPeerConnection.self).get() { return mark }
        }
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
