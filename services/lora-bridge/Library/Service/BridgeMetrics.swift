import Metrics

/// The bridge's own Prometheus series (`/metrics`, beside Hummingbird's request metrics).
enum BridgeMetrics {
    /// Pakit frames heard on PRIVATE_APP, and those that did not decode.
    static let framesReceived = Counter(label: "pakit_lora_frames_received_total")
    static let malformedFrames = Counter(label: "pakit_lora_frames_malformed_total")
    /// Fetch requests answered, and fragments sent in answer.
    static let requestsServed = Counter(label: "pakit_lora_requests_served_total")
    static let fragmentsSent = Counter(label: "pakit_lora_fragments_sent_total")
    /// Answers instead of fragments: a refusal (not found, too large, …) or busy (duty cycle spent).
    static let refusalsSent = Counter(label: "pakit_lora_refusals_sent_total")
    static let busyAnswers = Counter(label: "pakit_lora_busy_answers_total")
    /// Sends that waited for the duty cycle, and sends the device refused anyway.
    static let dutyCycleWaits = Counter(label: "pakit_lora_duty_cycle_waits_total")
    static let deviceRefusals = Counter(label: "pakit_lora_device_refusals_total")
    /// Index announcements (updates and heartbeats) and whole-index snapshots broadcast.
    static let indexUpdatesSent = Counter(label: "pakit_lora_index_updates_sent_total")
    static let indexSnapshotsSent = Counter(label: "pakit_lora_index_snapshots_sent_total")
    /// Emergency alert transmissions of this node's own alerts; alerts heard with a valid
    /// signature, and those dropped for a bad one.
    static let alertTransmissions = Counter(label: "pakit_lora_alert_transmissions_total")
    static let alertsReceived = Counter(label: "pakit_lora_alerts_received_total")
    static let alertsRejected = Counter(label: "pakit_lora_alerts_rejected_total")
    /// Alerts heard and broadcast once more to this node's neighbours.
    static let alertRelays = Counter(label: "pakit_lora_alert_relays_total")
    /// Mesh-pallet transactions heard from off-grid nodes, and calls the chain relay took.
    static let meshTransactionsHeard = Counter(label: "pakit_lora_mesh_transactions_heard_total")
    static let chainCallsHanded = Counter(label: "pakit_lora_chain_calls_handed_total")
    /// Mesh transactions heard over the hourly limits and left unanswered.
    static let meshTransactionsLimited = Counter(label: "pakit_lora_mesh_transactions_limited_total")
    /// Bulk sends held back five seconds, and fetch requests answered `busy` for a minute, while
    /// others kept the channel at or above 25 %.
    static let busyChannelDeferrals = Counter(label: "pakit_lora_busy_channel_deferrals_total")
}
