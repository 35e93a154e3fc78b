/// The one error `PakitChain` throws: what was wrong with bytes, text or a value on their way
/// to or from the chain's encodings.
public struct ChainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// SCALE bytes that end early, overflow, or break a type's rules.
        case scale
        /// An extrinsic whose layout is not one this runtime uses.
        case extrinsic
        /// SS58 text: alphabet, length, prefix or checksum.
        case ss58
        /// A key, signature or hash of the wrong length or form.
        case key
        /// A value outside what a call or encoding accepts.
        case value
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
