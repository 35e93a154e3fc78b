import Foundation
import PakitIdentity
import PakitTLS
import Testing
import X509

@Suite("Node-local certificate authority")
struct CertificateAuthorityTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    @Test("keys are 0600, certificates are reused, and re-issued when their names or the CA change")
    func issueAndReissue() throws {
        let directory = NSTemporaryDirectory() + "pakit-ca-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try LocalCertificateAuthority.loadOrCreate(in: directory)
        #expect(Self.mode("\(directory)/ca-key.pem") == 0o600)
        #expect(Self.mode("\(directory)/ca.pem") == 0o644)

        let first = try ca.certificate(for: "storage")
        #expect(Self.mode(first.privateKey) == 0o600)
        let original = try String(contentsOfFile: first.certificate, encoding: .utf8)
        _ = try ca.certificate(for: "storage")
        #expect(try String(contentsOfFile: first.certificate, encoding: .utf8) == original, "an unchanged certificate was re-issued")

        _ = try ca.certificate(for: "storage", hostnames: ["10.0.0.5", "fd00::5", "node.example"])
        let renamed = try Certificate(pemEncoded: String(contentsOfFile: first.certificate, encoding: .utf8))
        let names = try #require(try renamed.extensions.subjectAlternativeNames)
        #expect(names.contains(.ipAddress(.init(contentBytes: [10, 0, 0, 5]))))
        #expect(names.contains(.dnsName("node.example")))
        #expect(names.contains(.ipAddress(.init(contentBytes: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]))))

        // A replaced CA (same name, new key) makes the service certificate stale.
        let before = try String(contentsOfFile: first.certificate, encoding: .utf8)
        try FileManager.default.removeItem(atPath: "\(directory)/ca.pem")
        try FileManager.default.removeItem(atPath: "\(directory)/ca-key.pem")
        let replaced = try LocalCertificateAuthority.loadOrCreate(in: directory)
        _ = try replaced.certificate(for: "storage", hostnames: ["10.0.0.5", "fd00::5", "node.example"])
        #expect(try String(contentsOfFile: first.certificate, encoding: .utf8) != before)
    }

    @Test("a node identity key is created once, 0600, and signs verifiably")
    func nodeIdentity() throws {
        let directory = NSTemporaryDirectory() + "pakit-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let identity = try NodeIdentity.loadOrCreate(in: directory)
        let again = try NodeIdentity.loadOrCreate(in: directory)
        #expect(identity.publicKey.rawRepresentation == again.publicKey.rawRepresentation)
        #expect(Self.mode("\(directory)/node-ed25519.key") == 0o600)
        let signature = try identity.sign(Array("message".utf8))
        #expect(again.verify(signature, for: Array("message".utf8)))
        #expect(!again.verify(signature, for: Array("massage".utf8)))
    }
}
