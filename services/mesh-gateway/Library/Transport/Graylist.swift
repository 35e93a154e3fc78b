import Synchronization

/// Source addresses whose datagrams keep failing to decode or verify: past `threshold` strikes
/// within `window` seconds, a source's datagrams are dropped unread for `duration` seconds —
/// before the rate limiter's and signature checks' cost (gossipsub's graylist, by address here
/// because a packet that fails its signature names no trustworthy sender).
final class Graylist: Sendable {
    private struct Entry {
        var strikes: Int
        var windowStart: Double
        var until: Double
    }

    let threshold: Int
    let window: Double
    let duration: Double
    private let entries = Mutex<[String: Entry]>([:])
    /// Sources tracked at most (the oldest are forgotten first when a flood of addresses arrives).
    static let maximumSources = 10_000

    init(threshold: Int = 20, window: Double = 10, duration: Double = 60) {
        self.threshold = threshold
        self.window = window
        self.duration = duration
    }

    func isGraylisted(_ source: String, now: Double) -> Bool {
        entries.withLock { ($0[source]?.until ?? 0) > now }
    }

    /// One failure from `source`; true when it is now graylisted.
    @discardableResult
    func strike(_ source: String, now: Double) -> Bool {
        entries.withLock { entries in
            if entries.count >= Self.maximumSources, entries[source] == nil {
                // Forget the entries that are neither graylisted nor recent.
                entries = entries.filter { $0.value.until > now || now - $0.value.windowStart < window }
                if entries.count >= Self.maximumSources { entries.removeAll() }
            }
            var entry = entries[source] ?? Entry(strikes: 0, windowStart: now, until: 0)
            if now - entry.windowStart > window {
                entry.strikes = 0
                entry.windowStart = now
            }
            entry.strikes += 1
            if entry.strikes >= threshold { entry.until = now + duration }
            entries[source] = entry
            return entry.until > now
        }
    }

    /// Sources graylisted right now.
    func count(now: Double) -> Int {
        entries.withLock { $0.values.count { $0.until > now } }
    }
}
