import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `GET /v1/radio`, `GET /v1/lora/peers`, `GET /v1/lora/providers/{cid}`, `POST /v1/lora/fetch`,
/// `GET /v1/lora/transfers[/{id}]`, `POST /v1/lora/broadcast`, `GET /v1/lora/alerts`,
/// `POST /v1/lora/mesh/register`, `POST /v1/lora/mesh/transactions`, `GET /v1/lora/chain-queue`.
/// Every route needs the node CA's mutual TLS; fetching needs the operator or storage,
/// broadcasting and Mesh-pallet calls the operator.
extension LoRaBridgeNode {
    static let fetchers: CallerPolicy = .only(.operator, .service(.storage))
    static let broadcasters: CallerPolicy = .only(.operator)

    func addRadioRoutes(to router: Router<ServiceRequestContext>) {
        let readers = router.group().add(middleware: RequireCallerMiddleware(.anyCaller))
        readers.get("/v1/radio") { _, _ in
            try jsonResponse(await self.bridge.status())
        }
        readers.get("/v1/lora/peers") { _, _ in
            try jsonResponse(LoRaPeerList(peers: await self.bridge.peers()))
        }
        readers.get("/v1/lora/transfers/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id.utf8.count <= 64, let transfer = await self.bridge.transfer(id) else {
                throw ServiceError.notFound("no transfer '\(id.prefix(80))'")
            }
            return try jsonResponse(transfer)
        }
        readers.get("/v1/lora/transfers") { _, _ in
            try jsonResponse(await self.bridge.allTransfers())
        }
        readers.get("/v1/lora/providers/:cid") { _, context in
            let text = context.parameters.get("cid") ?? ""
            guard text.utf8.count <= 200, let cid = try? CID(text) else {
                throw ServiceError.badRequest("invalid_cid", "'\(text.prefix(120))' is not a CID")
            }
            return try jsonResponse(LoRaPeerList(peers: await self.bridge.providerPeers(of: cid)))
        }
        readers.get("/v1/lora/alerts") { _, _ in
            try jsonResponse(LoRaAlertList(alerts: await self.bridge.allAlerts()))
        }
        readers.get("/v1/lora/chain-queue") { _, _ in
            switch await self.chainQueue() {
            case .success(let queue): return try jsonResponse(queue)
            case .failure(let error): throw Self.serviceError(error)
            }
        }

        let broadcasters = router.group().add(middleware: RequireCallerMiddleware(Self.broadcasters))
        broadcasters.post("/v1/lora/mesh/register") { request, _ in
            let registration: LoRaMeshRegistration = try await Self.decodeBody(request, shape: "{\"latitude\": …, \"longitude\": …, \"district\": 0…5, …}")
            switch await self.register(registration) {
            case .success(let entry): return try jsonResponse(entry, status: .accepted)
            case .failure(let error): throw Self.serviceError(error)
            }
        }
        broadcasters.post("/v1/lora/mesh/transactions") { request, _ in
            let transaction: LoRaMeshTransactionRequest = try await Self.decodeBody(
                request, shape: "{\"txHash\": …, \"txType\": 0…4, \"sender\": …, \"recipient\": …, \"amount\": …, \"nonce\": …, \"signatureHash\": …, \"gateway\": …}")
            var gateway: UInt32?
            if let text = transaction.gateway {
                guard let number = LoRaNodeText.parse(text) else {
                    throw ServiceError.badRequest("invalid_peer", "'\(text.prefix(40))' is not a node number or !%08x id")
                }
                gateway = number
            }
            switch await self.submit(transaction, gateway: gateway) {
            case .success(let entry): return try jsonResponse(entry, status: .accepted)
            case .failure(let error): throw Self.serviceError(error)
            }
        }
        broadcasters.post("/v1/lora/broadcast") { request, _ in
            let body = try await request.body.collect(upTo: 16 << 10)
            let broadcast: LoRaBroadcastRequest
            do {
                broadcast = try JSONDecoder().decode(LoRaBroadcastRequest.self, from: Data(body.readableBytesView))
            } catch {
                throw ServiceError.badRequest("invalid_request", "the body is not {\"message\": \"…\", \"severity\": 0…4 (optional)}")
            }
            switch await self.issueAlert(broadcast) {
            case .success(let alert): return try jsonResponse(alert, status: .accepted)
            case .failure(let error): throw Self.serviceError(error)
            }
        }

