import Hummingbird

/// A request's query, read strictly: a parameter may appear once, and every value is checked
/// against what the route's OpenAPI document allows. A bad value is a 400
/// `invalid_parameter` naming the parameter, never silently ignored. Names a route does not
/// read are ignored (caches and browsers add their own).
public struct QueryParameters: Sendable {
    private let values: [String: String]

    /// Collects the percent-decoded parameters; a name given twice is refused.
    public init(_ request: Request) throws(ServiceError) {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard values[name] == nil else { throw Self.invalid(name, "is given more than once") }
            values[name] = String(value)
        }
        self.values = values
    }

    /// Whether `name` is present (with any value, even empty).
    public func contains(_ name: String) -> Bool { values[name] != nil }

    /// A free-form string of at most `maxLength` characters (Unicode scalars, as JSON Schema
    /// counts them) without control characters.
    public func string(_ name: String, maxLength: Int = 1024) throws(ServiceError) -> String? {
        guard let value = values[name] else { return nil }
        guard value.unicodeScalars.count <= maxLength else { throw Self.invalid(name, "is longer than \(maxLength) characters") }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw Self.invalid(name, "contains control characters")
        }
        return value
    }

    /// One of `allowed`, exactly (an empty value is not absent: it is refused).
    public func oneOf(_ name: String, _ allowed: [String]) throws(ServiceError) -> String? {
        guard let value = values[name] else { return nil }
        guard allowed.contains(value) else {
            throw Self.invalid(name, "must be one of \(allowed.joined(separator: ", ")), got '\(value.prefix(40))'")
        }
        return value
    }

    /// A decimal integer in `range` (an optional leading '-' only; no '+', spaces or exponents).
    public func integer(_ name: String, in range: ClosedRange<Int64>) throws(ServiceError) -> Int64? {
        guard let value = values[name] else { return nil }
        let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let number = Int64(value), range.contains(number)
        else { throw Self.invalid(name, "must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(value.prefix(40))'") }
        return number
    }

    /// `true|1|yes` or `false|0|no`; `defaultValue` when absent.
    public func bool(_ name: String, default defaultValue: Bool) throws(ServiceError) -> Bool {
        switch try oneOf(name, ["true", "false", "1", "0", "yes", "no"]) {
        case nil: defaultValue
        case "true", "1", "yes": true
        default: false
        }
    }

    static func invalid(_ name: String, _ problem: String) -> ServiceError {
        ServiceError(.badRequest, "invalid_parameter", "query parameter '\(name.prefix(40))' \(problem)")
    }
}
