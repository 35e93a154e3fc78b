import Metrics
import PakitContracts

/// The gateway's own Prometheus series (`/metrics`, beside the request metrics), refreshed from
/// the membership's counters once a second.
enum MeshMetrics {
    static let alive = Gauge(label: "pakit_mesh_members", dimensions: [("status", "alive")])
    static let suspect = Gauge(label: "pakit_mesh_members", dimensions: [("status", "suspect")])
    static let dead = Gauge(label: "pakit_mesh_members", dimensions: [("status", "dead")])
    static let left = Gauge(label: "pakit_mesh_members", dimensions: [("status", "left")])
    static let healthMultiplier = Gauge(label: "pakit_mesh_health_multiplier")
    static let incarnation = Gauge(label: "pakit_mesh_incarnation")
    static let broadcastQueue = Gauge(label: "pakit_mesh_broadcast_queue")
    static let graylistedSources = Gauge(label: "pakit_mesh_graylisted_sources")
    /// Totals since start, exported as gauges of the running counts (the membership owns them).
    static let rejectedPackets = Gauge(label: "pakit_mesh_rejected_packets")
    static let invalidUpdates = Gauge(label: "pakit_mesh_invalid_updates")
    static let refutations = Gauge(label: "pakit_mesh_refutations")
    static let deathsRecorded = Gauge(label: "pakit_mesh_deaths_recorded")
    static let sendFailures = Gauge(label: "pakit_mesh_send_failures")
    static let meshDegree = Gauge(label: "pakit_mesh_gossip_degree")
    static let gossipGraylisted = Gauge(label: "pakit_mesh_gossip_graylisted_peers")
    static let announcementsAccepted = Gauge(label: "pakit_mesh_announcements", dimensions: [("result", "accepted")])
    static let announcementsRejected = Gauge(label: "pakit_mesh_announcements", dimensions: [("result", "rejected")])
    static let announcementsDuplicate = Gauge(label: "pakit_mesh_announcements", dimensions: [("result", "duplicate")])
    static let payloadSends = Gauge(label: "pakit_mesh_gossip_payload_sends")

    static func record(_ health: MeshHealth) {
        alive.record(health.alive)
        suspect.record(health.suspect)
        dead.record(health.dead)
        left.record(health.left)
        healthMultiplier.record(health.healthMultiplier)
        incarnation.record(Double(health.incarnation))
        broadcastQueue.record(health.broadcastQueue)
        graylistedSources.record(health.graylistedSources)
        rejectedPackets.record(health.rejectedPackets)
        invalidUpdates.record(health.invalidUpdates)
        refutations.record(health.refutations)
        deathsRecorded.record(health.deathsRecorded)
        sendFailures.record(health.sendFailures)
        meshDegree.record(health.gossip.meshDegree)
        gossipGraylisted.record(health.gossip.graylistedPeers)
        announcementsAccepted.record(health.gossip.accepted)
        announcementsRejected.record(health.gossip.rejected)
        announcementsDuplicate.record(health.gossip.duplicates)
        payloadSends.record(health.gossip.payloadSends)
    }
}
