import Metrics

/// The relay's own Prometheus series (`/metrics`, beside Hummingbird's request metrics).
enum RelayMetrics {
    /// Submissions settled, by how: finalized, failed in a block (a dispatch error), or refused
    /// by the node before inclusion.
    static let finalized = Counter(label: "pakit_chain_relay_submissions_total", dimensions: [("outcome", "finalized")])
    static let failedInBlock = Counter(label: "pakit_chain_relay_submissions_total", dimensions: [("outcome", "failed")])
    static let refused = Counter(label: "pakit_chain_relay_submissions_total", dimensions: [("outcome", "refused")])
    /// Signings: a first one, or again with the same nonce (a fresh era, a new runtime).
    static let signed = Counter(label: "pakit_chain_relay_signings_total", dimensions: [("reason", "new")])
    static let resigned = Counter(label: "pakit_chain_relay_signings_total", dimensions: [("reason", "again")])
    /// Sends of the same bytes again (the pool lacked them).
    static let resent = Counter(label: "pakit_chain_relay_resends_total")
    /// Nonces filled with a remark because nothing else held them.
    static let fillers = Counter(label: "pakit_chain_relay_nonce_fillers_total")
    /// Nonces given up because the finalized state used them for something else.
    static let requeued = Counter(label: "pakit_chain_relay_requeued_total")
    /// Payments to the relay's account recorded from finalized events.
    static let payments = Counter(label: "pakit_chain_relay_payments_total")
    /// The last finalized block read (the checkpoint).
    static let checkpoint = Gauge(label: "pakit_chain_relay_checkpoint_block")
    /// 1 while the relay refuses the chain (another genesis, an incompatible runtime).
    static let refusing = Gauge(label: "pakit_chain_relay_chain_refused")
}
