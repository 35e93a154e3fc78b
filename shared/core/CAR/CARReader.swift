/// Incremental CARv1 reader: push bytes as they arrive and get back header and block events.
///
/// Every block is checked against its CID, so a successfully read CAR contains only verified
/// blocks. Only sha2-256 CIDs are accepted for blocks. After any error the reader stays
/// failed and rethrows that error.
public struct CARReader: Sendable {
    /// What a push produced, in stream order.
    public enum Event: Sendable {
        /// The header, always the first event.
        case header(roots: [CID])
        /// A block whose bytes matched its CID.
        case block(Block)
    }

    /// Largest accepted header or section payload (a CID plus a block), in bytes.
    public let maxSectionSize: Int
    /// Received bytes not yet consumed; never more than one incomplete header or section.
    private var pending: [UInt8] = []
    private var sawHeader = false
    private var failure: CoreError?

    /// A reader for one CAR stream; `maxSectionSize` bounds memory per header/section.
    public init(maxSectionSize: Int = 4 << 20) {
        self.maxSectionSize = maxSectionSize
    }

    /// Feeds the next bytes and returns the events they complete.
    ///
    /// Throws `CoreError(.car, …)` for a bad header (it must be version 1 with a roots array of
    /// tag-42 CIDs), an empty or oversize section, a malformed or non-sha2-256 CID, or a block
    /// whose hash does not match its CID.
    public mutating func push(_ bytes: [UInt8]) throws(CoreError) -> [Event] {
        if let failure { throw failure }
        // Take the caller's array as-is when nothing is pending: no copy on the common path.
        if pending.isEmpty {
            pending = bytes
        } else {
            pending.append(contentsOf: bytes)
        }
        var events: [Event] = []
        var consumed = 0
        do throws(CoreError) {
            while let payload = try nextPayload(from: consumed) {
                if sawHeader {
                    events.append(.block(try section(payload)))
                } else {
                    events.append(.header(roots: try header(payload)))
                    sawHeader = true
                }
                consumed = payload.upperBound
            }
        } catch {
            let wrapped = error.kind == .car ? error : CoreError(.car, error.message)
            failure = wrapped
            pending = []
            throw wrapped
        }
        // Keep only the incomplete tail; each byte is moved at most once.
        if consumed == pending.count {
            pending = []
        } else if consumed > 0 {
            pending = Array(pending[consumed...])
        }
        return events
    }

    /// Throws if the input ended before a header, or inside the header or a section.
    public func finish() throws(CoreError) {
        if let failure { throw failure }
        if !pending.isEmpty {
            throw CoreError(.car, "CAR ends inside a \(sawHeader ? "section" : "header") (\(pending.count) bytes left over)")
        }
        if !sawHeader {
            throw CoreError(.car, "CAR ends before its header")
        }
    }

    /// The range of the next complete length-prefixed payload starting at `offset`, or nil
    /// when more bytes are needed.
    private func nextPayload(from offset: Int) throws(CoreError) -> Range<Int>? {
        var cursor = offset
        let length: UInt64
        do throws(CoreError) {
            guard let decoded = try Varint.decodeIfComplete(pending, at: &cursor) else { return nil }
            length = decoded
        } catch {
            throw CoreError(.car, "bad \(sawHeader ? "section" : "header") length: \(error.message)")
        }
        guard length > 0 else {
            throw CoreError(.car, "empty \(sawHeader ? "section" : "header")")
        }
        guard length <= UInt64(maxSectionSize) else {
            throw CoreError(.car, "\(sawHeader ? "section" : "header") of \(length) bytes exceeds the \(maxSectionSize)-byte limit")
        }
        guard UInt64(pending.count - cursor) >= length else { return nil }
        return cursor..<(cursor + Int(length))
    }

    private func header(_ payload: Range<Int>) throws(CoreError) -> [CID] {
        do throws(CoreError) {
            return try CARHeaderCBOR.decodeRoots(pending, range: payload)
        } catch {
            throw CoreError(.car, "bad CAR header: \(error.message)")
        }
    }

    private func section(_ payload: Range<Int>) throws(CoreError) -> Block {
        var cursor = payload.lowerBound
        let cid: CID
        do throws(CoreError) {
            cid = try CID.parse(pending[payload], at: &cursor)
        } catch {
            throw CoreError(.car, "bad section CID: \(error.message)")
        }
        guard cid.multihash.isSHA256 else {
            throw CoreError(.car, "section CID \(cid) is not sha2-256 and cannot be verified")
        }
        let block = pending[cursor..<payload.upperBound]
        guard cid.verifies(block) else {
            throw CoreError(.car, "block does not match its CID \(cid)")
        }
        return Block(cid: cid, bytes: Array(block))
    }
}
