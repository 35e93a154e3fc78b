import HTTPTypes
import Hummingbird
import Synchronization

/// A known path asked with a method it does not take gets `405 method_not_allowed` and an
/// `Allow` header (RFC 9110 §15.5.6) instead of the router's 404. The route table is loaded once
/// the routes are registered (`load`); the middleware must be added before them so it also
/// wraps the router's not-found answer.
public final class MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware, Sendable {
    private struct Route {
        var components: [Substring]
        var methods: Set<String>
    }

    private let routes = Mutex<[Route]>([])

    public init() {}

    /// Takes the router's routes (path patterns as `RouterPath` prints them: `/v1/blocks/{cid}`,
    /// `/ipfs/{cid}/**`; `:cid` and `*` are read the same way).
    public func load(_ routes: [(path: String, method: String)]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path, default: []].insert(route.method) }
        self.routes.withLock { table in
            table = byPath.map { Route(components: $0.key.split(separator: "/"), methods: $0.value) }
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(path: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            let list = allowed.sorted().joined(separator: ", ")
            var refusal = ServiceError(.methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(list)")
            refusal.headers[.allow] = list
            throw refusal
        }
    }

    /// The methods of every route whose pattern matches `path`.
    func allowedMethods(path: String) -> Set<String> {
        let parts = path.split(separator: "/")
        return routes.withLock { table in
            table.reduce(into: Set<String>()) { allowed, route in
                if Self.matches(route.components, parts) { allowed.formUnion(route.methods) }
            }
        }
    }

    static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        for (index, component) in pattern.enumerated() {
            if component == "**" { return parts.count > index }
            guard index < parts.count else { return false }
            if component.hasPrefix(":") || component.hasPrefix("{") || component == "*" { continue }
            guard component == parts[index] else { return false }
        }
        return pattern.count == parts.count
    }
}
