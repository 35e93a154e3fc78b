/// Static description of a prime field with a modulus below 2²⁵⁵, for Montgomery arithmetic
/// with R = 2²⁵⁶.
///
/// Conformers are caseless enums whose requirements are computed properties returning
/// literals, so after specialisation every constant folds into the instruction stream.
public protocol PrimeFieldParameters: Sendable {
    /// The prime modulus m. Must be odd and below 2²⁵⁵ (the arithmetic relies on spare top bits).
    static var modulus: UInt256 { get }
    /// −m⁻¹ mod 2⁶⁴, the per-word Montgomery reduction factor.
    static var negativeModulusInverse: UInt64 { get }
    /// R mod m: the Montgomery form of 1.
    static var montgomeryR: UInt256 { get }
    /// R² mod m: multiplying by it converts a standard value into Montgomery form.
    static var montgomeryR2: UInt256 { get }
    /// Number of significant bits of the modulus.
    static var modulusBitWidth: Int { get }
}
