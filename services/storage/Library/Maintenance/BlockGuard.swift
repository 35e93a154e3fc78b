import PakitConcurrency
import PakitCore
import Synchronization

/// Keeps online GC from deleting blocks that a write in progress relies on.
///
/// A writer protects each block *before* checking whether it is already stored, and releases
/// them after its metadata commit. GC deletes a block (row and file) only while holding the
/// same lock and only when nobody protects it, so "already stored" can never turn false under
/// a writer's feet.
final class BlockGuard: Sendable {
    private struct State {
        var protected: [CID: Int] = [:]
        /// While a collection runs: every block protected at its start or since. A write may
        /// commit and release between GC's mark and its sweep; this remembers it anyway.
        var touched: Set<CID>? = nil
    }
    private let state = Mutex(State())
    let deletionLock = AsyncMutex()
    /// One collection at a time.
    let collectionLock = AsyncMutex()

    func protect(_ cid: CID) {
        let key = cid.v1
        state.withLock { state in
            state.protected[key, default: 0] += 1
            state.touched?.insert(key)
        }
    }

    func beginCollection() {
        state.withLock { $0.touched = Set($0.protected.keys) }
    }

    func endCollection() {
        state.withLock { $0.touched = nil }
    }

    /// True when GC may delete `cid` now (call with `deletionLock` held).
    func mayDelete(_ cid: CID) -> Bool {
        let key = cid.v1
        return state.withLock { $0.protected[key] == nil && !($0.touched?.contains(key) ?? false) }
    }

    func release(_ cids: some Sequence<CID>) {
        state.withLock { state in
            for cid in cids {
                let key = cid.v1
                if let count = state.protected[key] {
                    state.protected[key] = count > 1 ? count - 1 : nil
                }
            }
        }
    }
}

/// The set of blocks one write has protected, released exactly once.
final class ProtectionLease: Sendable {
    private let guardian: BlockGuard
    private let cids = Mutex<[CID]>([])

    init(_ guardian: BlockGuard) { self.guardian = guardian }

    /// Protects `cid`; protection of a block being deleted right now waits for that deletion.
    func protect(_ cid: CID) async {
        await guardian.deletionLock.lock()
        guardian.protect(cid)
        guardian.deletionLock.unlock()
        cids.withLock { $0.append(cid) }
    }

    func release() {
        let all = cids.withLock { cids -> [CID] in
            defer { cids.removeAll() }
            return cids
        }
        guardian.release(all)
    }
}
