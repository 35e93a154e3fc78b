/// CARv1 framing: `varint(len(header)) ‖ header` followed by one section per block.
///
/// Stateless so callers can stream: write `header(roots:)` once, then `section` per block.
public enum CARWriter {
    /// The length-prefixed dag-cbor header `{"roots": [...], "version": 1}`.
    public static func header(roots: [CID]) -> [UInt8] {
        let header = CARHeaderCBOR.encode(roots: roots)
        var out: [UInt8] = []
        out.reserveCapacity(Varint.length(of: UInt64(header.count)) + header.count)
        Varint.encode(UInt64(header.count), into: &out)
        out.append(contentsOf: header)
        return out
    }

    /// One section: `varint(len(CID) + len(block)) ‖ binary CID ‖ block`.
    public static func section(cid: CID, block: some Collection<UInt8>) -> [UInt8] {
        let cidLength = cid.encodedLength
        let payloadLength = UInt64(cidLength + block.count)
        var out: [UInt8] = []
        out.reserveCapacity(Varint.length(of: payloadLength) + Int(payloadLength))
        Varint.encode(payloadLength, into: &out)
        cid.append(to: &out)
        out.append(contentsOf: block)
        return out
    }

    /// One section for `block`.
    public static func section(_ block: Block) -> [UInt8] {
        section(cid: block.cid, block: block.bytes)
    }
}
