import Metrics

/// The storage service's own Prometheus series (`/metrics`, beside Hummingbird's request metrics).
enum StorageMetrics {
    static let ingestedBytes = Counter(label: "pakit_storage_ingested_bytes_total")
    static let blocksWritten = Counter(label: "pakit_storage_blocks_written_total")
    static let blocksDeduplicated = Counter(label: "pakit_storage_blocks_deduplicated_total")
    static let groupSyncs = Counter(label: "pakit_storage_group_syncs_total")
    static let gcRemovedBlocks = Counter(label: "pakit_storage_gc_removed_blocks_total")
    static let sealsDone = Counter(label: "pakit_storage_proof_jobs_total", dimensions: [("kind", "seal"), ("outcome", "done")])
    static let sealsFailed = Counter(label: "pakit_storage_proof_jobs_total", dimensions: [("kind", "seal"), ("outcome", "failed")])
    static let proofsDone = Counter(label: "pakit_storage_proof_jobs_total", dimensions: [("kind", "prove"), ("outcome", "done")])
    static let proofsFailed = Counter(label: "pakit_storage_proof_jobs_total", dimensions: [("kind", "prove"), ("outcome", "failed")])
    static let proverAttemptsFailed = Counter(label: "pakit_storage_prover_attempts_failed_total")
}

/// The remote-fetch series in `/metrics`.
enum RemoteMetrics {
    static let blocksFromPeers = Counter(label: "pakit_storage_remote_blocks_total", dimensions: [("source", "peer")])
    static let blocksFromUpstream = Counter(label: "pakit_storage_remote_blocks_total", dimensions: [("source", "upstream")])
    static let bytesFetched = Counter(label: "pakit_storage_remote_bytes_total")
    static let badBlocks = Counter(label: "pakit_storage_remote_bad_blocks_total")
    static let missingBlocks = Counter(label: "pakit_storage_remote_missing_blocks_total")
    static let timedOut = Counter(label: "pakit_storage_remote_timeouts_total")
    /// Whole-DAG fetches as one CAR from a peer, by how they ended.
    static let dagsComplete = Counter(label: "pakit_storage_remote_dag_fetches_total", dimensions: [("outcome", "complete")])
    static let dagsRefused = Counter(label: "pakit_storage_remote_dag_fetches_total", dimensions: [("outcome", "refused")])
    static let dagsFailed = Counter(label: "pakit_storage_remote_dag_fetches_total", dimensions: [("outcome", "failed")])
    static let blocksFromPeerCARs = Counter(label: "pakit_storage_remote_blocks_total", dimensions: [("source", "peer-car")])

    static func fetched(_ source: RemoteBlocks.Source, bytes: Int) {
        switch source {
        case .peer: blocksFromPeers.increment()
        case .upstream: blocksFromUpstream.increment()
        }
        bytesFetched.increment(by: Int64(bytes))
    }
}
