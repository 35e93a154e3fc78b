import Hummingbird
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `GET|HEAD|PUT /v1/blocks/{cid}`, `GET /v1/blocks/{cid}/stat`.
extension StorageNode {
    /// Largest block accepted by PUT (Bitswap's limit).
    static let maximumBlockSize = 2 << 20

    func addBlockRoutes(to router: Router<ServiceRequestContext>) {
        for head in [false, true] {
            router.on("/v1/blocks/:cid", method: head ? .head : .get) { request, context in
                try await handle {
                    let cid = try context.cidParameter()
                    try await self.authorizeRead(try ReadQuery(request), context: context, root: cid, path: "")
                    let bytes = self.served(try await self.reader(under: cid).block(cid))
                    let headers: HTTPFields = [
                        .contentType: "application/vnd.ipld.raw", .eTag: "\"\(cid.string).raw\"",
                        .cacheControl: "public, max-age=29030400, immutable", .contentLength: "\(bytes.count)",
                    ]
                    return Response(status: .ok, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: bytes)))
                }
            }
        }
        router.get("/v1/blocks/:cid/stat") { request, context in
            try await handle {
                let cid = try context.cidParameter()
                try await self.authorizeRead(try ReadQuery(request), context: context, root: cid, path: "")
                guard let record = try await self.metadata.block(cid) else {
                    throw StorageError.notFound("block \(cid) is not stored on this node")
                }
                return try jsonResponse(BlockStat(cid: cid.string, size: record.size, storedSize: record.storedSize,
                                                  compression: record.encoding.name))
            }
        }
        router.put("/v1/blocks/:cid") { request, context in
            try await handle {
                try context.require(.write)
                return try await self.putBlock(request, context: context)
            }
        }
    }

    /// Stores the body as the block `cid` names, after checking that it hashes to it (the
    /// public PUT, and the LoRa bridge's internal one for blocks fetched over radio).
    func putBlock(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let cid = try context.cidParameter()
        guard cid.multihash.code == 0x12 else {
            throw StorageError.invalidCID("only sha2-256 CIDs can be stored")
        }
        var body = ByteBuffer()
        for try await part in request.body {
            guard body.readableBytes + part.readableBytes <= Self.maximumBlockSize else {
                throw StorageError.tooLarge("blocks are limited to \(Self.maximumBlockSize) bytes")
            }
            body.writeImmutableBuffer(part)
        }
        let bytes = Array(body.readableBytesView)
        guard await self.executors.compute.run({ cid.verifies(bytes) }) else {
            throw StorageError.hashMismatch("the body does not hash to \(cid); nothing was stored")
        }
        let block = Block(cid: cid, bytes: bytes)
        var session = BlockWriteSession(blockStore: self.blockStore, guardian: self.guardian)
        do {
            try await session.add(block)
            try await session.commit(metadata: self.metadata) { _ in }
        } catch {
            await session.abort()
            throw error
        }
        let record = try await self.metadata.block(cid)
        return try jsonResponse(BlockStat(cid: cid.string, size: bytes.count, storedSize: record?.storedSize ?? bytes.count,
                                          compression: record?.encoding.name ?? "none"), status: .created)
    }
}
