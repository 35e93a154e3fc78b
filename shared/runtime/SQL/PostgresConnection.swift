import CLibPQ
import Glibc
import PakitConcurrency
import Synchronization

/// One libpq connection and the one thread that uses it.
///
/// libpq calls block (network round trips, TLS), so they run on a dedicated thread, never a
/// cooperative one; one thread per connection also serialises the connection's use without a
/// lock. A statement is sent with parameters and results in binary form; one seen a second
/// time is prepared on the server and kept (at most `statementCacheLimit` per connection).
final class PostgresConnection: @unchecked Sendable {
    // Touched only on `thread` (or before it is shared / after it is shut down).
    private var handle: OpaquePointer?
    private var prepared: [StatementKey: String] = [:]
    private var seenOnce: Set<StatementKey> = []
    private var statementNumber = 0
    private let thread: ThreadPoolExecutor
    /// Set by `close()`: its thread is gone then, so nothing may be sent to it.
    private let closed = Atomic<Bool>(false)

    /// Statements kept prepared per connection; past this the server's copies are dropped
    /// (`DEALLOCATE ALL`): statements whose text varies with the number of keys would
    /// otherwise grow the cache without end.
    static let statementCacheLimit = 256

    /// A statement's text and its parameters' types: the server fixes both at `PREPARE`.
    private struct StatementKey: Hashable {
        let sql: String
        let types: [Oid]
    }

    private init(handle: OpaquePointer, thread: ThreadPoolExecutor) {
        self.handle = handle
        self.thread = thread
    }

