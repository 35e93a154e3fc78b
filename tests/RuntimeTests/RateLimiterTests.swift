import PakitHTTPServer
import Synchronization
import Testing

/// The per-client token buckets, on a clock the test moves by hand.
@Suite("Rate limiter")
struct RateLimiterTests {
    final class ManualClock: Sendable {
        let seconds = Mutex<Double>(1_000)
        func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    }

    @Test("a client spends its burst, waits for refill, and never affects another client")
    func bucketsPerClient() throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 2, burst: 4, clock: { clock.seconds.withLock { $0 } })
        for request in 1...4 { #expect(limiter.acquire("a").allowed, "request \(request) of the burst") }
        let refused = limiter.acquire("a")
        #expect(!refused.allowed && refused.retryAfterSeconds == 1, "past the burst: \(refused)")
        #expect(limiter.acquire("b").allowed, "another client has its own bucket")
        clock.advance(0.5)  // one token back at 2 per second
        #expect(limiter.acquire("a").allowed)
        #expect(!limiter.acquire("a").allowed)
        clock.advance(60)  // refills only up to the burst
        for _ in 1...4 { #expect(limiter.acquire("a").allowed) }
        #expect(!limiter.acquire("a").allowed)

        // check() answers 429 rate_limited with Retry-After.
        do {
            try limiter.check("a", what: "verify")
            Issue.record("an empty bucket let a request through")
        } catch {
            #expect(error.status == .tooManyRequests && error.code == "rate_limited" && error.headers[.retryAfter] == "1")
        }
    }

    @Test("the key table stays bounded: full buckets are forgotten first, then the fullest")
    func boundedKeys() {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 1, burst: 2, maximumKeys: 3, clock: { clock.seconds.withLock { $0 } })
        for key in ["a", "a", "b", "c"] { #expect(limiter.acquire(key).allowed) }
        #expect(!limiter.acquire("a").allowed)
        clock.advance(0.4)
        #expect(limiter.acquire("d").allowed, "a new client when the table is full")
        // "a" has the emptiest bucket: "b" or "c" went, and "a" stays limited.
        #expect(!limiter.acquire("a").allowed, "eviction must not hand a limited client a fresh bucket")
    }
}
