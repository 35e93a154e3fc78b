/// Radix-2 transforms: iterative in-place Cooley–Tukey (decimation in time) after a
/// bit-reversal permutation, with precomputed twiddles.
extension EvaluationDomain {
    /// Coefficients → evaluations at ω⁰ … ω^(n−1), in place. Shorter input is zero-padded to n.
    ///
    /// - Precondition: `values.count ≤ size` (a polynomial of higher degree does not fit the domain).
    public func fft(_ values: inout [Fr]) {
        resize(&values)
        transform(&values, twiddles: twiddles)
    }

    /// Evaluations at ω⁰ … ω^(n−1) → coefficients, in place. Shorter input is zero-padded to n.
    ///
    /// - Precondition: `values.count ≤ size`.
    public func ifft(_ values: inout [Fr]) {
        resize(&values)
        transform(&values, twiddles: inverseTwiddles)
        scale(&values, by: sizeInverse)
    }

    /// Coefficients → evaluations on the coset g·H (g = 5): scales coefficient i by gⁱ, then FFT.
    /// Groth16's quotient is computed there, where the vanishing polynomial is non-zero.
    public func cosetFFT(_ values: inout [Fr]) {
        resize(&values)
        multiplyByPowers(&values, of: cosetOffset, startingWith: .one)
        transform(&values, twiddles: twiddles)
    }

    /// Evaluations on the coset g·H → coefficients: iFFT, then scales coefficient i by g⁻ⁱ.
    public func cosetIFFT(_ values: inout [Fr]) {
        resize(&values)
        transform(&values, twiddles: inverseTwiddles)
        // n⁻¹ is folded into the power series instead of a separate pass.
        multiplyByPowers(&values, of: cosetOffsetInverse, startingWith: sizeInverse)
    }

    /// Non-mutating FFT.
    public func fft(_ coefficients: [Fr]) -> [Fr] {
        var values = coefficients
        fft(&values)
        return values
    }

    /// Non-mutating inverse FFT.
    public func ifft(_ evaluations: [Fr]) -> [Fr] {
        var values = evaluations
        ifft(&values)
        return values
    }

    // MARK: Kernel

    private func resize(_ values: inout [Fr]) {
        precondition(values.count <= size, "\(values.count) values do not fit a domain of \(size)")
        if values.count < size { values.append(contentsOf: repeatElement(.zero, count: size - values.count)) }
    }

    private func scale(_ values: inout [Fr], by factor: Fr) {
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] *= factor }
        }
    }

    private func multiplyByPowers(_ values: inout [Fr], of base: Fr, startingWith start: Fr) {
        values.withUnsafeMutableBufferPointer { buffer in
            var power = start
            for i in buffer.indices {
                buffer[i] *= power
                power *= base
            }
        }
    }

    /// The butterfly network for `twiddles` = powers of a primitive n-th root (ω or ω⁻¹).
    private func transform(_ values: inout [Fr], twiddles: [Fr]) {
        let n = size
        guard n > 1 else { return }
        let shift = Int.bitWidth - logSize
        values.withUnsafeMutableBufferPointer { a in
            // Bit-reversal permutation: swap each pair once.
            for i in 0..<n {
                let j = Int(UInt(i).bitReversed >> UInt(shift))
                if i < j { a.swapAt(i, j) }
            }
            twiddles.withUnsafeBufferPointer { w in
                var half = 1
                // Stage with blocks of 2·half uses ω^(n/(2·half)) = twiddles[stride].
                while half < n {
                    let stride = n / (2 * half)
                    var start = 0
                    while start < n {
                        // j = 0 has twiddle 1: no multiplication (saves ~n products per transform).
                        let u0 = a[start], v0 = a[start + half]
                        a[start] = u0 + v0
                        a[start + half] = u0 - v0
                        for j in 1..<half {
                            let u = a[start + j]
                            let v = a[start + j + half] * w[j * stride]
                            a[start + j] = u + v
                            a[start + j + half] = u - v
                        }
                        start += 2 * half
                    }
                    half <<= 1
                }
            }
        }
    }
}

extension UInt {
    /// The bits in reverse order.
    fileprivate var bitReversed: UInt {
        var x = self
        var result: UInt = 0
        for _ in 0..<UInt.bitWidth {
            result = (result << 1) | (x & 1)
            x >>= 1
        }
        return result
    }
}
