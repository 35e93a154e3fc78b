import Foundation
import PakitCore
import PakitIdentity

/// Expiring read links signed with the node's Ed25519 key: `?expires=<unix>&sig=<base64url>`
/// over `pakit-share-v1\n<cid>\n<path>\n<expires>`. Anyone holding the link can read that one
/// path until it expires, even on a private node; a changed byte or a past expiry gets 403.
struct ShareLinks: Sendable {
    let identity: NodeIdentity

    static let maximumLifetime = 30 * 86_400

    func sign(cid: CID, path: String, expires: Int64) throws -> String {
        base64URL(try identity.sign(Self.message(cid: cid, path: path, expires: expires)))
    }

    /// nil when the request carries no share signature; otherwise whether it is valid now.
    func check(cid: CID, path: String, signature: String?, expires: Int64?, now: Int64) -> Bool? {
        guard let signature else { return nil }
        guard let expires, expires >= now, let signatureBytes = fromBase64URL(signature) else { return false }
        return identity.verify(signatureBytes, for: Self.message(cid: cid, path: path, expires: expires))
    }

    static func message(cid: CID, path: String, expires: Int64) -> [UInt8] {
        Array("pakit-share-v1\n\(cid.v1.string)\n\(path)\n\(expires)".utf8)
    }
}

func base64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func fromBase64URL(_ text: String) -> [UInt8]? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64).map { [UInt8]($0) }
}
