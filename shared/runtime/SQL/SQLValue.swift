/// A value bound to or read from SQL, in the small set of types both PostgreSQL and SQLite
/// store the same way. Keeping the set small is what lets one query layer serve both.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case real(Double)
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: UInt64) { self = .integer(Int64(bitPattern: value)) }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
}

/// One result row, read by column name.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    public func int(_ column: String) throws(SQLError) -> Int64 {
        switch self[column] {
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let text): if let value = Int64(text) { return value }
        default: break
        }
        throw SQLError.decoding("column \(column) is not an integer")
    }

    public func optionalInt(_ column: String) throws(SQLError) -> Int64? {
        if case .null = self[column] { return nil }
        return try int(column)
    }

    public func double(_ column: String) throws(SQLError) -> Double {
        switch self[column] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        case .text(let text): if let value = Double(text) { return value }
        default: break
        }
        throw SQLError.decoding("column \(column) is not a number")
    }

    public func text(_ column: String) throws(SQLError) -> String {
        if case .text(let value) = self[column] { return value }
        throw SQLError.decoding("column \(column) is not text")
    }

    public func optionalText(_ column: String) -> String? {
        if case .text(let value) = self[column] { return value }
        return nil
    }

    public func blob(_ column: String) throws(SQLError) -> [UInt8] {
        if case .blob(let value) = self[column] { return value }
        throw SQLError.decoding("column \(column) is not a blob")
    }
}

/// What the SQL layer throws at its seam.
public enum SQLError: Error, Sendable, CustomStringConvertible {
    /// The database could not be reached or refused the connection.
    case unavailable(String)
    /// The statement failed (syntax, constraint, server error).
    case statement(String)
    /// A row could not be read as the expected type.
    case decoding(String)
    /// A migration failed; nothing after it was applied.
    case migration(version: Int, String)

    public var description: String {
        switch self {
        case .unavailable(let m): "database unavailable: \(m)"
        case .statement(let m): "SQL statement failed: \(m)"
        case .decoding(let m): "SQL decoding: \(m)"
        case .migration(let v, let m): "migration \(v) failed: \(m)"
        }
    }
}
