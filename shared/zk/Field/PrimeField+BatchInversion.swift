/// Montgomery's simultaneous-inversion trick.
extension PrimeField {
    /// The inverses of all `elements` with one field inversion and about 3n multiplications;
    /// nil if any element is zero.
    public static func batchInverse(_ elements: [Self]) -> [Self]? {
        // prefix[i] = e₀·…·e_{i−1}.
        var prefix: [Self] = []
        prefix.reserveCapacity(elements.count)
        var running = Self.one
        for element in elements {
            prefix.append(running)
            running *= element
        }
        guard var inverseOfRunning = running.inverse() else { return nil }
        var inverses = [Self](repeating: .zero, count: elements.count)
        for index in elements.indices.reversed() {
            inverses[index] = inverseOfRunning * prefix[index]
            inverseOfRunning *= elements[index]
        }
        return inverses
    }
}
