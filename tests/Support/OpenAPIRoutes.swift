import Foundation
import Hummingbird
import PakitHTTPServer

/// Holds a service's OpenAPI document against the routes its router really registers, both
/// ways: every served route is documented, every documented route is served.
public enum OpenAPIRoutes {
    /// `METHOD /path/{param}` for every operation of the document at `path` (relative to the
    /// repository root).
    public static func documented(_ relativePath: String) throws -> Set<String> {
        let url = repositoryRoot.appendingPathComponent(relativePath)
        let data = try Data(contentsOf: url)
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let paths = document["paths"] as? [String: [String: Any]] else {
            throw OpenAPIDocumentError(description: "\(relativePath) has no paths")
        }
        let methods: Set<String> = ["get", "head", "put", "post", "delete", "patch", "options"]
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where methods.contains(method) {
                operations.insert("\(method.uppercased()) \(normalize(path))")
            }
        }
        return operations
    }

    /// `METHOD /path/{param}` for every route of `router`.
    public static func served(_ router: Router<ServiceRequestContext>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \(normalize($0.path.description))" })
    }

    /// The schemas of the document at `relativePath` that do not have exactly the fields their
    /// contract type encodes (one sample value each), or are missing: empty when all agree.
    public static func schemaMismatches(_ relativePath: String, samples: [String: any Encodable]) throws -> [String] {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent(relativePath))
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] else {
            throw OpenAPIDocumentError(description: "\(relativePath) has no components.schemas")
        }
        var mismatches: [String] = []
        for (name, sample) in samples.sorted(by: { $0.key < $1.key }) {
            guard let schema = schemas[name] else {
                mismatches.append("\(name): not documented")
                continue
            }
            let documented = Set((schema["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
            let encoded = Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(sample)) as? [String: Any])?.keys.map { $0 } ?? [])
            if documented != encoded {
                mismatches.append("\(name): documented \(documented.sorted()), encoded \(encoded.sorted())")
            }
        }
        return mismatches
    }

    /// One spelling for both sides: Hummingbird's `:name` and `**` and OpenAPI's `{name}` all
    /// become `{}`, so parameter names need not agree.
    static func normalize(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment -> String in
            if segment.hasPrefix(":") || segment == "**" || segment == "*" || (segment.hasPrefix("{") && segment.hasSuffix("}")) {
                return "{}"
            }
            return String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    /// The repository root, found from this file's path (`tests/Support/…`).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

public struct OpenAPIDocumentError: Error, CustomStringConvertible {
    public let description: String
}
