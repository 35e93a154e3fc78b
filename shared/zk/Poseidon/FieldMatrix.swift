/// Minimal dense linear algebra over Fr for deriving Poseidon's optimised schedule.
/// Matrices are arrays of rows; sizes are at most 16×16, so clarity beats speed here.
enum FieldMatrix {
    /// The n×n identity.
    static func identity(_ n: Int) -> [[Fr]] {
        (0..<n).map { i in (0..<n).map { j in i == j ? Fr.one : Fr.zero } }
    }

    /// `a · b`.
    static func multiply(_ a: [[Fr]], _ b: [[Fr]]) -> [[Fr]] {
        let columns = b.first?.count ?? 0
        return a.map { row in
            (0..<columns).map { j in
                var sum = Fr.zero
                for (k, entry) in row.enumerated() { sum += entry * b[k][j] }
                return sum
            }
        }
    }

    /// `mᵉ` for a square matrix, by square-and-multiply.
    static func power(_ m: [[Fr]], _ exponent: Int) -> [[Fr]] {
        var result = identity(m.count)
        var base = m
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result = multiply(result, base) }
            remaining >>= 1
            if remaining > 0 { base = multiply(base, base) }
        }
        return result
    }

    /// `m · vector` (vector as a column).
    static func apply(_ m: [[Fr]], to vector: [Fr]) -> [Fr] {
        m.map { row in
            var sum = Fr.zero
            for (entry, value) in zip(row, vector) { sum += entry * value }
            return sum
        }
    }

    /// `vector · m` (vector as a row).
    static func apply(row vector: [Fr], to m: [[Fr]]) -> [Fr] {
        let columns = m.first?.count ?? 0
        return (0..<columns).map { j in
            var sum = Fr.zero
            for (k, value) in vector.enumerated() { sum += value * m[k][j] }
            return sum
        }
    }

    /// The inverse of a square matrix by Gauss–Jordan elimination, or nil if it is singular.
    static func inverse(_ m: [[Fr]]) -> [[Fr]]? {
        let n = m.count
        var left = m
        var right = identity(n)
        for column in 0..<n {
            guard let pivotRow = (column..<n).first(where: { !left[$0][column].isZero }),
                  let pivotInverse = left[pivotRow][column].inverse()
            else { return nil }
            left.swapAt(column, pivotRow)
            right.swapAt(column, pivotRow)
            left[column] = left[column].map { $0 * pivotInverse }
            right[column] = right[column].map { $0 * pivotInverse }
            for row in 0..<n where row != column && !left[row][column].isZero {
                let factor = left[row][column]
                for j in 0..<n {
                    left[row][j] -= factor * left[column][j]
                    right[row][j] -= factor * right[column][j]
                }
            }
        }
        return right
    }
}
