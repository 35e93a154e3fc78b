import Hummingbird
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `GET|HEAD /ipfs/{cid}[/path]`: the path gateway, plus the trustless-gateway responses
/// (`?format=raw|car` or the matching `Accept`) that clients verify themselves.
extension StorageNode {
    func addGatewayRoutes(to router: Router<ServiceRequestContext>) {
        for head in [false, true] {
            let serve: @Sendable (Request, ServiceRequestContext) async throws -> Response = { request, context in
                try await handle { try await self.gateway(request, context: context, head: head) }
            }
            router.on("/ipfs/:cid", method: head ? .head : .get, use: serve)
            router.on("/ipfs/:cid/**", method: head ? .head : .get, use: serve)
        }
    }

    func gateway(_ request: Request, context: ServiceRequestContext, head: Bool) async throws -> Response {
        let root = try context.cidParameter()
        let path = context.pathTail
        let parameters = try QueryParameters(request)
        // Every documented parameter is checked whichever format the request asks for.
        let query = try ReadQuery(parameters)
        let dagScope = try parameters.oneOf("dag-scope", ["block", "entity", "all"])
        let entityBytes = try parameters.string("entity-bytes", maxLength: 256).map { text throws(StorageError) in try EntityBytes(parsing: text) }
        let accept = request.headers[.accept] ?? ""
        var format = try parameters.oneOf("format", ["raw", "car"])
        if format == nil {
            if accept.contains("application/vnd.ipld.raw") { format = "raw" } else if accept.contains("application/vnd.ipld.car") { format = "car" }
        }
        if request.headers[.cacheControl]?.contains("only-if-cached") == true, !(await blockStore.contains(root)) {
            throw ServiceError(.preconditionFailed, "not_cached", "\(root) is not stored on this node")
        }
        switch format {
        case nil:
            return try await serveContent(request, query: query, context: context, root: root, path: path, head: head)
        case "raw":
            guard path.isEmpty else { throw StorageError.invalidParameter("format=raw returns one block and takes no path") }
            try await authorizeRead(query, context: context, root: root, path: "")
            let bytes = served(try await reader(under: root).block(root))
            return Response(status: .ok, headers: [
                .contentType: "application/vnd.ipld.raw", .eTag: "\"\(root.string).raw\"",
                .cacheControl: "public, max-age=29030400, immutable", .contentLength: "\(bytes.count)",
                .xIpfsRoots: root.string,
            ], body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case "car":
            try await authorizeRead(query, context: context, root: root, path: path.joined(separator: "/"))
            // Like the trustless gateway's reference: entity-bytes shapes the entity scope only
            // and is not read with the others (a malformed value is still 400 above).
            let scope: CARScope
            switch dagScope {
            case "block": scope = .block
            case "entity": scope = .entity(bytes: entityBytes)
            default: scope = .all
            }
            let (target, walked) = try await reader(under: root).resolveCollecting(root, path: path)
            var response = try await exportCAR(root, dag: target, pathBlocks: walked, scope: scope)
            if head { response.body = .init() }
            return response
        default:
            throw StorageError.invalidParameter("format must be raw or car")
        }
    }
}