        let fetchers = router.group().add(middleware: RequireCallerMiddleware(Self.fetchers))
        fetchers.post("/v1/lora/fetch") { request, _ in
            let body = try await request.body.collect(upTo: 16 << 10)
            let fetch: LoRaFetchRequest
            do {
                fetch = try JSONDecoder().decode(LoRaFetchRequest.self, from: Data(body.readableBytesView))
            } catch {
                throw ServiceError.badRequest("invalid_request", "the body is not {\"cid\": \"…\", \"peer\": \"!1234abcd\" (optional)}")
            }
            let cid: CID
            do { cid = try CID(fetch.cid) } catch {
                throw ServiceError.badRequest("invalid_cid", "'\(fetch.cid.prefix(120))' is not a CID")
            }
            // Only what can be checked on arrival is fetched: storage verifies and keeps sha2-256 blocks.
            guard cid.multihash.code == 0x12 else {
                throw ServiceError.badRequest("invalid_cid", "only sha2-256 CIDs can be fetched over LoRa (the block is checked against it)")
            }
            var peer: UInt32?
            if let text = fetch.peer {
                guard let number = LoRaNodeText.parse(text) else {
                    throw ServiceError.badRequest("invalid_peer", "'\(text.prefix(40))' is not a node number or !%08x id")
                }
                peer = number
            }
            switch await self.startFetch(cid, from: peer) {
            case .success(let transfer):
                return try jsonResponse(transfer, status: .accepted)
            case .failure(let error):
                throw Self.serviceError(error)
            }
        }
    }

    static func serviceError(_ error: BridgeError) -> ServiceError {
        switch error {
        case .radioUnavailable: ServiceError(.serviceUnavailable, "radio_unavailable", error.description)
        case .noPeer, .unknownPeer, .peerKeyUnknown: ServiceError(.conflict, "peer_unreachable", error.description)
        case .invalid: ServiceError.badRequest("invalid_request", error.description)
        case .notFound: ServiceError.notFound(error.description)
        case .unavailable: ServiceError(.serviceUnavailable, "unavailable", error.description)
        }
    }

    /// Typed errors survive here; inside a route closure a catch sees `any Error`.
    private func startFetch(_ cid: CID, from peer: UInt32?) async -> Result<LoRaTransfer, BridgeError> {
        do { return .success(try await bridge.startFetch(cid, from: peer)) } catch { return .failure(error) }
    }

    private func register(_ registration: LoRaMeshRegistration) async -> Result<LoRaChainQueueEntry, BridgeError> {
        do { return .success(try await meshQueue.register(registration)) } catch { return .failure(error) }
    }

    private func submit(_ transaction: LoRaMeshTransactionRequest, gateway: UInt32?) async -> Result<LoRaChainQueueEntry, BridgeError> {
        do { return .success(try await meshQueue.submit(transaction, gateway: gateway)) } catch { return .failure(error) }
    }

    private func chainQueue() async -> Result<LoRaChainQueue, BridgeError> {
        do { return .success(try await meshQueue.queue()) } catch { return .failure(error) }
    }

    /// A JSON body of at most 16 KiB, or 400 naming the expected shape.
    static func decodeBody<T: Decodable>(_ request: Request, shape: String) async throws -> T {
        let body = try await request.body.collect(upTo: 16 << 10)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw ServiceError.badRequest("invalid_request", "the body is not \(shape)")
        }
    }

    private func issueAlert(_ request: LoRaBroadcastRequest) async -> Result<LoRaAlert, BridgeError> {
        do { return .success(try await bridge.issueAlert(message: request.message, severity: request.severity ?? 2)) } catch { return .failure(error) }
    }
}
