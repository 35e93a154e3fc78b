/// A wire of a rank-1 constraint system.
///
/// Variables are numbered per kind as they are allocated; the flat order used by the
/// assignment vector (and by Groth16 and the iden3 formats) is the constant one, then all
/// public inputs, then all private witnesses. Ordering variables by (kind, slot) gives exactly
/// that order, whatever the interleaving of allocations was.
public struct Variable: Hashable, Comparable, Sendable {
    /// Which part of the assignment vector a variable belongs to.
    public enum Kind: UInt8, Comparable, Sendable {
        /// The constant 1 (flat index 0).
        case one
        /// A public input (statement).
        case publicInput
        /// A private witness.
        case witness

        /// Orders kinds as they appear in the assignment vector.
        @inlinable
        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The part of the assignment this variable lives in.
    public let kind: Kind
    /// Position among the variables of the same kind, in allocation order.
    public let slot: Int

    /// Creates a variable reference; `ConstraintSystem` allocates them.
    @inlinable
    init(kind: Kind, slot: Int) {
        self.kind = kind
        self.slot = slot
    }

    /// The wire fixed to 1; a constant c is the term c·one.
    public static let one = Variable(kind: .one, slot: 0)

    /// Flat-order comparison (kind first, then slot).
    @inlinable
    public static func < (lhs: Variable, rhs: Variable) -> Bool {
        lhs.kind != rhs.kind ? lhs.kind < rhs.kind : lhs.slot < rhs.slot
    }
}
