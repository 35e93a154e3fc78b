import Foundation
@testable import LoRaBridgeService
import PakitCore
import PakitMeshtastic
import Testing

@Suite("LoRa frames and fragment coding")
struct LoRaFrameTests {
    static let cid = CID.raw(sha256Of: Array("pakit".utf8))

    @Test("every frame type round-trips, and the sizes fit the unicast limit")
    func roundTrip() throws {
        var have = FragmentSet()
        have.insert(0)
        have.insert(63)
        let messages: [LoRaMessage] = [
            .fetchRequest(.init(session: 0xBEEF, lossPercent: 30, have: have, cid: Self.cid)),
            .fragment(.init(session: 7, index: 4, parity: 2, blockSize: 1024, bytes: Array(repeating: 9, count: 1024 - 4 * LoRaMessage.fragmentDataLength))),
            .fragment(.init(session: 7, index: 5, parity: 2, blockSize: 1024, bytes: Array(repeating: 1, count: LoRaMessage.fragmentDataLength))),
            .refusal(session: 9, reason: .notFound),
            .busy(session: 9, minutes: 12),
        ]
        for message in messages {
            let bytes = message.encoded()
            #expect(bytes.count <= PayloadLimits.privateAppMaximumPayload(pki: true))
            #expect(bytes[0] >> 5 == 1)
            #expect(try LoRaMessage.decode(bytes) == message)
        }
        // A full fragment is exactly the unicast maximum: 219 bytes.
        #expect(messages[2].encoded().count == 219)
        #expect(LoRaMessage.fragmentDataLength == 212)
        // A request for a raw CIDv1 fits in one small frame.
        #expect(messages[0].encoded().count == 1 + 2 + 1 + 8 + 1 + 36)
    }

    @Test("truncated, oversized, inconsistent and unknown frames are refused with an error")
    func badFrames() throws {
        let request = LoRaMessage.fetchRequest(.init(session: 1, lossPercent: 0, have: .init(), cid: Self.cid)).encoded()
        for length in 0..<request.count {
            #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(Array(request.prefix(length))) }
        }
        #expect(throws: LoRaMessageError.malformed("trailing bytes after the CID")) { try LoRaMessage.decode(request + [0]) }
        #expect(throws: LoRaMessageError.unsupportedVersion(2)) { try LoRaMessage.decode([0x41]) }
        #expect(throws: LoRaMessageError.unknownType(31)) { try LoRaMessage.decode([0x3F]) }
        #expect(throws: LoRaMessageError.malformed("busy")) { try LoRaMessage.decode([0x24, 0, 1, 0]) }
        #expect(throws: LoRaMessageError.malformed("busy")) { try LoRaMessage.decode([0x24, 0, 1, 61]) }
        // A fragment whose length disagrees with the block size it claims.
        let fragment = LoRaMessage.fragment(.init(session: 1, index: 0, parity: 0, blockSize: 100, bytes: Array(repeating: 0, count: 100))).encoded()
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(fragment + [1]) }
        // An index past the fragment count, and a block too large for 64 fragments.
        var beyond = fragment
        beyond[3] = 1
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(beyond) }
        var huge = fragment
        huge[5] = 0xFF
        huge[6] = 0xFF
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(huge) }
    }

    @Test("random bytes never crash the decoder")
    func fuzz() {
        var random = SplitMix64(seed: 42)
        var decoded = 0
        for _ in 0..<50_000 {
            let length = Int(random.next() % 240)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if !bytes.isEmpty, random.next() % 2 == 0 { bytes[0] = 0x20 | UInt8(random.next() % 4) }
            if (try? LoRaMessage.decode(bytes)) != nil { decoded += 1 }
        }
        // Some random frames are well-formed refusals or fragments; most are refused.
        #expect(decoded < 50_000)
    }

    @Test("parity rebuilds one lost data fragment per group; two lost in a group need another round")
    func parity() throws {
        for size in [1, 212, 213, 1024, 5000] {
            let block = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let data = FragmentCoding.dataFragments(of: block)
            #expect(data.count == LoRaMessage.dataFragmentCount(blockSize: size))
            let parityCount = min(2, data.count)
            let parity = FragmentCoding.parityFragments(of: data, count: parityCount)
            var fragments: [Int: [UInt8]] = [:]
            for (index, fragment) in data.enumerated() { fragments[index] = fragment }
            for (index, fragment) in parity.enumerated() { fragments[data.count + index] = fragment }
            #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: fragments) == block)
            // Lose the last data fragment (the short one): rebuilt and trimmed.
            var lost = fragments
            lost[data.count - 1] = nil
            #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: lost) == block)
            if data.count >= 4 {
                // Two of the same group (0 and 2 with two groups): not recoverable.
                var twice = fragments
                twice[0] = nil
                twice[2] = nil
                #expect(FragmentCoding.reassemble(blockSize: size, parity: parityCount, fragments: twice) == nil)
            }
        }
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0) == 0)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.1) == 0)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.2) == 1)
        #expect(FragmentCoding.parityCount(dataCount: 5, estimatedLoss: 0.35) == 2)
    }
}

