import Foundation
import PakitCore

/// A JSON value as JSON-RPC carries it: parameters, results and notifications whose shape
/// depends on the method. Decoded from the node's untrusted text, so every accessor answers
/// nil for a value of the wrong shape instead of trapping.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    public var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// An integer the value holds exactly (JSON numbers are doubles; ids and codes are small).
    public var integer: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    /// `0x…` hex text as bytes (nil for anything else, odd lengths included).
    public var hexBytes: [UInt8]? { string.flatMap { Hex.decode($0) } }
}

extension Hex {
    /// `0x`-prefixed lowercase hex, as the node's JSON-RPC writes hashes, keys and SCALE values.
    static func prefixed(_ bytes: some Sequence<UInt8>) -> String { "0x" + encode(bytes) }
}
