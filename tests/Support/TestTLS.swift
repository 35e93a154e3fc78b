import AsyncHTTPClient
import NIOSSL
import PakitHTTPClient
import PakitTLS

/// Clients for tests: one that trusts a node's CA and presents nothing, and one that presents
/// an identity's certificate from that CA (issued on demand, as `pakit init` would).
public enum TestTLS {
    public static func trustingClient(dataDirectory: String, http1Only: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(dataDirectory)/tls/ca.pem"))
        return ServiceClient.make(tls: tls, http1Only: http1Only)
    }

    public static func client(presenting identity: String, dataDirectory: String, http1Only: Bool = false) throws -> HTTPClient {
        let issued = try NodeCertificates.issue(in: "\(dataDirectory)/tls", identities: [identity])
        guard let paths = issued[identity] else { throw TestFailure("no certificate for \(identity)") }
        return ServiceClient.make(tls: try paths.clientConfiguration(), http1Only: http1Only)
    }
}
