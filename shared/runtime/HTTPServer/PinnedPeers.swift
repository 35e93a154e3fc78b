import NIOCore
import NIOSSL
import Synchronization
import Crypto

/// The other nodes' certificates this server accepts from clients, by SHA-256 of their DER:
/// a node trusts another node's certificate because that node's signed mesh record names it,
/// never the other node's CA (ARCHITECTURE.md, "Trust between nodes"). The service keeps the
/// set current from its mesh gateway's member records.
///
/// A connection whose client certificate is accepted this way (and not by the node CA) is
/// marked (`PinnedPeerConnection`), so `RequireCallerMiddleware` names its caller
/// `CallerIdentity.peer(…)` and never by the certificate's common name: another node's
/// `storage` certificate is not this node's storage. A client certificate neither verifies is
/// not a reason to refuse the connection (a node this one has not heard of yet may read public
/// content): it is marked untrusted and the connection is served as if it had presented none.
public final class PinnedPeers: Sendable {
    private let peers = Mutex<[[UInt8]: String]>([:])

    public init() {}

    /// Replaces the set: certificate SHA-256 → peer ID.
    public func replace(with fingerprints: [[UInt8]: String]) {
        peers.withLock { $0 = fingerprints }
    }

    /// The peer whose record names this certificate fingerprint.
    public func peer(for fingerprint: [UInt8]) -> String? {
        peers.withLock { $0[fingerprint] }
    }

    public var count: Int { peers.withLock { $0.count } }

    /// The TLS verification for one connection: the node CA's verdict stands when it accepts;
    /// otherwise a certificate named in a member's record is accepted and `mark` records which
    /// peer it is; anything else is marked untrusted (served as anonymous).
    func verification(marking mark: PinnedPeerConnection) -> NIOSSLVerificationCallback {
        { [self] preverified, certificate in
            if preverified == .certificateVerified { return .certificateVerified }
            if let der = try? certificate.toDERBytes(), let peer = self.peer(for: Array(SHA256.hash(data: der))) {
                mark.accept(peer)
            } else {
                mark.distrust()
            }
            return .certificateVerified
        }
    }
}

/// Sits in a connection's pipeline and says whether its client certificate was accepted as a
/// pinned peer's (and whose), rather than by the node CA.
public final class PinnedPeerConnection: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = Any

    /// How the client certificate (if any) was taken.
    public enum Trust: Sendable, Equatable {
        /// None presented, or verified by the node CA.
        case nodeCA
        /// Named in this peer's signed record.
        case peer(String)
        /// Neither: the connection is anonymous.
        case untrusted
    }

    private let trust = Mutex(Trust.nodeCA)

    init() {}

    fileprivate func accept(_ peer: String) {
        trust.withLock { if $0 != .untrusted { $0 = .peer(peer) } }
    }

    /// Sticks: a chain with any certificate that fails both checks is not a peer's.
    fileprivate func distrust() { trust.withLock { $0 = .untrusted } }

    public var state: Trust { trust.withLock { $0 } }

    /// The peer ID, when the client certificate was accepted as a pinned peer's.
    public var peer: String? {
        if case .peer(let id) = state { return id }
        return nil
    }
}
