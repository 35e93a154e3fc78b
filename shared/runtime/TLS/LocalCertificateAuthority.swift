import Crypto
import Foundation
import NIOSSL
import PakitFiles
import SwiftASN1
import X509

/// A node-local certificate authority: created on first start in the data directory, it
/// issues one certificate per service (and one for the CLI) so that internal calls can use
/// mutual TLS without any operator setup. Operators who run their own PKI point every path
/// at their own files instead (see `TLSPaths`).
public struct LocalCertificateAuthority: Sendable {
    public let directory: String
    let certificate: Certificate
    let privateKey: Certificate.PrivateKey

    public var certificatePath: String { "\(directory)/ca.pem" }

    /// Loads the CA from `directory`, creating it (key 0600) when absent. Safe when several
    /// processes start at once: exactly one creates it, the others load it.
    public static func loadOrCreate(in directory: String) throws -> LocalCertificateAuthority {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keyPath = "\(directory)/ca-key.pem"
        let certPath = "\(directory)/ca.pem"
        if !FileManager.default.fileExists(atPath: certPath) {
            let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let name = try DistinguishedName {
                OrganizationName("Pakit node")
                CommonName("Pakit local CA")
            }
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                },
                issuerPrivateKey: key)
            // The key goes first and exclusively: a concurrent starter that loses the race
            // waits for the winner's certificate below.
            if try AtomicFile.createExclusively(try key.serializeAsPEM().pemString, at: keyPath) {
                // The CA certificate is public: clients on this machine read it to trust the node.
                try AtomicFile.write(Array(try certificate.serializeAsPEM().pemString.utf8), to: certPath, mode: 0o644)
            }
        }
        var attempts = 0
        while !FileManager.default.fileExists(atPath: certPath) && attempts < 100 {
            usleep(20_000)
            attempts += 1
        }
        let certificate = try Certificate(pemEncoded: TextFile.read(certPath))
        let key = try Certificate.PrivateKey(pemEncoded: TextFile.read(keyPath))
        return LocalCertificateAuthority(directory: directory, certificate: certificate, privateKey: key)
    }

    /// Returns the paths of a certificate for `name`, issuing (or renewing, within 30 days of
    /// expiry) it when needed. The certificate serves as both server and client identity.
    public func certificate(for name: String, hostnames: [String] = []) throws -> TLSPaths {
        let certPath = "\(directory)/\(name).pem"
        let keyPath = "\(directory)/\(name)-key.pem"
        var names: [GeneralName] = [.dnsName("localhost"), .dnsName(name),
                                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                                    .ipAddress(ASN1OctetString(contentBytes: ArraySlice(Array(repeating: 0, count: 15) + [1])))]
        for host in hostnames where !host.isEmpty {
            if let ip = IPAddressBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))))
            } else {
                names.append(.dnsName(host))
            }
        }
        // Reuse the certificate unless it expires within 30 days, another CA issued it, or the
        // operator changed the names it must carry.
        if let existing = try? Certificate(pemEncoded: TextFile.read(certPath)),
           FileManager.default.fileExists(atPath: keyPath),
           existing.notValidAfter > Date().addingTimeInterval(30 * 86_400),
           existing.issuer == certificate.subject,
           // Every local CA has the same name: the key identifier tells a replaced CA apart.
           (try? existing.extensions.authorityKeyIdentifier?.keyIdentifier) == (try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier),
           let existingNames = try? existing.extensions.subjectAlternativeNames,
           Set(existingNames.map { "\($0)" }) == Set(names.map { "\($0)" }) {
            return TLSPaths(caCertificate: certificatePath, certificate: certPath, privateKey: keyPath)
        }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName {
            OrganizationName("Pakit node")
            CommonName(name)
        }
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: privateKey)
        try AtomicFile.write(try key.serializeAsPEM().pemString, to: keyPath)
        try AtomicFile.write(Array(try leaf.serializeAsPEM().pemString.utf8), to: certPath, mode: 0o644)
        return TLSPaths(caCertificate: certificatePath, certificate: certPath, privateKey: keyPath)
    }
}

/// The 4 or 16 bytes of an IPv4 or IPv6 address literal, or nil for a DNS name.
private func IPAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), &v6) == 1 {
        return withUnsafeBytes(of: v6) { Array($0) }
    }
    return nil
}

/// Where a service finds its trust root, certificate and key (PEM files).
public struct TLSPaths: Sendable, Equatable {
    public var caCertificate: String
    public var certificate: String
    public var privateKey: String

    public init(caCertificate: String, certificate: String, privateKey: String) {
        self.caCertificate = caCertificate
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Server side: offers h2 and http/1.1 (Hummingbird sets ALPN), asks for a client
    /// certificate and verifies it against the CA when one is presented. Routes that need
    /// mutual TLS then require a verified peer (see `RequireClientCertificateMiddleware`).
    public func serverConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem)))
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate))
        configuration.certificateVerification = .optionalVerification
        return configuration
    }

    /// Client side: trusts the CA and presents this certificate.
    public func clientConfiguration(presentCertificate: Bool = true) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate))
        if presentCertificate {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem))
        }
        return configuration
    }
}
