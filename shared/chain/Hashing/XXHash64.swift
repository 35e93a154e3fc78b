/// xxHash64 (Yann Collet's XXH64, as the xxHash specification defines it): the hash behind
/// Substrate's `twox` storage hashers. Not cryptographic; storage keys use it for names and
/// for keys no caller controls.
public enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    public static func hash(_ input: [UInt8], seed: UInt64) -> UInt64 {
        let count = input.count
        var index = 0
        var accumulator: UInt64
        if count >= 32 {
            var lanes = (seed &+ prime1 &+ prime2, seed &+ prime2, seed, seed &- prime1)
            while index + 32 <= count {
                lanes.0 = round(lanes.0, word(input, index))
                lanes.1 = round(lanes.1, word(input, index + 8))
                lanes.2 = round(lanes.2, word(input, index + 16))
                lanes.3 = round(lanes.3, word(input, index + 24))
                index += 32
            }
            accumulator = rotate(lanes.0, 1) &+ rotate(lanes.1, 7) &+ rotate(lanes.2, 12) &+ rotate(lanes.3, 18)
            accumulator = merge(accumulator, lanes.0)
            accumulator = merge(accumulator, lanes.1)
            accumulator = merge(accumulator, lanes.2)
            accumulator = merge(accumulator, lanes.3)
        } else {
            accumulator = seed &+ prime5
        }
        accumulator &+= UInt64(count)
        while index + 8 <= count {
            accumulator ^= round(0, word(input, index))
            accumulator = rotate(accumulator, 27) &* prime1 &+ prime4
            index += 8
        }
        if index + 4 <= count {
            var half: UInt64 = 0
            for offset in 0..<4 { half |= UInt64(input[index + offset]) << (8 * offset) }
            accumulator ^= half &* prime1
            accumulator = rotate(accumulator, 23) &* prime2 &+ prime3
            index += 4
        }
        while index < count {
            accumulator ^= UInt64(input[index]) &* prime5
            accumulator = rotate(accumulator, 11) &* prime1
            index += 1
        }
        accumulator ^= accumulator >> 33
        accumulator &*= prime2
        accumulator ^= accumulator >> 29
        accumulator &*= prime3
        accumulator ^= accumulator >> 32
        return accumulator
    }

    private static func word(_ input: [UInt8], _ index: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(input[index + offset]) << (8 * offset) }
        return value
    }

    private static func round(_ lane: UInt64, _ input: UInt64) -> UInt64 {
        rotate(lane &+ input &* prime2, 31) &* prime1
    }

    private static func merge(_ accumulator: UInt64, _ lane: UInt64) -> UInt64 {
        (accumulator ^ round(0, lane)) &* prime1 &+ prime4
    }

    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
