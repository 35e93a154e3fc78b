/// The operations shared by every field of the BN254 tower (Fq, Fr, Fq2, Fq6, Fq12), so one
/// generic implementation of point arithmetic serves G1 (over Fq) and G2 (over Fq2), and
/// generic tests can state the field laws once.
public protocol FieldArithmetic: Hashable, Sendable {
    /// The additive identity.
    static var zero: Self { get }
    /// The multiplicative identity.
    static var one: Self { get }
    /// Whether this is the additive identity.
    var isZero: Bool { get }
    /// Addition.
    static func + (lhs: Self, rhs: Self) -> Self
    /// Subtraction.
    static func - (lhs: Self, rhs: Self) -> Self
    /// Multiplication.
    static func * (lhs: Self, rhs: Self) -> Self
    /// Negation.
    static prefix func - (value: Self) -> Self
    /// `self · self`.
    func square() -> Self
    /// `self + self`.
    func doubled() -> Self
    /// The multiplicative inverse, or nil for zero.
    func inverse() -> Self?
}

extension PrimeField: FieldArithmetic {}
extension Fq2: FieldArithmetic {}
extension Fq6: FieldArithmetic {}
extension Fq12: FieldArithmetic {}
