import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPServer

/// Serving file content the way HTTP caches and IPFS gateways expect: immutable caching,
/// `ETag` = CID, `If-None-Match`, one `Range`, `HEAD`, directory index or listing.
extension StorageNode {
    /// Reads of content are open unless the node is private; a share signature, when present,
    /// must be valid (403 otherwise) and grants reading exactly that path. A private node
    /// serves the other nodes of the mesh (their certificates pinned from their records), so
    /// replicas and remote reads work between private nodes.
    func authorizeRead(_ query: ReadQuery, context: ServiceRequestContext, root: CID, path: String) async throws {
        if let valid = shareLinks.check(cid: root, path: path, signature: query.signature, expires: query.expires,
                                        now: Int64(Date().timeIntervalSince1970)) {
            guard valid else { throw StorageError.forbidden("share link is invalid or expired") }
            return
        }
        if configuration.isPrivate, await context.pinnedPeer() == nil { try context.require(.read) }
    }

    func serveContent(_ request: Request, query: ReadQuery, context: ServiceRequestContext, root: CID, path: [String], head: Bool) async throws -> Response {
        try await authorizeRead(query, context: context, root: root, path: path.joined(separator: "/"))
        let filename = query.filename
        let reader = self.reader(under: root)
        var target = try await reader.resolve(root, path: path)
        var node = try await reader.node(target)
        var servedName = path.last
        if case .directory(let entries) = node {
            if let index = entries.first(where: { $0.name == "index.html" }) {
                target = index.hash
                node = try await reader.node(target)
                servedName = "index.html"
            } else {
                let listing = DirectoryListing(cid: target.string, entries: entries.map {
                    .init(name: $0.name ?? "", cid: $0.hash.string, size: $0.tsize ?? 0)
                })
                var response = try jsonResponse(listing)
                response.headers[.eTag] = "\"\(target.string).dir\""
                response.headers[.cacheControl] = "public, max-age=29030400, immutable"
                return response
            }
        }
        guard let size = node.fileSize else {
            throw StorageError.invalidContent("\(target) is not a file or directory")
        }
        try await reader.checkLeadingPath(of: node)
        let etag = "\"\(target.string)\""
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=29030400, immutable",
            .acceptRanges: "bytes",
            .contentType: MediaType.guess(filename ?? servedName),
        ]
        if let contentType = headers[.contentType], MediaType.isDocument(contentType) {
            headers[.contentSecurityPolicy] = MediaType.documentSandbox
        }
        let encodedPath = path.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? $0 }
        headers[.xIpfsPath] = "/ipfs/\(root.string)" + (path.isEmpty ? "" : "/" + encodedPath.joined(separator: "/"))
        headers[.xIpfsRoots] = root.string
        if let filename {
            headers[.contentDisposition] = ContentDisposition.value(query.download ? "attachment" : "inline", filename: filename)
        }
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        var range: Range<UInt64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let rangeHeader = request.headers[.range], let requested = try ByteRange.parse(rangeHeader, size: size) {
            range = requested
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
        }
        headers[.contentLength] = "\(range.count)"
        if head { return Response(status: status, headers: headers) }
        let servedNode = node
        let servedRange = range
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            try await reader.writeRange(of: servedNode, range: servedRange) { buffer in try await writer.write(buffer) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }
}

/// The query parameters every content read takes, checked once (all of them, whichever branch
/// the request then takes): share link (`sig`, `expires`), `filename`, `download`.
struct ReadQuery {
    let signature: String?
    let expires: Int64?
    let filename: String?
    let download: Bool

    init(_ query: QueryParameters) throws {
        signature = try query.string("sig", maxLength: 200)
        expires = try query.integer("expires", in: 0...Int64.max)
        filename = try query.string("filename", maxLength: 255)
        if filename?.isEmpty == true { throw StorageError.invalidParameter("filename must be 1…255 characters") }
        download = try query.oneOf("download", ["true", "false"]) == "true"
    }

    init(_ request: Request) throws {
        try self.init(try QueryParameters(request))
    }
}

/// JSON listing of a directory without `index.html`.
struct DirectoryListing: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var name: String
        var cid: String
        var size: UInt64
    }
    var cid: String
    var entries: [Entry]
}

/// `Range: bytes=a-b | a- | -n` (one range). Several ranges are answered with the whole body,
/// as RFC 9110 allows; an unsatisfiable one is 416.
enum ByteRange {
    static func parse(_ header: String, size: UInt64) throws(StorageError) -> Range<UInt64>? {
        guard header.hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        if spec.contains(",") { return nil }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .badRange(size: size) }
        if parts[0].isEmpty {
            guard let suffix = UInt64(parts[1]), suffix > 0 else { throw .badRange(size: size) }
            guard size > 0 else { throw .badRange(size: size) }
            return (size - min(suffix, size))..<size
        }
        guard let start = UInt64(parts[0]) else { throw .badRange(size: size) }
        guard start < size else { throw .badRange(size: size) }
        if parts[1].isEmpty { return start..<size }
        guard let end = UInt64(parts[1]), end >= start else { throw .badRange(size: size) }
        return start..<(min(end, size - 1) + 1)
    }
}

/// Content types by file extension, for website hosting and browsers.
enum MediaType {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "svg": "image/svg+xml",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "ico": "image/x-icon", "pdf": "application/pdf", "wasm": "application/wasm", "xml": "application/xml",
        "mp4": "video/mp4", "mp3": "audio/mpeg", "woff2": "font/woff2", "zip": "application/zip",
    ]

    /// Types a browser renders as a document that can run script (pages, SVG, XML).
    static func isDocument(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return ["text/html", "image/svg+xml", "application/xml", "text/xml", "application/xhtml+xml"].contains(type)
    }

    /// Uploaded pages run in a sandbox without `allow-same-origin`: an opaque origin, so a page
    /// (or a hosted `.bz` site) cannot read or call the API with this origin's authority.
    static let documentSandbox = "sandbox allow-scripts allow-forms allow-popups allow-downloads"

    static func guess(_ name: String?) -> String {
        guard let name, let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}

/// `Content-Disposition` with any file name: an ASCII fallback in `filename` and the exact
/// name in RFC 8187 form (`filename*=UTF-8''…`), so no name can break the header.
enum ContentDisposition {
    static func value(_ disposition: String, filename: String) -> String {
        let fallback = String(filename.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" && scalar.value != 0x7f ? Character(scalar) : "_"
        })
        let exact = filename.addingPercentEncoding(withAllowedCharacters: .rfc8187AttributeCharacters) ?? fallback
        return "\(disposition); filename=\"\(fallback)\"; filename*=UTF-8''\(exact)"
    }
}

extension CharacterSet {
    /// RFC 8187 `attr-char`: what may stand unencoded in an extended header parameter.
    static let rfc8187AttributeCharacters = CharacterSet(charactersIn:
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~")
}

extension ServiceRequestContext {
    /// The `**` tail of the route, split and percent-decoded.
    var pathTail: [String] {
        parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }.filter { !$0.isEmpty }
    }

    func cidParameter(_ name: String = "cid") throws(StorageError) -> CID {
        guard let text = parameters.get(name) else { throw .invalidCID("missing CID") }
        return try StorageError.parseCID(text)
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy") ?? .contentType
    static let xIpfsPath = Self("X-Ipfs-Path") ?? .contentLocation
    static let xIpfsRoots = Self("X-Ipfs-Roots") ?? .contentLocation
}
