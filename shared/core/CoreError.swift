/// The one error type `PakitCore` throws: every decoder and validator in this module reports
/// what was wrong through it, so callers map a single type to their own errors.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which format or structure the bad input claimed to be.
    public enum Kind: String, Sendable, Equatable {
        case varint, multibase, multihash, cid, dagPB, unixFS, car, cbor, merkle, chunker, peerID
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
