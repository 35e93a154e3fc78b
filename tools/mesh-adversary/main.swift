import Crypto
import Foundation
import MeshGatewayService
import NIOSSL
import PakitHTTPClient
import PakitCore
import PakitIdentity
#if canImport(Glibc)
import Glibc
#endif

/// `pakit-mesh-adversary`: a hostile mesh member for the tests and `pakit-bench mesh`, not a
/// product. It speaks the real wire format with a member's real key (or a stranger's) and
/// misbehaves in one way, at a given rate, towards the mesh addresses it is given:
///
/// - `forge`: announcements in a victim's name whose signature does not hold;
/// - `replay`: the victim's real first announcement (pulled from a gateway) with its sequence
///   number changed, and unchanged;
/// - `spam`: IHAVE lists of announcements it never delivers, and GRAFTs during its backoff;
/// - `garbage`: datagrams that are not mesh packets at all (the invalid-packet flood).
///
/// ```
/// pakit-mesh-adversary --behaviour forge --targets 127.0.0.2:7946,… --victim 12D3KooW… \
///     [--node-key FILE] [--bind 127.0.0.9] [--rate 20] [--seconds 10] [--gateway https://…]
/// ```
/// Prints how many datagrams it sent when done. Loopback and test namespaces only.
@main
struct MeshAdversary {
    enum Behaviour: String { case forge, replay, spam, garbage }

    static func main() async {
        do {
            try await run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("pakit-mesh-adversary: \(error)\n".utf8))
            exit(2)
        }
    }

    static func run(_ arguments: [String]) async throws {
        var options: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            guard arguments[index].hasPrefix("--"), index + 1 < arguments.count else { throw AdversaryError("expected --name value pairs") }
            options[String(arguments[index].dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        guard let behaviour = options["behaviour"].flatMap(Behaviour.init) else { throw AdversaryError("--behaviour forge|replay|spam|garbage") }
        let targets = try (options["targets"] ?? "").split(separator: ",").map { try MeshAddress(String($0)) }
        guard !targets.isEmpty else { throw AdversaryError("--targets host:port,… is required") }
        guard targets.allSatisfy({ $0.host.hasPrefix("127.") || $0.host.hasPrefix("10.201.") }) else {
            throw AdversaryError("targets must be on loopback or the test namespaces' 10.201/16")
        }
        let key = try options["node-key"].map { try NodeIdentity.loadOrCreate(file: $0).privateKey } ?? Curve25519.Signing.PrivateKey()
        let me = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        guard let rate = Double(options["rate"] ?? "20"), rate >= 1, rate <= 100_000 else { throw AdversaryError("--rate: datagrams per second, 1…100000") }
        guard let seconds = Double(options["seconds"] ?? "10"), seconds > 0, seconds <= 3_600 else { throw AdversaryError("--seconds: 0…3600") }
        let victim = try options["victim"].map { try PeerID($0) }
        let socket = try UDPSocket(bind: options["bind"] ?? "127.0.0.1")

        var replayed: ProviderAnnouncement?
        if behaviour == .replay {
            guard let victim, let gateway = options["gateway"] else { throw AdversaryError("replay needs --victim and --gateway") }
            replayed = try await pull(victim: victim, sequence: 1, from: gateway)
        }
        var random = SystemRandomNumberGenerator()
        // Sends in 10 ms ticks (a sleep per datagram would cap the rate near 5k/s).
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(seconds * 1_000))
        var sent = 0
        var round: UInt64 = 0
        while ContinuousClock.now < end {
            let due = Int(((ContinuousClock.now - start).seconds + 0.01) * rate) - Int(round)
            for _ in 0..<max(0, due) {
                round += 1
                let datagram: [UInt8]
                switch behaviour {
                case .forge:
                    guard let victim else { throw AdversaryError("forge needs --victim") }
                    let forged = try forgedAnnouncement(origin: victim, sequence: 1_000_000 + round, cid: CID.raw(sha256Of: Array("forged \(round)".utf8)))
                    datagram = try MeshPacket(sender: me, body: .pubsub(GossipRPC(messages: [forged]))).encoded(signedWith: key)
                case .replay:
                    guard let original = replayed else { return }
                    let message = round % 2 == 0 ? original : try withSequence(original, 2_000_000 + round)
                    datagram = try MeshPacket(sender: me, body: .pubsub(GossipRPC(messages: [message]))).encoded(signedWith: key)
                case .spam:
                    let origin = victim ?? me
                    let haves = (0..<50).map { offset in
                        GossipRPC.Have(id: MessageID(origin: origin, sequence: 3_000_000 + round * 50 + UInt64(offset)), size: 180)
                    }
                    datagram = try MeshPacket(sender: me, body: .pubsub(GossipRPC(ihave: haves, graft: true))).encoded(signedWith: key)
                case .garbage:
                    datagram = (0..<120).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
                for target in targets where socket.send(datagram, to: target) { sent += 1 }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        print("sent \(sent) datagrams")
    }

    /// An announcement naming `origin` with a signature that is 64 random bytes.
    static func forgedAnnouncement(origin: PeerID, sequence: UInt64, cid: CID) throws -> ProviderAnnouncement {
        var body: [UInt8] = [1] + origin.publicKey
        body += bigEndian(sequence) + bigEndian(UInt64(Date().timeIntervalSince1970 * 1_000))
        body += [0, 1, UInt8(cid.bytes.count)] + cid.bytes + [0, 0]
        let signature = (0..<64).map { _ in UInt8.random(in: 0...255) }
        return try ProviderAnnouncement.decode(bigEndian(UInt32(body.count)) + body + signature)
    }

    /// The same announcement with another sequence number (its signature no longer holds).
    static func withSequence(_ announcement: ProviderAnnouncement, _ sequence: UInt64) throws -> ProviderAnnouncement {
        var bytes = announcement.encoded
        // length (4), version (1), origin (32), then the sequence.
        bytes.replaceSubrange(37..<45, with: bigEndian(sequence))
        return try ProviderAnnouncement.decode(bytes)
    }

    static func pull(victim: PeerID, sequence: UInt64, from gateway: String) async throws -> ProviderAnnouncement {
        // The gateway's certificate is from its own node CA: the announcement is checked by its
        // signature instead.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = ServiceClient(tls: tls, timeout: .seconds(10))
        defer { Task { await client.shutdown() } }
        let request = ServiceRequest(.GET, "/v1/mesh/announcements/\(victim)/\(sequence)", idempotent: true, timeout: .seconds(10),
                                     retry: RetryPolicy(maximumAttempts: 3), responseLimit: 1 << 17)
        let announcement = try ProviderAnnouncement.decode(try await client.send(request, to: gateway).bytes)
        guard announcement.isAuthentic else { throw AdversaryError("the pulled announcement is not authentic") }
        return announcement
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
}

struct AdversaryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A bound IPv4 UDP socket.
final class UDPSocket {
    private let descriptor: Int32

    init(bind host: String) throws {
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw AdversaryError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw AdversaryError("--bind \(host) is not an IPv4 address") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw AdversaryError("bind \(host): errno \(errno)") }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8], to target: MeshAddress) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(target.port).bigEndian
        guard inet_pton(AF_INET, target.host, &address.sin_addr) == 1 else { return false }
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == bytes.count
    }
}
