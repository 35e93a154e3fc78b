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
    private let unknownSeen = Mutex<(@Sendable () -> Void)?>(nil)

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

    /// Called (on an event loop: it must not block) when a client presents a certificate no
    /// record names yet: a node that joined a moment ago. The owner refreshes the set then, and
    /// the connection's next request is judged against the fresher set.
    public func onUnknownCertificate(_ action: @escaping @Sendable () -> Void) {
        unknownSeen.withLock { $0 = action }
    }

    /// The TLS verification for one connection: the node CA's verdict stands when it accepts;
    /// otherwise the handshake goes on and `mark` keeps the certificate's fingerprint, which
    /// names a peer as long as a member's record names it (see `PinnedPeerConnection`).
    func verification(marking mark: PinnedPeerConnection) -> NIOSSLVerificationCallback {
        { [self] preverified, certificate in
            if preverified == .certificateVerified { return .certificateVerified }
            guard let der = try? certificate.toDERBytes() else {
                mark.distrust()
                return .certificateVerified
            }
            let fingerprint = Array(SHA256.hash(data: der))
            mark.record(fingerprint)
            if self.peer(for: fingerprint) == nil, let action = unknownSeen.withLock({ $0 }) { action() }
            return .certificateVerified
        }
    }
}

/// Sits in a connection's pipeline and says how its client certificate was taken: by the node
/// CA (or none presented), as a peer's (its fingerprint named in a member's record, judged per
/// request, so a node that joined a moment ago is recognised once the records catch up), or
/// untrusted (anonymous).
public final class PinnedPeerConnection: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = Any

    private enum Taken: Equatable {
        case nodeCA
        case pinned([UInt8])
        case untrusted
    }

    private let taken = Mutex(Taken.nodeCA)
    private let pinnedPeers: PinnedPeers

    init(pinnedPeers: PinnedPeers) { self.pinnedPeers = pinnedPeers }

    /// A certificate the node CA did not verify. More than one (a chain) is untrusted.
    fileprivate func record(_ fingerprint: [UInt8]) {
        taken.withLock { taken in
            switch taken {
            case .nodeCA: taken = .pinned(fingerprint)
            case .pinned(let earlier) where earlier == fingerprint: break
            default: taken = .untrusted
            }
        }
    }

    fileprivate func distrust() { taken.withLock { $0 = .untrusted } }

    /// True when the client's certificate (if any) was verified by the node CA.
    public var verifiedByNodeCA: Bool { taken.withLock { $0 } == .nodeCA }

    /// The peer ID, when the client certificate is one a member's record names now.
    public var peer: String? {
        guard case .pinned(let fingerprint) = taken.withLock({ $0 }) else { return nil }
        return pinnedPeers.peer(for: fingerprint)
    }
}
