import Metrics
import PakitObservability
import Prometheus

/// The prover's own Prometheus series (`/metrics`, beside Hummingbird's request metrics).
enum ProverMetrics {
    /// Outcomes of `POST /v1/prove`: ok, invalid (400/404), unsatisfied (422), busy or
    /// not_ready (503), failed (500).
    static func proof(circuit: String, outcome: String) {
        Counter(label: "pakit_prover_proofs_total", dimensions: [("circuit", circuit), ("outcome", outcome)]).increment()
    }

    /// Wall time of successful proofs (witness + Groth16 + self-check), per circuit. Buckets
    /// reach 5 minutes because a 100-chunk batch proof takes tens of seconds on two cores.
    static func proving(circuit: String, seconds duration: Duration) {
        MetricsBootstrap.registry.makeDurationHistogram(
            descriptor: provingDescriptor, labels: [("circuit", circuit)],
            buckets: [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
                      .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300)]
        ).record(duration)
    }

    private static var provingDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "pakit", subsystem: "prover", metricName: "proving", unitName: "seconds",
                             helpText: "Wall time of successful proofs (witness, Groth16, self-check)")
    }

    /// Proof requests admitted and waiting for a slot.
    static let queueDepth = Gauge(label: "pakit_prover_queue_depth")
    /// Proofs being computed.
    static let proofsInProgress = Gauge(label: "pakit_prover_proofs_in_progress")
    /// Content bytes sealed into commitment trees.
    static let sealBytes = Counter(label: "pakit_prover_seal_bytes_total")
    /// Verifications answered, by result.
    static func verification(valid: Bool) {
        Counter(label: "pakit_prover_verifications_total", dimensions: [("valid", valid ? "true" : "false")]).increment()
    }
}