@Suite("LoRa index announcements and alert frames")
struct LoRaIndexFrameTests {
    static func cids(_ range: Range<Int>) -> [CID] { range.map { CID.raw(sha256Of: Array("block \($0)".utf8)) } }

    @Test("index and alert frames round-trip; an update is at most 48 bytes, a snapshot part fits a unicast frame")
    func roundTrip() throws {
        let full = LoRaMessage.indexUpdate(.init(sequence: 9, entries: 300, digest: 0xDEAD_BEEF, added: [1, 2, 3, 4, 5], removed: [6, 7, 8, 9]))
        #expect(full.encoded().count == 46)
        #expect(full.encoded().count <= LoRaMessage.maximumIndexUpdateLength)
        #expect(LoRaMessage.maximumIndexChanges == 9)
        let part = LoRaMessage.indexSnapshot(.init(sequence: 3, digest: 1, part: 1, parts: 2, fingerprints: Array(0..<UInt32(LoRaMessage.snapshotFingerprints))))
        #expect(part.encoded().count <= PayloadLimits.privateAppMaximumPayload(pki: true))
        let alert = LoRaMessage.alert(.init(id: 0x0102_0304, issuedAt: 1_800_000_000, severity: 4, message: Array(repeating: 0x41, count: LoRaMessage.maximumAlertMessage),
                                            publicKey: Array(repeating: 7, count: 32), signature: Array(repeating: 9, count: 64)))
        // A longest alert is exactly a broadcast's PRIVATE_APP limit.
        #expect(alert.encoded().count == PayloadLimits.privateAppMaximumPayload(pki: false))
        let tx = LoRaMessage.MeshTransaction(txHash: Array(repeating: 1, count: 32), txType: 4, sender: [1, 2, 3, 4], recipient: [5, 6, 7, 8],
                                             amount: .max, nonce: 7, signatureHash: Array(repeating: 2, count: 32))
        let meshTransaction = LoRaMessage.meshTransaction(tx)
        #expect(meshTransaction.encoded().count == 86)
        for message in [full, part, alert, .indexResync(sequence: 65535), .indexUpdate(.init(sequence: 1, entries: 0, digest: LoRaIndex().digest)),
                        meshTransaction, .meshReceipt(txHashPrefix: Array(repeating: 1, count: 8), accepted: true)] {
            #expect(try LoRaMessage.decode(message.encoded()) == message)
        }
        // Too many changes, a part beyond its count, an empty or overlong alert: refused.
        var tooMany = full.encoded()
        tooMany[9] = 0x55
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(tooMany + [UInt8](repeating: 0, count: 4)) }
        var beyond = part.encoded()
        beyond[7] = 2
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(beyond) }
        var empty = alert.encoded()
        empty[10] = 0
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(empty) }
        // A zero signature hash or an unknown transaction type is not a transaction the pallet takes.
        var zero = tx
        zero.signatureHash = Array(repeating: 0, count: 32)
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(LoRaMessage.meshTransaction(zero).encoded()) }
        var unknownType = meshTransaction.encoded()
        unknownType[33] = 5
        #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(unknownType) }
        for length in 0..<alert.encoded().count {
            #expect(throws: LoRaMessageError.self) { try LoRaMessage.decode(Array(alert.encoded().prefix(length))) }
        }
    }

    @Test("a receiver follows an announcer's updates, notices a missed one by the digest, and is in step again after the snapshot")
    func followingAnIndex() throws {
        var announced = LoRaIndex()
        var sequence: UInt16 = 0
        var receiver = PeerIndex()
        var updates: [LoRaMessage.IndexUpdate] = []
        for batch in 0..<4 {
            let next = LoRaIndex(announced.fingerprints.union(Self.cids(batch * 3..<(batch * 3 + 3)).compactMap(LoRaIndex.fingerprint(of:))))
            sequence = LoRaIndex.sequence(after: sequence)
            updates.append(next.update(from: announced, sequence: sequence))
            announced = next
        }
        // Joining late: the first update heard cannot be applied to nothing.
        let late = receiver.apply(updates[0])
        #expect(late == .needsResync)
        let joined = receiver.apply(contentsOf: LoRaIndex(Set(updates[0].added)).snapshot(sequence: 1))
        #expect(joined)
        #expect(receiver.synced && receiver.sequence == 1)
        let second = receiver.apply(updates[1])
        #expect(second == .applied)
        let repeated = receiver.apply(updates[1])
        #expect(repeated == .current)
        // Update 3 is lost: update 4 does not add up.
        let fourth = receiver.apply(updates[3])
        #expect(fourth == .needsResync)
        #expect(!receiver.synced)
        // The snapshot, parts in any order, brings it back in step.
        let parts = announced.snapshot(sequence: sequence)
        let resynced = receiver.apply(contentsOf: parts.reversed())
        #expect(resynced)
        #expect(receiver.synced && receiver.index == announced && receiver.sequence == 4)
        for cid in Self.cids(0..<12) { #expect(receiver.index.contains(cid)) }
        #expect(!receiver.index.contains(Self.cids(12..<13)[0]))
        // A heartbeat with a different digest at the same sequence (the announcer lost its state).
        let lost = receiver.apply(.init(sequence: 4, entries: 0, digest: LoRaIndex().digest))
        #expect(lost == .needsResync)
    }

    @Test("the digest depends on the set, not the order; large changes go as an update that lists none; big indexes split into parts")
    func digestsAndSnapshots() throws {
        let fingerprints = Self.cids(0..<600).compactMap(LoRaIndex.fingerprint(of:))
        #expect(LoRaIndex(Set(fingerprints)).digest == LoRaIndex(Set(fingerprints.reversed())).digest)
        #expect(LoRaIndex(Set(fingerprints)).digest != LoRaIndex(Set(fingerprints.dropLast())).digest)
        let big = LoRaIndex(Set(fingerprints.prefix(LoRaIndex.maximumEntries)))
        let jump = big.update(from: LoRaIndex(), sequence: 2)
        #expect(jump.added.isEmpty && jump.removed.isEmpty && Int(jump.entries) == big.count)
        #expect(LoRaMessage.indexUpdate(jump).encoded().count <= LoRaMessage.maximumIndexUpdateLength)
        let parts = big.snapshot(sequence: 2)
        #expect(parts.count == 10)
        #expect(Set(parts.flatMap(\.fingerprints)) == big.fingerprints)
        for part in parts { #expect(LoRaMessage.indexSnapshot(part).encoded().count <= PayloadLimits.privateAppMaximumPayload(pki: true)) }
        // Identity CIDs cannot be checked on arrival, so they are never announced.
        #expect(LoRaIndex.fingerprint(of: try CID("bafkqaaa")) == nil)
    }
}

extension PeerIndex {
    /// Applies snapshot parts; true when the last completed the index.
    mutating func apply(contentsOf parts: some Sequence<LoRaMessage.IndexSnapshot>) -> Bool {
        var complete = false
        for part in parts { complete = apply(part) }
        return complete
    }
}
