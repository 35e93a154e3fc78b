import Foundation

/// Where the Meshtastic device is: its client API on TCP (meshtasticd, a networked device, or
/// the radio simulator; port 4403 by default) or a serial port.
public enum RadioEndpoint: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case serial(path: String)

    public static let defaultPort = 4403

    /// `HOST:PORT`, `HOST` (port 4403), `[v6]:PORT`, or a device path (`/dev/ttyUSB0`).
    public init(parsing text: String) throws(RadioError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 255 else { throw .invalidEndpoint("empty or too long") }
        if trimmed.hasPrefix("/") {
            self = .serial(path: trimmed)
            return
        }
        var host = trimmed
        var port = Self.defaultPort
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { throw .invalidEndpoint("unclosed [ in \(trimmed)") }
            host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()), (1...65535).contains(value) else { throw .invalidEndpoint("bad port in \(trimmed)") }
                port = value
            } else if !rest.isEmpty {
                throw .invalidEndpoint("unexpected text after ] in \(trimmed)")
            }
        } else if let colon = trimmed.lastIndex(of: ":"), trimmed.firstIndex(of: ":") == colon {
            host = String(trimmed[..<colon])
            guard let value = Int(trimmed[trimmed.index(after: colon)...]), (1...65535).contains(value) else {
                throw .invalidEndpoint("bad port in \(trimmed)")
            }
            port = value
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }) else {
            throw .invalidEndpoint("bad host in \(trimmed)")
        }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .serial(let path): path
        }
    }
}

/// What can go wrong talking to the device.
public enum RadioError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidEndpoint(String)
    case unreachable(String)
    case handshakeTimedOut
    case notConnected
    case disconnected
    /// The device refused a packet: the firmware's Routing error (or its result code).
    case refused(code: Int, reason: String)
    case noAnswer
    case payloadTooLarge(Int)

    public var description: String {
        switch self {
        case .invalidEndpoint(let why): "radio endpoint: \(why)"
        case .unreachable(let why): "radio unreachable: \(why)"
        case .handshakeTimedOut: "the device did not finish its configuration handshake"
        case .notConnected: "no radio connected"
        case .disconnected: "the radio connection closed"
        case .refused(let code, let reason): "the device refused the packet: \(reason) (\(code))"
        case .noAnswer: "the device did not answer with a queue status"
        case .payloadTooLarge(let size): "\(size) bytes is over the radio's payload limit"
        }
    }
}
