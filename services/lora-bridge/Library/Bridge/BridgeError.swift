import PakitContracts

/// Why the bridge could not do what an API call asked.
public enum BridgeError: Error, Sendable, Equatable, CustomStringConvertible {
    case radioUnavailable
    case noPeer
    case unknownPeer(UInt32)
    case peerKeyUnknown(UInt32)
    case invalid(String)
    case notFound(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .radioUnavailable: "the radio is not connected"
        case .noPeer: "no LoRa peer announces the block (or none whose key the device knows); name one with peer"
        case .unknownPeer(let node): "the device does not know node \(LoRaNodeText.id(node))"
        case .peerKeyUnknown(let node): "the device has no public key for node \(LoRaNodeText.id(node)) yet (it learns it from the node's NodeInfo); unicast would be refused"
        case .invalid(let why): why
        case .notFound(let what): what
        case .unavailable(let what): "unavailable: \(what)"
        }
    }
}

enum LoRaNodeText {
    static func id(_ number: UInt32) -> String { LoRaNodeID(number: number).id }

    /// A node number, or a `!%08x` id.
    static func parse(_ text: String) -> UInt32? {
        if text.hasPrefix("!") { return UInt32(text.dropFirst(), radix: 16) }
        return UInt32(text)
    }
}
