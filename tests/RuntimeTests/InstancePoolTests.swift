import PakitHTTPClient
import Testing

@Suite("InstancePool: least outstanding, suspects and back-off")
struct InstancePoolTests {
    @Test("the instance with the fewest requests in flight is chosen, round-robin among equals")
    func leastOutstanding() async throws {
        let pool = InstancePool(urls: ["a", "b", "c"], slotsPerInstance: 2, clock: ManualClock())
        #expect(try await pool.acquire() == "a")
        #expect(try await pool.acquire() == "b")
        #expect(try await pool.acquire() == "c")
        await pool.release("b", outcome: .healthy)
        #expect(try await pool.acquire() == "b", "b had the fewest requests in flight")
        // All have one in flight now: the least recently used goes first.
        #expect(try await pool.acquire() == "a")
        #expect(try await pool.acquire() == "c")
        #expect(await pool.load() == ["a": 2, "b": 1, "c": 2])
    }

    @Test("a failed instance is skipped while suspect, used again after its back-off, which grows")
    func suspectBackoff() async throws {
        let clock = ManualClock()
        let pool = InstancePool(urls: ["a", "b"], initialBackoff: .seconds(1), maximumBackoff: .seconds(30), clock: clock)
        #expect(try await pool.acquire() == "a")
        await pool.release("a", outcome: .failed)
        // Round-robin would pick a (least recently used): it is suspect, so b, twice.
        for _ in 0..<2 {
            #expect(try await pool.acquire() == "b")
            await pool.release("b", outcome: .healthy)
        }
        clock.advance(by: .milliseconds(999))
        #expect(try await pool.acquire() == "b", "a was used before its back-off ended")
        await pool.release("b", outcome: .healthy)
        clock.advance(by: .milliseconds(1))
        #expect(try await pool.acquire() == "a", "a was not probed again after its back-off")
        // The probe fails: the back-off doubles.
        await pool.release("a", outcome: .failed)
        clock.advance(by: .seconds(1))
        #expect(await pool.isSuspect("a"))
        clock.advance(by: .seconds(1))
        #expect(await !pool.isSuspect("a"))
        #expect(try await pool.acquire(excluding: ["b"]) == "a")
        await pool.release("a", outcome: .healthy)
        // Success cleared the failure count: the next back-off is the initial one again.
        _ = try await pool.acquire()
        await pool.release("a", outcome: .failed)
        clock.advance(by: .seconds(1))
        #expect(await !pool.isSuspect("a"))
    }

    @Test("a 503's Retry-After is honoured")
    func retryAfter() async throws {
        let clock = ManualClock()
        let pool = InstancePool(urls: ["a", "b"], clock: clock)
        #expect(try await pool.acquire() == "a")
        await pool.release("a", outcome: .unavailable(retryAfterSeconds: 5))
        clock.advance(by: .seconds(4))
        #expect(await pool.isSuspect("a"))
        #expect(try await pool.acquire() == "b")
        await pool.release("b", outcome: .healthy)
        clock.advance(by: .seconds(1))
        #expect(try await pool.acquire() == "a")
    }

    @Test("a waiting caller is woken by a release, and by the end of a back-off")
    func waitersWake() async throws {
        let clock = ManualClock()
        let pool = InstancePool(urls: ["a"], clock: clock)
        #expect(try await pool.acquire() == "a")
        let waiter = Task { try await pool.acquire() }
        await pool.release("a", outcome: .failed)
        // The slot is free but a is suspect: the waiter gets it only once the back-off ends
        // (the pool's timer sleeps on the manual clock).
        clock.advance(by: .milliseconds(500))
        #expect(try await waiter.value == "a")

        let second = Task { try await pool.acquire() }
        await pool.release("a", outcome: .healthy)
        #expect(try await second.value == "a")
    }

    @Test("markRecovered ends a back-off at once")
    func markRecovered() async throws {
        let pool = InstancePool(urls: ["a", "b"], clock: ManualClock())
        #expect(try await pool.acquire() == "a")
        #expect(try await pool.acquire() == "b")
        await pool.release("a", outcome: .failed)
        #expect(await pool.isSuspect("a"))
        await pool.markRecovered("a")
        // b is busy, so a is the only candidate (the clock never moves: only markRecovered can free it).
        try #require(await !pool.isSuspect("a"))
        #expect(try await pool.acquire() == "a")
    }

    @Test("a cancelled waiter throws CancellationError and takes no slot")
    func cancellation() async throws {
        let pool = InstancePool(urls: ["a"], clock: ManualClock())
        #expect(try await pool.acquire() == "a")
        let waiter = Task { try await pool.acquire() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await pool.release("a", outcome: .healthy)
        #expect(await pool.load() == ["a": 0])
        #expect(try await pool.acquire() == "a")
    }

    @Test("acquire with a timeout gives up when the pool's clock passes it")
    func acquireTimeout() async throws {
        let clock = ManualClock()
        let pool = InstancePool(urls: ["a"], clock: clock)
        _ = try await pool.acquire()
        let waiter = Task { try await pool.acquire(timeout: .seconds(2)) }
        await pool.release("a", outcome: .failed)   // suspect for 500 ms, slot free
        await pool.markRecovered("a")
        #expect(try await waiter.value == "a")
        let late = Task { try await pool.acquire(timeout: .seconds(2)) }
        while await pool.waitingCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(2))
        await #expect(throws: InstancePool<ManualClock>.AcquireTimeout.self) { try await late.value }
    }
}
