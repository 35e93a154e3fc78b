import Foundation
import PakitFiles

/// The one bootstrap step that uses the CA's private key: `pakit init` (or `pakit up` on first
/// start) creates the node CA if needed and issues one certificate per service plus one for the
/// operator (the CLI's client identity for internal routes and `/metrics`). Services then load
/// only their own certificate and key (`ServiceTLSFiles`) and never read `ca-key.pem`, so a
/// compromised replica holds nothing that can mint another service's identity.
public enum NodeCertificates {
    /// The name in the operator's certificate.
    public static let operatorName = "operator"

    /// Issues (or re-issues when expiring, from another CA, or with other names) the certificate
    /// of every name in `identities` into `<directory>`. Returns each identity's paths.
    @discardableResult
    public static func issue(
        in directory: String, identities: [String], hostnames: [String] = []
    ) throws -> [String: TLSPaths] {
        let authority = try LocalCertificateAuthority.loadOrCreate(in: directory)
        var issued: [String: TLSPaths] = [:]
        for identity in identities {
            issued[identity] = try authority.certificate(for: identity, hostnames: hostnames)
        }
        return issued
    }
}

/// Where a service finds its own TLS material by default: `<data-dir>/tls/ca.pem`,
/// `<data-dir>/tls/<service>.pem` and `<data-dir>/tls/<service>-key.pem` — the layout
/// `NodeCertificates.issue` writes.
public enum ServiceTLSFiles {
    public static func defaultPaths(dataDirectory: String, identity: String) -> TLSPaths {
        let directory = "\(dataDirectory)/tls"
        return TLSPaths(caCertificate: "\(directory)/ca.pem", certificate: "\(directory)/\(identity).pem",
                        privateKey: "\(directory)/\(identity)-key.pem")
    }

    /// Checks that every file exists and is readable, naming the missing one and the fix.
    public static func check(_ paths: TLSPaths, identity: String) throws(TLSMaterialError) {
        for (what, path) in [("CA certificate", paths.caCertificate), ("certificate", paths.certificate), ("private key", paths.privateKey)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TLSMaterialError(
                    "no readable \(what) for \(identity) at \(path): run 'pakit init' (or 'pakit up') to issue the node's certificates, "
                        + "or set tls-ca, tls-cert and tls-key to your own files")
            }
        }
    }
}

/// A service's certificate, key or CA is missing or unreadable.
public struct TLSMaterialError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
