import Foundation
import Hummingbird
import PakitChain
import PakitContracts
import PakitCore
import PakitHTTPServer

/// `POST /internal/v1/submissions`, `GET /v1/submissions/{id}`, `GET /v1/submissions?state=&caller=&call=&key=&limit=`,
/// `GET /v1/chain`, `GET /v1/payments`. Every route needs the node CA's mutual TLS; submitting needs a caller the
/// relay serves (storage, lora-bridge, the operator).
extension ChainRelayNode {
    static let submitters: CallerPolicy = .only(.service(.storage), .service(.loraBridge), .operator)

    func addSubmissionRoutes(to router: Router<ServiceRequestContext>) {
        let submitters = router.group().add(middleware: RequireCallerMiddleware(Self.submitters))
        submitters.post("/internal/v1/submissions") { request, context in
            let body = try await request.body.collect(upTo: 64 << 10)
            let submission: SubmissionRequest
            do {
                submission = try JSONDecoder().decode(SubmissionRequest.self, from: Data(body.readableBytesView))
            } catch let DecodingError.dataCorrupted(details) {
                throw ServiceError.badRequest("invalid_request", details.debugDescription)
            } catch {
                throw ServiceError.badRequest("invalid_request", "the body is not {\"idempotencyKey\": …, \"call\": {\"call\": \"Pallet.call\", \"args\": {…}}}")
            }
            try Self.checkKey(submission.idempotencyKey)
            let callBytes: [UInt8]
            do {
                callBytes = try CallEncoding.encode(submission.call)
            } catch let error as ChainError {
                throw ServiceError.badRequest("invalid_call", "\(submission.call.name): \(error.message)")
            }
            let caller = context.caller?.name ?? "unknown"
            let stored: (record: SubmissionRecord, created: Bool)
            do {
                stored = try await self.store.insert(submission, caller: caller, callBytes: callBytes)
            } catch OutboxError.keyReused(let existing) {
                throw ServiceError(.conflict, "idempotency_key_reused", "the key '\(submission.idempotencyKey)' names submission \(existing), of another call")
            } catch OutboxError.database(let error) {
                throw ServiceError(.serviceUnavailable, "database", "\(error)")
            }
            if stored.created {
                self.logger.info("submission queued", metadata: ["id": "\(stored.record.id)", "call": "\(submission.call.name)", "caller": "\(caller)"])
                self.pipeline?.wake.signal()
            }
            return try jsonResponse(stored.record, status: stored.created ? .accepted : .ok)
        }

        let readers = router.group().add(middleware: RequireCallerMiddleware(.anyCaller))
        readers.get("/v1/submissions/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id.utf8.count <= 64, let record = try await self.store.record(id: id) else {
                throw ServiceError.notFound("no submission '\(id.prefix(80))'")
            }
            return try jsonResponse(record)
        }
        readers.get("/v1/submissions") { request, _ in
            let query = request.uri.queryParameters
            var state: SubmissionState?
            if let text = query["state"].map(String.init) {
                guard let parsed = SubmissionState(rawValue: text) else {
                    throw ServiceError.badRequest("invalid_state", "state is one of \(SubmissionState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            var limit = 100
            if let text = query["limit"].map(String.init) {
                guard let value = Int(text), (1...1000).contains(value) else { throw ServiceError.badRequest("invalid_limit", "limit is 1…1000") }
                limit = value
            }
            let caller = query["caller"].map(String.init)
            let call = query["call"].map(String.init)
            let key = query["key"].map(String.init)
            guard (caller?.utf8.count ?? 0) <= 128, (call?.utf8.count ?? 0) <= 128, (key?.utf8.count ?? 0) <= 128 else {
                throw ServiceError.badRequest("invalid_filter", "caller, call and key are at most 128 bytes")
            }
            return try jsonResponse(SubmissionListResponse(submissions: try await self.store.list(
                state: state, caller: caller, callName: call, idempotencyKey: key, limit: limit)))
        }
        readers.get("/v1/payments") { request, _ in
            let query = request.uri.queryParameters
            var limit = 100
            if let text = query["limit"].map(String.init) {
                guard let value = Int(text), (1...1000).contains(value) else { throw ServiceError.badRequest("invalid_limit", "limit is 1…1000") }
                limit = value
            }
            var after: (block: UInt32, event: UInt32)?
            if let text = query["after"].map(String.init) {
                let parts = text.split(separator: ":")
                guard parts.count == 2, let block = UInt32(parts[0]), let event = UInt32(parts[1]) else {
                    throw ServiceError.badRequest("invalid_cursor", "after is a payment id, <block>:<event>")
                }
                after = (block, event)
            }
            var payer: String?
            if let text = query["payer"].map(String.init) {
                do {
                    payer = SS58.encode(try CallEncoding.account(text))
                } catch {
                    throw ServiceError.badRequest("invalid_payer", "payer is an SS58 address (prefix 1981) or a 32-byte hex account id")
                }
            }
            let payments = try await self.store.payments(payer: payer, after: after, limit: limit)
            var totals: [String: String]?
            if let payer { totals = try await self.store.paymentTotals(payer: payer) }
            return try jsonResponse(PaymentListResponse(payments: payments, totals: totals))
        }
        readers.get("/v1/chain") { _, _ in
            try jsonResponse(try await self.chainStatus())
        }
    }

    static func checkKey(_ key: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-".utf8)
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy(allowed.contains) else {
            throw ServiceError.badRequest("invalid_idempotency_key", "idempotencyKey is 1…128 characters of A-Z a-z 0-9 . _ : / -")
        }
    }

    func chainStatus() async throws -> RelayChainStatus {
        let counts = try await store.counts()
        let nextNonce = try await store.nextNonce
        let checkpoint = try await store.checkpoint
        let account = signer.accountID
        guard let pipeline else {
            return RelayChainStatus(node: "", connected: false, refusal: nil, genesisHash: try await store.value("genesis"), specName: nil,
                                    specVersion: nil, transactionVersion: nil, finalizedNumber: nil, checkpointNumber: checkpoint?.number,
                                    account: SS58.encode(account), accountHex: Hex.prefixed(account), chainNonce: nil, nextNonce: nextNonce, counts: counts)
        }
        let snapshot = await pipeline.snapshot()
        return RelayChainStatus(node: Self.redacted(pipeline.node.rpc.url), connected: await pipeline.node.rpc.isConnected, refusal: snapshot.refusal,
                                genesisHash: try await store.value("genesis"), specName: snapshot.runtime?.specName,
                                specVersion: snapshot.runtime?.specVersion, transactionVersion: snapshot.runtime?.transactionVersion,
                                finalizedNumber: snapshot.finalized, checkpointNumber: checkpoint?.number, account: SS58.encode(account),
                                accountHex: Hex.prefixed(account), chainNonce: snapshot.chainNonce, nextNonce: nextNonce, counts: counts)
    }

    /// A URL without user information (an RPC provider's key may sit there).
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "" }
        components.user = nil
        components.password = nil
        return components.string ?? ""
    }
}
