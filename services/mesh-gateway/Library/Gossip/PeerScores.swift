/// The counters behind one peer's gossipsub score (`PeerScoreSettings`), kept while the peer is
/// connected and for `retainScore` after it leaves.
struct ScoreCounters {
    var ip: String
    /// Set while the peer is in this node's mesh.
    var meshSince: UInt64?
    var firstDeliveries = 0.0
    var meshDeliveries = 0.0
    var meshFailurePenalty = 0.0
    var invalidMessages = 0.0
    var application = 0.0
    var behaviourPenalty = 0.0
    /// Set once the peer is no longer connected: forgotten after this.
    var retainUntil: UInt64?

    init(ip: String) { self.ip = ip }

    /// One decay interval: each counter shrinks by its factor; small ones become zero.
    mutating func decay(_ settings: PeerScoreSettings) {
        func decayed(_ value: Double, _ factor: Double) -> Double {
            let next = value * factor
            return abs(next) < settings.decayToZero ? 0 : next
        }
        firstDeliveries = decayed(firstDeliveries, settings.firstDeliveryDecay)
        meshDeliveries = decayed(meshDeliveries, settings.meshDeliveryDecay)
        meshFailurePenalty = decayed(meshFailurePenalty, settings.meshFailureDecay)
        invalidMessages = decayed(invalidMessages, settings.invalidMessageDecay)
        application = decayed(application, settings.applicationDecay)
        behaviourPenalty = decayed(behaviourPenalty, settings.behaviourPenaltyDecay)
    }

    var isZero: Bool {
        firstDeliveries == 0 && meshDeliveries == 0 && meshFailurePenalty == 0 && invalidMessages == 0 && application == 0
            && behaviourPenalty == 0
    }

    /// The mesh delivery deficit (P3's base) once the peer has been in the mesh long enough.
    func meshDeficit(now: UInt64, threshold: Double, _ settings: PeerScoreSettings) -> Double {
        guard let since = meshSince, now >= since, now - since >= settings.meshDeliveryActivation, meshDeliveries < threshold else { return 0 }
        return threshold - meshDeliveries
    }

    /// The score; `colocated` is how many connected peers share this peer's IP, `threshold`
    /// the mesh delivery threshold in force.
    func score(now: UInt64, colocated: Int, threshold: Double, _ settings: PeerScoreSettings) -> Double {
        var total = 0.0
        if let since = meshSince, now >= since {
            let quanta = Double(now - since) / Double(max(1, settings.timeInMeshQuantum))
            total += settings.timeInMeshWeight * min(quanta, settings.timeInMeshCap)
        }
        let deficit = meshDeficit(now: now, threshold: threshold, settings)
        total += settings.meshDeliveryWeight * deficit * deficit
        total += settings.firstDeliveryWeight * min(firstDeliveries, settings.firstDeliveryCap)
        total += settings.meshFailureWeight * meshFailurePenalty
        total += settings.invalidMessageWeight * invalidMessages * invalidMessages
        total += settings.applicationWeight * application
        if colocated > settings.ipColocationThreshold {
            let surplus = Double(colocated - settings.ipColocationThreshold)
            total += settings.ipColocationWeight * surplus * surplus
        }
        if behaviourPenalty > settings.behaviourPenaltyThreshold {
            let excess = behaviourPenalty - settings.behaviourPenaltyThreshold
            total += settings.behaviourPenaltyWeight * excess * excess
        }
        return total
    }
}
