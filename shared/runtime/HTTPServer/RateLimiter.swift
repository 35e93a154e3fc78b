import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// Token buckets per client: each key may spend `burst` requests at once and regains `rate`
/// per second. Keys are bounded (`maximumKeys`): when full, buckets that have refilled are
/// forgotten first (a full bucket carries no state), then the oldest.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    public let rate: Double
    public let burst: Double
    public let maximumKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> Double

    /// `rate` requests per second, up to `burst` at once, per key.
    public init(rate: Double, burst: Double, maximumKeys: Int = 10_000,
                clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.rate = rate
        self.burst = max(burst, 1)
        self.maximumKeys = maximumKeys
        self.clock = clock
    }

    /// Takes one token for `key`; when none is left, returns the seconds until one is.
    public func acquire(_ key: String) -> (allowed: Bool, retryAfterSeconds: Int) {
        let now = clock()
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[key] == nil, buckets.count >= maximumKeys { evict(&buckets, now: now) }
            buckets[key] = bucket
            let wait = allowed ? 0 : Int(((1 - bucket.tokens) / rate).rounded(.up))
            return (allowed, max(wait, allowed ? 0 : 1))
        }
    }

    /// Throws 429 `rate_limited` with `Retry-After` when `key` has no token left.
    public func check(_ key: String, what: String) throws(ServiceError) {
        let (allowed, wait) = acquire(key)
        guard allowed else {
            var error = ServiceError(.tooManyRequests, "rate_limited", "too many \(what) requests from this client; retry in \(wait) s")
            error.headers[.retryAfter] = "\(wait)"
            throw error
        }
    }

    private func evict(_ buckets: inout [String: Bucket], now: Double) {
        let refill = burst / rate
        buckets = buckets.filter { now - $0.value.updated < refill }
        while buckets.count >= maximumKeys, let oldest = buckets.min(by: { $0.value.updated < $1.value.updated })?.key {
            buckets[oldest] = nil
        }
    }
}

extension ServiceRequestContext {
    /// Who a per-client limit counts against: the bearer token's id when there is one, else the
    /// peer's IP address (over HTTP/2, the connection's).
    public var rateLimitKey: String {
        if let principal { return "token:\(principal.id)" }
        let address = channel.remoteAddress ?? channel.parent?.remoteAddress
        return "ip:\(address?.ipAddress ?? "unknown")"
    }
}
