import Crypto
import PakitCore
import PakitZK

/// SHA-256 over a constraint system's exact constraints (every term's wire and coefficient),
/// stored beside a cached key as `<circuit>.fingerprint`.
///
/// A key's shape (constraint, input and witness counts) does not pin the circuit: a change to
/// a gadget's coefficients keeps the counts and silently turns a cached key into one for which
/// every proof fails. The fingerprint catches that, so a stale development key is derived
/// again rather than served.
enum CircuitFingerprint {
    static func of(_ system: ConstraintSystem) -> String {
        var hasher = SHA256()
        func add(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
        }
        add(UInt64(system.constraintCount))
        add(UInt64(system.publicInputCount))
        add(UInt64(system.witnessCount))
        var words: [UInt64] = []
        words.reserveCapacity(1 << 12)
        for constraint in system.constraints {
            for combination in [constraint.a, constraint.b, constraint.c] {
                words.append(UInt64(combination.terms.count))
                for term in combination.terms {
                    words.append(UInt64(term.variable.kind.rawValue) << 56 | UInt64(term.variable.slot))
                    let value = term.coefficient.standardValue
                    words += [value.l0, value.l1, value.l2, value.l3]
                }
            }
            if words.count >= 1 << 12 {
                words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                words.removeAll(keepingCapacity: true)
            }
        }
        words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hex.encode(hasher.finalize())
    }
}
