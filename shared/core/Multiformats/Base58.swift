/// Bitcoin-alphabet base58 (multibase `z`; the only text form of CIDv0).
public enum Base58 {
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Maps an ASCII byte to its digit value, 0xff for characters outside the alphabet.
    private static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (value, char) in alphabet.enumerated() {
            table[Int(char)] = UInt8(value)
        }
        return table
    }()

    /// Encodes `bytes`; each leading zero byte becomes a leading `1`.
    ///
    /// Quadratic in the input length, which is fine for the identifiers it is meant for.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix(while: { $0 == 0 }).count
        // Little-endian base-58 digits of the number formed by the remaining bytes.
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 1)
        for byte in input[zeros...] {
            var carry = UInt32(byte)
            for i in digits.indices {
                carry += UInt32(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + digits.count)
        for digit in digits.reversed() {
            out.append(alphabet[Int(digit)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58btc text; rejects characters outside the alphabet (including `0OIl`).
    public static func decode(_ text: some StringProtocol) throws(CoreError) -> [UInt8] {
        let chars = Array(text.utf8)
        let ones = chars.prefix(while: { $0 == alphabet[0] }).count
        // Little-endian base-256 bytes of the number formed by the remaining digits.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count * 733 / 1000 + 1)
        for char in chars[ones...] {
            let value = digitValues[Int(char)]
            guard value != 0xff else {
                throw CoreError(.multibase, "invalid base58 character \(Unicode.Scalar(char).escaped(asASCII: true))")
            }
            var carry = UInt32(value)
            for i in bytes.indices {
                carry += UInt32(bytes[i]) * 58
                bytes[i] = UInt8(truncatingIfNeeded: carry)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(truncatingIfNeeded: carry))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + bytes.reversed()
    }
}