    /// Connects with libpq's keyword/value parameters (`PostgresURL.connectionParameters`).
    static func open(parameters: [(String, String)], name: String) async throws(SQLError) -> PostgresConnection {
        let thread = ThreadPoolExecutor(threads: 1, name: name)
        do {
            let handle = try await thread.run { () throws(SQLError) -> OpaquePointer in
                guard let handle = connectBlocking(parameters) else { throw SQLError.unavailable(PostgresConnection.noConnectionReason) }
                guard PQstatus(handle) == CONNECTION_OK else {
                    let message = Self.message(PQerrorMessage(handle))
                    PQfinish(handle)
                    throw SQLError.unavailable(message)
                }
                return handle
            }
            return PostgresConnection(handle: handle, thread: thread)
        } catch {
            thread.shutdown()
            throw error
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        guard !closed.load(ordering: .acquiring) else { throw SQLError.unavailable("the PostgreSQL connection is closed") }
        return try await thread.run { () throws(SQLError) -> [SQLRow] in try self.executeHere(sql, binds) }
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await thread.run {
            if let handle { PQfinish(handle) }
            handle = nil
        }
        thread.shutdown()
    }

    // MARK: on the connection's thread

    private func executeHere(_ sql: String, _ binds: [SQLValue]) throws(SQLError) -> [SQLRow] {
        guard let handle else { throw SQLError.unavailable("the PostgreSQL connection is closed") }
        if PQstatus(handle) != CONNECTION_OK {
            // The server restarted or the network dropped: reconnect once, with the same
            // parameters; the server-side prepared statements went with the old session.
            PQreset(handle)
            prepared.removeAll()
            seenOnce.removeAll()
            guard PQstatus(handle) == CONNECTION_OK else {
                throw SQLError.unavailable("PostgreSQL connection lost: \(Self.message(PQerrorMessage(handle)))")
            }
        }
        let parameters = BinaryParameters(binds)
        let key = StatementKey(sql: sql, types: parameters.types)
        do {
            return try run(key, parameters, handle: handle)
        } catch where error.sqlState == "0A000" && PQtransactionStatus(handle) == PQTRANS_IDLE {
            // "cached plan must not change result type": a table changed under a kept
            // statement. Outside a transaction nothing was done: forget it and run once more.
            if let name = prepared.removeValue(forKey: key) { PQclear(PQexec(handle, "DEALLOCATE \(name)")) }
            seenOnce.remove(key)
            do {
                return try run(key, parameters, handle: handle)
            } catch {
                throw SQLError.statement(error.message)
            }
        } catch {
            throw SQLError.statement(error.message)
        }
    }

    private func run(_ key: StatementKey, _ parameters: BinaryParameters, handle: OpaquePointer) throws(StatementFailure) -> [SQLRow] {
        let count = Int32(parameters.types.count)
        let result: OpaquePointer?
        if let name = prepared[key] {
            result = parameters.withPointers { values, lengths, formats in
                PQexecPrepared(handle, name, count, values, lengths, formats, 1)
            }
        } else if seenOnce.contains(key) {
            if prepared.count >= Self.statementCacheLimit {
                PQclear(PQexec(handle, "DEALLOCATE ALL"))
                prepared.removeAll()
            }
            statementNumber += 1
            let name = "pakit_\(statementNumber)"
            let preparation = PQprepare(handle, name, key.sql, count, parameters.types)
            defer { PQclear(preparation) }
            try Self.check(preparation, handle: handle, sql: key.sql)
            prepared[key] = name
            seenOnce.remove(key)
            result = parameters.withPointers { values, lengths, formats in
                PQexecPrepared(handle, name, count, values, lengths, formats, 1)
            }
        } else {
            if seenOnce.count >= 4 * Self.statementCacheLimit { seenOnce.removeAll() }
            seenOnce.insert(key)
            result = parameters.withPointers { values, lengths, formats in
                PQexecParams(handle, key.sql, count, parameters.types, values, lengths, formats, 1)
            }
        }
        defer { PQclear(result) }
        try Self.check(result, handle: handle, sql: key.sql)
        return try Self.rows(of: result)
    }

    /// A statement's failure, with the server's SQLSTATE when it sent one.
    private struct StatementFailure: Error {
        let message: String
        let sqlState: String?
    }

    private static func check(_ result: OpaquePointer?, handle: OpaquePointer, sql: String) throws(StatementFailure) {
        guard let result else {
            throw StatementFailure(message: message(PQerrorMessage(handle)), sqlState: nil)
        }
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        throw StatementFailure(message: "\(message(PQresultErrorMessage(result))) in: \(sql.prefix(200))", sqlState: sqlState)
    }

    private static func rows(of result: OpaquePointer?) throws(StatementFailure) -> [SQLRow] {
        guard let result, PQresultStatus(result) == PGRES_TUPLES_OK else { return [] }
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [SQLRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                guard PQgetisnull(result, row, column) == 0, let base = PQgetvalue(result, row, column) else {
                    values.append(.null)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: base, count: Int(PQgetlength(result, row, column)))
                do {
                    values.append(try PostgresBinary.decode(bytes, type: types[Int(column)]))
                } catch {
                    throw StatementFailure(message: "column \(columns[Int(column)]): \(error.message)", sqlState: nil)
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    static func message(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        let text = String(cString: message)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}

/// Statement parameters in PostgreSQL's binary form, one buffer for all of them.
struct BinaryParameters {
    /// Each parameter's type: what the value is, so the server converts it like a typed
    /// literal (an `int8` compared with an `int4` column, for one). 0 (a NULL) lets the server
    /// infer it.
    let types: [Oid]
    private let buffer: [UInt8]
    private let offsets: [Int]
    private let lengths: [Int32]

    init(_ binds: [SQLValue]) {
        var types: [Oid] = [], buffer: [UInt8] = [], offsets: [Int] = [], lengths: [Int32] = []
        types.reserveCapacity(binds.count)
        for value in binds {
            let offset = buffer.count
            offsets.append(offset)
            switch value {
            case .null:
                types.append(0)
                lengths.append(-1)
                continue
            case .integer(let v):
                types.append(PostgresBinary.int8)
                withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) }
            case .real(let v):
                types.append(PostgresBinary.float8)
                withUnsafeBytes(of: v.bitPattern.bigEndian) { buffer.append(contentsOf: $0) }
            case .text(let v):
                types.append(PostgresBinary.text)
                buffer.append(contentsOf: v.utf8)
            case .blob(let v):
                types.append(PostgresBinary.bytea)
                buffer.append(contentsOf: v)
            }
            lengths.append(Int32(clamping: buffer.count - offset))
        }
        // Never empty, so every value (even an empty blob) gets a non-null pointer.
        buffer.append(0)
        self.types = types
        self.buffer = buffer
        self.offsets = offsets
        self.lengths = lengths
    }

    func withPointers<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> T) -> T {
        let formats = [Int32](repeating: 1, count: types.count)
        return buffer.withUnsafeBytes { raw in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = lengths.indices.map { index in
                lengths[index] < 0 ? nil : base.map { UnsafePointer($0 + offsets[index]) }
            }
            return values.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}

/// PostgreSQL's binary wire forms of the types the service stores and reads.
enum PostgresBinary {
    static let bool: Oid = 16, bytea: Oid = 17, int8: Oid = 20, int2: Oid = 21, int4: Oid = 23
    static let text: Oid = 25, oid: Oid = 26, float4: Oid = 700, float8: Oid = 701, numeric: Oid = 1700

    struct Malformed: Error { let message: String }

    /// One non-null value of `type`; types without a decoder of their own are read as text,
    /// which is their binary form for the text-like types (`text`, `varchar`, `name`, `json`).
    static func decode(_ bytes: UnsafeRawBufferPointer, type: Oid) throws(Malformed) -> SQLValue {
        switch type {
        case bool:
            guard bytes.count == 1 else { throw Malformed(message: "bool of \(bytes.count) bytes") }
            return .integer(bytes[0] == 0 ? 0 : 1)
        case int2, int4, int8, oid:
            guard [2, 4, 8].contains(bytes.count) else { throw Malformed(message: "integer of \(bytes.count) bytes") }
            var value: Int64 = type == oid ? 0 : (bytes[0] & 0x80 != 0 ? -1 : 0)
            for byte in bytes { value = (value << 8) | Int64(byte) }
            return .integer(value)
        case float4:
            guard bytes.count == 4 else { throw Malformed(message: "float4 of \(bytes.count) bytes") }
            return .real(Double(Float(bitPattern: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })))
        case float8:
            guard bytes.count == 8 else { throw Malformed(message: "float8 of \(bytes.count) bytes") }
            return .real(Double(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        case numeric:
            return .real(try decodeNumeric(bytes))
        case bytea:
            return .blob(Array(bytes))
        default:
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// `numeric`: digit count, weight, sign and display scale (16 bits each), then base-10000
    /// digits, the first worth 10000^weight. Read as the nearest `Double`, as before.
    static func decodeNumeric(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> Double {
        func int16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))) }
        guard bytes.count >= 8 else { throw Malformed(message: "numeric of \(bytes.count) bytes") }
        let digits = int16(0), weight = int16(2), sign = UInt16(bitPattern: Int16(int16(4)))
        guard digits >= 0, bytes.count == 8 + 2 * digits else { throw Malformed(message: "numeric with \(digits) digits in \(bytes.count) bytes") }
        switch sign {
        case 0xC000: return .nan
        case 0xD000: return .infinity
        case 0xF000: return -.infinity
        case 0x0000, 0x4000: break
        default: throw Malformed(message: "numeric sign \(sign)")
        }
        var value = 0.0
        for index in 0..<digits {
            value += Double(int16(8 + 2 * index)) * pow10000(weight - index)
        }
        return sign == 0x4000 ? -value : value
    }

    private static func pow10000(_ exponent: Int) -> Double {
        var result = 1.0
        let factor = exponent >= 0 ? 10_000.0 : 1 / 10_000.0
        for _ in 0..<min(abs(exponent), 1000) { result *= factor }
        return result
    }
}

extension PostgresConnection {
    /// Why `connectBlocking` gave no connection: libpq is not installed, or it could not allocate one.
    static var noConnectionReason: String {
        pakit_libpq_load() == 1 ? "libpq could not allocate a connection" : String(cString: pakit_libpq_error())
    }

/// `PQconnectdbParams` with keyword/value pairs (NUL-terminated C string arrays); blocks.
    static func connectBlocking(_ parameters: [(String, String)]) -> OpaquePointer? {
    func duplicate(_ strings: [String]) -> [UnsafePointer<CChar>?] { strings.map { strdup($0).map { UnsafePointer($0) } } + [nil] }
    let keys = duplicate(parameters.map(\.0)), values = duplicate(parameters.map(\.1))
    defer { (keys + values).forEach { free(UnsafeMutablePointer(mutating: $0)) } }
    return keys.withUnsafeBufferPointer { keys in
        values.withUnsafeBufferPointer { values in
            guard let keys = keys.baseAddress, let values = values.baseAddress else { return nil }
            let handle = PQconnectdbParams(keys, values, 0)
            // libpq prints server notices (`CREATE TABLE IF NOT EXISTS` of an existing table,
            // say) to stderr by default; they are not errors, and a service's stderr is its log.
            if let handle { PQsetNoticeProcessor(handle, { _, _ in }, nil) }
            return handle
        }
    }
}
}
