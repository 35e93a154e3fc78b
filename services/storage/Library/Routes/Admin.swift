import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `POST /v1/gc`, `GET /v1/stats`, `POST /v1/tokens`, `POST /v1/share`, `POST /v1/repo/verify`.
extension StorageNode {
    func addAdminRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/gc") { _, context in
            try await handle {
                try context.require(.admin)
                let collected = try await GarbageCollector(metadata: self.metadata, blockStore: self.blockStore, guardian: self.guardian).collect()
                // What is gone is no longer held: the mesh hears it.
                self.announcer?.removed(collected.removedCIDs.compactMap { try? CID($0) })
                return try jsonResponse(collected)
            }
        }
        router.post("/v1/repo/verify") { _, context in
            try await handle {
                try context.require(.admin)
                return try jsonResponse(try await RepositoryVerifier(metadata: self.metadata, blockStore: self.blockStore).verify())
            }
        }
        router.get("/v1/stats") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let s = try await self.metadata.stats()
                return try jsonResponse(StatsResponse(
                    logicalBytes: s.logical, uniqueBytes: s.unique, storedBytes: s.stored,
                    dedupSavedBytes: s.logical > s.unique ? s.logical - s.unique : 0,
                    compressionSavedBytes: s.unique > s.stored ? s.unique - s.stored : 0,
                    blocks: s.blocks, compressedBlocks: s.compressed, files: s.files, pins: s.pins))
            }
        }
        router.post("/v1/tokens") { request, context in
            try await handle {
                try context.require(.admin)
                let body = try await request.decode(as: TokenCreateRequest.self, context: context)
                guard !body.name.isEmpty, body.name.utf8.count <= 100 else { throw StorageError.invalidParameter("name must be 1...100 bytes") }
                var scopes: Set<Principal.Scope> = []
                for scope in body.scopes {
                    guard let parsed = Principal.Scope(rawValue: scope), [Principal.Scope.read, .write, .admin].contains(parsed) else {
                        throw StorageError.invalidParameter("unknown scope '\(scope)'; use read, write or admin")
                    }
                    scopes.insert(parsed)
                }
                guard !scopes.isEmpty else { throw StorageError.invalidParameter("at least one scope is required") }
                let (id, token) = try await self.tokens.create(name: body.name, scopes: scopes)
                return try jsonResponse(TokenCreateResponse(id: id, name: body.name, scopes: scopes.map(\.rawValue).sorted(), token: token), status: .created)
            }
        }
        router.post("/v1/share") { request, context in
            try await handle {
                // A share link grants reading, so minting one needs the read scope (or admin).
                try context.require(.read)
                let body = try await request.decode(as: ShareRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                let lifetime = body.expiresInSeconds ?? 86_400
                guard (1...ShareLinks.maximumLifetime).contains(lifetime) else {
                    throw StorageError.invalidParameter("expiresInSeconds must be 1...\(ShareLinks.maximumLifetime)")
                }
                let path = (body.path ?? "").split(separator: "/").map(String.init)
                _ = try await self.reader(under: cid).resolve(cid, path: path)  // share only what exists
                let pathText = path.joined(separator: "/")
                let expires = Int64(Date().timeIntervalSince1970) + Int64(lifetime)
                let signature = try self.shareLinks.sign(cid: cid, path: pathText, expires: expires)
                let encodedPath = path.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }.joined(separator: "/")
                let relative = "/v1/files/\(cid.string)" + (path.isEmpty ? "" : "/\(encodedPath)") + "?expires=\(expires)&sig=\(signature)"
                let base = self.publicBaseURL
                return try jsonResponse(ShareResponse(path: relative, url: base + relative, expiresAt: expires), status: .created)
            }
        }
    }

    /// Who may call storage's internal routes: the mesh gateway (it serves peers' block
    /// requests), the LoRa bridge (it serves radio peers' requests) and other storage
    /// instances of this node.
    static let internalCallers = CallerPolicy.only(.service(.meshGateway), .service(.loraBridge), .service(.storage))
    /// Who may store blocks without a token: the LoRa bridge stores what it fetched over radio
    /// (after checking it against its CID; storage checks again).
    static let internalBlockWriters = CallerPolicy.only(.service(.loraBridge), .service(.storage))

    /// Internal routes: mutual TLS with a certificate from the node CA naming an admitted service.
    func addInternalRoutes(to router: Router<ServiceRequestContext>) {
        let internalRoutes = router.group("/internal/v1").add(middleware: RequireCallerMiddleware(Self.internalCallers))
        internalRoutes.get("/blocks/:cid") { _, context in
            try await handle {
                let cid = try context.cidParameter()
                let bytes = try await self.reader.localOnly.block(cid)
                return Response(status: .ok, headers: [.contentType: "application/vnd.ipld.raw", .contentLength: "\(bytes.count)"],
                                body: .init(byteBuffer: .init(bytes: bytes)))
            }
        }
        // The pinned roots without replica details: the LoRa bridge announces them to radio peers.
        internalRoutes.get("/pins") { request, _ in
            try await handle { try jsonResponse(try await self.pinPage(request, details: false)) }
        }
        router.group("/internal/v1").add(middleware: RequireCallerMiddleware(Self.internalBlockWriters))
            .put("/blocks/:cid") { request, context in
                try await handle { try await self.putBlock(request, context: context) }
            }
    }
}
