import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// Token buckets per client: each key may spend `burst` requests at once and regains `rate`
/// per second. Keys are bounded (`maximumKeys`): when full, buckets that have refilled are
/// forgotten first (a full bucket carries no state), then the fullest, so a client that is
/// being limited keeps its empty bucket.
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
        func level(_ bucket: Bucket) -> Double { min(burst, bucket.tokens + (now - bucket.updated) * rate) }
        buckets = buckets.filter { level($0.value) < burst }
        while buckets.count >= maximumKeys, let fullest = buckets.max(by: { level($0.value) < level($1.value) })?.key {
            buckets[fullest] = nil
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
