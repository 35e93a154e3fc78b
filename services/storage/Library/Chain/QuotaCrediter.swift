import Foundation
import Hummingbird
import Logging
import PakitChain
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer
import PakitSQL
import ServiceLifecycle

/// Credits DALLA payments to the node's relay account as storage quota: every 2 s it reads the
/// relay's payments after the last one credited (`GET /v1/payments?after=`) and credits each
/// once (its id is the primary key of `quota_payments`, written in the same transaction as the
/// payer's total), at `quota-planck-per-mib`. bBZD payments are not credited.
struct QuotaCrediter: Service {
    let relayURL: String
    let client: ServiceClient
    let database: any SQLDatabase
    let planckPerMiB: UInt128
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await creditNextPage() {}
                } catch {
                    logger.warning("crediting payments failed; trying again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// Credits one page; true when a full page came (there may be more).
    func creditNextPage() async throws -> Bool {
        let last = try await database.read("SELECT block_number, event_index FROM quota_payments ORDER BY block_number DESC, event_index DESC LIMIT 1").first
        let after = try last.map { "&after=\(try $0.int("block_number")):\(try $0.int("event_index"))" } ?? ""
        let page: PaymentListResponse = try await client.get("/v1/payments?limit=500\(after)", from: relayURL)
        for payment in page.payments where payment.asset == "DALLA" {
            try await credit(payment)
        }
        return page.payments.count == 500
    }

    func credit(_ payment: PaymentRecord) async throws {
        let parts = payment.id.split(separator: ":")
        guard parts.count == 2, let block = Int64(parts[0]), let event = Int64(parts[1]), let amount = UInt128(payment.amount) else {
            throw StorageError.internalFailure("the relay listed a payment without a proper id or amount: \(payment.id)")
        }
        let (scaled, overflow) = amount.multipliedReportingOverflow(by: 1 << 20)
        let bytes = overflow ? UInt128(Int64.max) : min(scaled / planckPerMiB, UInt128(Int64.max))
        let now = Int64(Date().timeIntervalSince1970)
        try await database.transaction { executor in
            let inserted = try await executor.query(
                """
                INSERT INTO quota_payments (payment_id, block_number, event_index, account, amount, bytes, credited_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id
                """, [.text(payment.id), .integer(block), .integer(event), .text(payment.payer), .text(payment.amount),
                      .integer(Int64(bytes)), .integer(now)])
            guard !inserted.isEmpty else { return }
            let current = try await executor.query("SELECT credited_planck, quota_bytes FROM quota_accounts WHERE account = $1", [.text(payment.payer)]).first
            let planck = (try current.map { UInt128(try $0.text("credited_planck")) ?? 0 } ?? 0)
            let (total, planckOverflow) = planck.addingReportingOverflow(amount)
            let quota = try current.map { try $0.int("quota_bytes") } ?? 0
            let (newQuota, quotaOverflow) = quota.addingReportingOverflow(Int64(bytes))
            try await executor.query(
                """
                INSERT INTO quota_accounts (account, credited_planck, quota_bytes, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (account) DO UPDATE SET credited_planck = excluded.credited_planck, quota_bytes = excluded.quota_bytes, updated_at = excluded.updated_at
                """, [.text(payment.payer), .text(String(planckOverflow ? .max : total)), .integer(quotaOverflow ? .max : newQuota), .integer(now)])
        }
        logger.info("quota credited", metadata: ["account": "\(payment.payer)", "planck": "\(payment.amount)", "bytes": "\(bytes)", "payment": "\(payment.id)"])
    }
}

/// `GET /v1/quotas/{account}`.
extension StorageNode {
    func addQuotaRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/quotas/:account") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let text = context.parameters.get("account") ?? ""
                let account: String
                if let bytes = Hex.decode(text), bytes.count == 32 {
                    account = SS58.encode(bytes)
                } else if text.utf8.count <= 64, let bytes = try? SS58.decode(text) {
                    account = SS58.encode(bytes)
                } else {
                    throw StorageError.invalidParameter("'\(text.prefix(80))' is neither an SS58 address (prefix 1981) nor a 32-byte hex account id")
                }
                let row = try await self.database.read("SELECT credited_planck, quota_bytes FROM quota_accounts WHERE account = $1", [.text(account)]).first
                let payments = try await self.database.read("SELECT COUNT(*) AS n FROM quota_payments WHERE account = $1", [.text(account)]).first
                return try jsonResponse(QuotaRecord(account: account, creditedPlanck: try row.map { try $0.text("credited_planck") } ?? "0",
                                                    quotaBytes: UInt64(max(0, try row.map { try $0.int("quota_bytes") } ?? 0)),
                                                    payments: Int(try payments.map { try $0.int("n") } ?? 0)))
            }
        }
    }
}
