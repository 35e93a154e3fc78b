import Foundation

/// One configuration setting: its flag (`--key`), its environment variable and its default.
public struct Setting: Sendable {
    public let key: String
    public let environment: String
    public let defaultValue: String?
    public let help: String

    public init(_ key: String, env: String, default defaultValue: String?, help: String) {
        self.key = key
        self.environment = env
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// A bad setting stops start-up with a message that names it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Configuration from, in order of precedence: command-line flags (`--key value` or
/// `--key=value`), `PAKIT_*` environment variables, an optional JSON file (`--config FILE` or
/// `PAKIT_CONFIG`; an object of key → value), and the documented defaults.
public struct Settings: Sendable {
    public let declared: [Setting]
    private let values: [String: String]
    private let origins: [String: String]

    public init(_ declared: [Setting], arguments: [String], environment: [String: String]) throws(ConfigurationError) {
        self.declared = declared
        let known = Dictionary(declared.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var flags: [String: String] = [:]
        var configPath = environment["PAKIT_CONFIG"]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw ConfigurationError("unexpected argument '\(argument)'") }
            var key = String(argument.dropFirst(2))
            var value: String
            if let equals = key.firstIndex(of: "=") {
                value = String(key[key.index(after: equals)...])
                key = String(key[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw ConfigurationError("flag --\(key) needs a value") }
                index += 1
                value = arguments[index]
            }
            if key == "config" {
                configPath = value
            } else {
                guard known[key] != nil else { throw ConfigurationError("unknown setting --\(key) (see --help)") }
                flags[key] = value
            }
            index += 1
        }
        var file: [String: String] = [:]
        if let configPath {
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw ConfigurationError("cannot read configuration file \(configPath)")
            }
            guard let object = try? JSONDecoder().decode([String: FileValue].self, from: data) else {
                throw ConfigurationError("configuration file \(configPath) must hold a JSON object of strings, numbers and booleans")
            }
            for (key, value) in object {
                guard known[key] != nil else { throw ConfigurationError("unknown setting '\(key)' in \(configPath)") }
                file[key] = value.text
            }
        }
        var values: [String: String] = [:]
        var origins: [String: String] = [:]
        for setting in declared {
            if let value = flags[setting.key] {
                values[setting.key] = value
                origins[setting.key] = "--\(setting.key)"
            } else if let value = environment[setting.environment] {
                values[setting.key] = value
                origins[setting.key] = setting.environment
            } else if let value = file[setting.key] {
                values[setting.key] = value
                origins[setting.key] = "\(configPath ?? "config"):\(setting.key)"
            } else if let value = setting.defaultValue {
                values[setting.key] = value
                origins[setting.key] = "default"
            }
        }
        self.values = values
        self.origins = origins
    }

    private func origin(_ key: String) -> String {
        let env = declared.first { $0.key == key }?.environment ?? key
        return "\(key) (\(origins[key] ?? env))"
    }

    /// An error for a value that parsed but is not acceptable, naming where it came from.
    public func invalid(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError("invalid value for \(origin(key)): \(reason)")
    }

    public func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = values[key], !value.isEmpty else { throw ConfigurationError("setting \(origin(key)) is required") }
        return value
    }

    public func optionalString(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let raw = try string(key)
        guard let value = Int(raw) else { throw ConfigurationError("invalid value for \(origin(key)): '\(raw)' is not an integer") }
        guard range.contains(value) else {
            throw ConfigurationError("invalid value for \(origin(key)): \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Sizes accept a plain byte count or a suffix: `64KiB`, `100MiB`, `2GiB`, `1TiB`.
    public func byteSize(_ key: String) throws(ConfigurationError) -> Int64 {
        let raw = try string(key)
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
        for (suffix, multiplier) in units where raw.hasSuffix(suffix) {
            if let number = Int64(raw.dropLast(suffix.count)), number >= 0, number <= Int64.max / multiplier {
                return number * multiplier
            }
            throw ConfigurationError("invalid value for \(origin(key)): '\(raw)' is not a size like 100MiB")
        }
        guard let number = Int64(raw), number >= 0 else {
            throw ConfigurationError("invalid value for \(origin(key)): '\(raw)' is not a size like 100MiB")
        }
        return number
    }

    public func bool(_ key: String) throws(ConfigurationError) -> Bool {
        switch try string(key).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError("invalid value for \(origin(key)): expected true or false")
        }
    }

    public func oneOf(_ key: String, _ allowed: [String]) throws(ConfigurationError) -> String {
        let value = try string(key)
        guard allowed.contains(value) else {
            throw ConfigurationError("invalid value for \(origin(key)): '\(value)' is not one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    /// The help text: every setting with its flag, variable and default.
    public static func usage(_ declared: [Setting], command: String) -> String {
        var lines = ["usage: \(command) [--config FILE] [--KEY VALUE]...", "", "settings (flag, environment variable, default):"]
        for setting in declared {
            lines.append("  --\(setting.key)  \(setting.environment)  [\(setting.defaultValue.map { $0.isEmpty ? "empty" : $0 } ?? "see below")]")
            lines.append("      \(setting.help)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A scalar in the configuration file.
private struct FileValue: Decodable {
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bool = try? container.decode(Bool.self) {
            text = bool ? "true" : "false"
        } else if let int = try? container.decode(Int64.self) {
            text = String(int)
        } else {
            text = try container.decode(String.self)
        }
    }
}
