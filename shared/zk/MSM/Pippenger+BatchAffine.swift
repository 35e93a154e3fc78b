/// Bucket accumulation in affine coordinates with batched inversions.
///
/// Adding an affine point to an affine bucket costs one inversion, 2 multiplications and a
/// squaring; Montgomery's trick shares one inversion among a whole batch (3 multiplications
/// each), so an addition costs ≈ 6 multiplications instead of the 11 of a mixed Jacobian
/// addition. A batch may touch each bucket once; a term whose bucket is already in the batch
/// waits for the next round, and the few left after a handful of rounds go to Jacobian
/// overflow buckets so that skewed digit distributions cannot degrade into tiny batches.
extension Pippenger.Plan {
    /// Σ over terms of digitᵢ · Pᵢ for one window.
    ///
    /// `scratch` is caller-owned and reused across windows to avoid reallocating.
    @inlinable
    func windowSum(_ window: Int, scratch: inout Pippenger.AffineScratch<C>) -> JacobianPoint<C> {
        let count = self.count
        let bucketCount = self.bucketCount
        scratch.reset(bucketCount: bucketCount)
        let batchLimit = max(16, min(1024, bucketCount / 2))
        // Terms of this window as (bucket, term << 1 | negate).
        var queue = [(bucket: Int32, term: Int32)]()
        queue.reserveCapacity(count)
        digits.withUnsafeBufferPointer { digits in
            let base = window * count
            for term in 0..<count {
                let digit = digits[base + term]
                if digit > 0 {
                    queue.append((digit - 1, Int32(term << 1)))
                } else if digit < 0 {
                    queue.append((-digit - 1, Int32(term << 1 | 1)))
                }
            }
        }
        var rounds = 0
        while !queue.isEmpty {
            rounds += 1
            if rounds > 4 || queue.count < 32 {
                // Leftovers: plain mixed additions into Jacobian overflow buckets.
                for item in queue {
                    let point = points[Int(item.term >> 1)]
                    scratch.overflow[Int(item.bucket)] += (item.term & 1 == 1) ? -point : point
                }
                break
            }
            var deferred = [(bucket: Int32, term: Int32)]()
            for item in queue {
                let bucket = Int(item.bucket)
                if scratch.busy[bucket] {
                    deferred.append(item)
                    continue
                }
                let point = points[Int(item.term >> 1)]
                let y = (item.term & 1 == 1) ? -point.y : point.y
                if !scratch.occupied[bucket] {
                    scratch.x[bucket] = point.x
                    scratch.y[bucket] = y
                    scratch.occupied[bucket] = true
                    continue
                }
                scratch.busy[bucket] = true
                scratch.batchBuckets.append(item.bucket)
                scratch.batchX.append(point.x)
                scratch.batchY.append(y)
                if scratch.batchBuckets.count == batchLimit { scratch.flush() }
            }
            scratch.flush()
            queue = deferred
        }
        // Σ k·B_k by the running sum from the top bucket down.
        var running = JacobianPoint<C>.identity
        var sum = JacobianPoint<C>.identity
        for index in stride(from: bucketCount - 1, through: 0, by: -1) {
            if scratch.occupied[index] {
                running += AffinePoint<C>(unchecked: scratch.x[index], scratch.y[index])
            }
            if !scratch.overflow[index].isIdentity { running += scratch.overflow[index] }
            sum += running
        }
        return sum
    }
}

extension Pippenger {
    /// Reusable per-task buffers of the batch-affine accumulation.
    @usableFromInline
    struct AffineScratch<C: ShortWeierstrassCurve> {
        @usableFromInline var x: [C.BaseField] = []
        @usableFromInline var y: [C.BaseField] = []
        @usableFromInline var occupied: [Bool] = []
        @usableFromInline var busy: [Bool] = []
        @usableFromInline var overflow: [JacobianPoint<C>] = []
        @usableFromInline var batchBuckets: [Int32] = []
        @usableFromInline var batchX: [C.BaseField] = []
        @usableFromInline var batchY: [C.BaseField] = []
        @usableFromInline var denominators: [C.BaseField] = []
        @usableFromInline var prefix: [C.BaseField] = []

        @inlinable init() {}

        @inlinable mutating func reset(bucketCount: Int) {
            if x.count != bucketCount {
                x = Array(repeating: .zero, count: bucketCount)
                y = x
                occupied = Array(repeating: false, count: bucketCount)
                busy = occupied
                overflow = Array(repeating: .identity, count: bucketCount)
            } else {
                for index in 0..<bucketCount {
                    occupied[index] = false
                    overflow[index] = .identity
                }
            }
        }

        /// Adds the batched points to their buckets with one shared inversion.
        @inlinable mutating func flush() {
            let n = batchBuckets.count
            guard n > 0 else { return }
            denominators.removeAll(keepingCapacity: true)
            prefix.removeAll(keepingCapacity: true)
            // Denominator per addition: x₂ − x₁, or 2y₁ for a doubling; 1 when the sum is the identity.
            for i in 0..<n {
                let bucket = Int(batchBuckets[i])
                let dx = batchX[i] - x[bucket]
                if !dx.isZero {
                    denominators.append(dx)
                } else if batchY[i] == y[bucket], !y[bucket].isZero {
                    denominators.append(y[bucket].doubled())
                } else {
                    denominators.append(.one)
                }
            }
            var running = C.BaseField.one
            for i in 0..<n {
                prefix.append(running)
                running = running * denominators[i]
            }
            var inverse = running.inverse() ?? .zero
            for i in stride(from: n - 1, through: 0, by: -1) {
                let bucket = Int(batchBuckets[i])
                let denominatorInverse = inverse * prefix[i]
                inverse = inverse * denominators[i]
                let x1 = x[bucket], y1 = y[bucket], x2 = batchX[i], y2 = batchY[i]
                let lambda: C.BaseField
                if x2 != x1 {
                    lambda = (y2 - y1) * denominatorInverse
                } else if y2 == y1, !y1.isZero {
                    let xx = x1.square()
                    lambda = (xx.doubled() + xx) * denominatorInverse
                } else {
                    // P + (−P): the bucket empties.
                    occupied[bucket] = false
                    busy[bucket] = false
                    continue
                }
                let x3 = lambda.square() - x1 - x2
                y[bucket] = lambda * (x1 - x3) - y1
                x[bucket] = x3
                busy[bucket] = false
            }
            batchBuckets.removeAll(keepingCapacity: true)
            batchX.removeAll(keepingCapacity: true)
            batchY.removeAll(keepingCapacity: true)
        }
    }
}
