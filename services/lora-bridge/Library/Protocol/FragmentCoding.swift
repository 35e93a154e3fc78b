/// Splitting a block into fragments, XOR parity for forward erasure coding, and reassembly.
///
/// Parity fragment j (of p) is the XOR of the data fragments i with i mod p == j, each padded
/// with zeros to the fragment length: any one lost data fragment of a group is rebuilt from the
/// group's parity without another round trip. Cheap (no field arithmetic) and, for the 5–10
/// fragments of a kilobyte, close to what a stronger code would save (docs/lora-bridge.md).
public enum FragmentCoding {
    public static func dataFragments(of block: [UInt8]) -> [[UInt8]] {
        let length = LoRaMessage.fragmentDataLength
        return stride(from: 0, to: max(block.count, 1), by: length).map { start in
            Array(block[start..<min(start + length, block.count)])
        }
    }

    public static func parityFragments(of data: [[UInt8]], count: Int) -> [[UInt8]] {
        guard count > 0 else { return [] }
        var parity = Array(repeating: [UInt8](repeating: 0, count: LoRaMessage.fragmentDataLength), count: count)
        for (index, fragment) in data.enumerated() {
            for (offset, byte) in fragment.enumerated() { parity[index % count][offset] ^= byte }
        }
        return parity
    }

    /// The block, once every data fragment is present or can be rebuilt from parity; nil while
    /// some group misses more than one.
    public static func reassemble(blockSize: Int, parity: Int, fragments: [Int: [UInt8]]) -> [UInt8]? {
        let dataCount = LoRaMessage.dataFragmentCount(blockSize: blockSize)
        var data = fragments.filter { $0.key < dataCount }
        if data.count < dataCount, parity > 0 {
            for group in 0..<parity {
                let members = stride(from: group, to: dataCount, by: parity)
                let missing = members.filter { data[$0] == nil }
                guard missing.count == 1, let missingIndex = missing.first, var rebuilt = fragments[dataCount + group] else { continue }
                for member in members where member != missingIndex {
                    guard let present = data[member] else { continue }
                    for (offset, byte) in present.enumerated() { rebuilt[offset] ^= byte }
                }
                data[missingIndex] = Array(rebuilt.prefix(LoRaMessage.dataLength(ofFragment: missingIndex, blockSize: blockSize)))
            }
        }
        guard data.count == dataCount else { return nil }
        var block: [UInt8] = []
        block.reserveCapacity(blockSize)
        for index in 0..<dataCount {
            guard let fragment = data[index] else { return nil }
            block.append(contentsOf: fragment)
        }
        return block.count == blockSize ? block : nil
    }

    /// Parity fragments worth sending for a block of `dataCount` fragments at an estimated loss:
    /// none below 15 % (a parity fragment costs a full frame of airtime every time, a lost
    /// fragment one short extra round only sometimes), one per five data fragments up to 30 %,
    /// one per three above.
    public static func parityCount(dataCount: Int, estimatedLoss: Double) -> Int {
        let perGroup: Int
        switch estimatedLoss {
        case ..<0.15: return 0
        case ..<0.3: perGroup = 5
        default: perGroup = 3
        }
        return min(max((dataCount + perGroup - 1) / perGroup, 1), LoRaMessage.maximumFragments - dataCount, 16)
    }
}
