/// Canonical (standard-form) encodings. Every initialiser rejects values ≥ m, so a field
/// element has exactly one encoding and aliasing (x and x + m) is impossible.
extension PrimeField {
    /// Parses exactly 32 big-endian bytes of the standard value; nil if the length is wrong or the value is ≥ m.
    public init?(bigEndianBytes bytes: [UInt8]) {
        guard let value = UInt256(bigEndianBytes: bytes) else { return nil }
        self.init(value)
    }

    /// Parses a decimal string of the standard value; nil if malformed or ≥ m.
    public init?(decimal text: String) {
        guard let value = UInt256(decimal: text) else { return nil }
        self.init(value)
    }

    /// Parses a hexadecimal string (optional `0x`) of the standard value; nil if malformed or ≥ m.
    public init?(hex text: String) {
        guard let value = UInt256(hex: text) else { return nil }
        self.init(value)
    }

    /// The standard value as 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] { standardValue.bigEndianBytes }

    /// The standard value in decimal, without leading zeros.
    public var decimalString: String { standardValue.decimalString }

    /// The standard value as `0x` plus 64 lowercase hexadecimal digits.
    public var hexString: String { standardValue.hexString }
}

extension PrimeField: CustomStringConvertible {
    /// The decimal standard value (the convention of snarkjs and circom).
    public var description: String { decimalString }
}
