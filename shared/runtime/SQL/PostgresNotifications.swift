import CLibPQ
import Glibc
import Logging
import PakitConcurrency
import Synchronization

/// `LISTEN` on a connection of its own: pooled connections are busy with statements, a
/// subscription must stay. The connection's thread waits on the socket (half a second at a
/// time, so an ended stream is noticed), reconnects after a failure (one second apart) and
/// reports `.listening` each time it is subscribed again, so the consumer looks for what it
/// may have missed.
struct PostgresNotificationListener: Sendable {
    let parameters: [(String, String)]
    let logger: Logger

    func stream(channel: String) -> AsyncStream<SQLNotification> {
        let (stream, continuation) = AsyncStream.makeStream(of: SQLNotification.self, bufferingPolicy: .bufferingNewest(64))
        let stopped = StopFlag()
        let thread = ThreadPoolExecutor(threads: 1, name: "pakit-pg-listen")
        let parameters = self.parameters
        let logger = self.logger
        Task {
            await thread.run {
                Self.listen(channel: channel, parameters: parameters, logger: logger, continuation: continuation, stopped: stopped)
            }
            thread.shutdown()
            continuation.finish()
        }
        continuation.onTermination = { _ in stopped.set() }
        return stream
    }

    /// Runs on the listener's own thread until the stream ends.
    private static func listen(channel: String, parameters: [(String, String)], logger: Logger,
                               continuation: AsyncStream<SQLNotification>.Continuation, stopped: StopFlag) {
        while !stopped.isSet {
            do {
                try session(channel: channel, parameters: parameters, continuation: continuation, stopped: stopped)
            } catch {
                if !stopped.isSet {
                    logger.warning("PostgreSQL notifications interrupted; reconnecting in 1 s", metadata: ["channel": "\(channel)", "error": "\(error)"])
                }
            }
            // One second, in steps, so an ended stream stops the thread soon.
            for _ in 0..<4 where !stopped.isSet { usleep(250_000) }
        }
    }

    /// One connection: subscribe, then deliver notifications until it fails or the stream ends.
    private static func session(channel: String, parameters: [(String, String)],
                                continuation: AsyncStream<SQLNotification>.Continuation, stopped: StopFlag) throws(SQLError) {
        guard let handle = PostgresConnection.connectBlocking(parameters) else {
            throw SQLError.unavailable(PostgresConnection.noConnectionReason)
        }
        defer { PQfinish(handle) }
        guard PQstatus(handle) == CONNECTION_OK else { throw SQLError.unavailable(PostgresConnection.message(PQerrorMessage(handle))) }
        guard let escaped = PQescapeIdentifier(handle, channel, channel.utf8.count) else {
            throw SQLError.statement(PostgresConnection.message(PQerrorMessage(handle)))
        }
        let statement = "LISTEN \(String(cString: escaped))"
        PQfreemem(escaped)
        let result = PQexec(handle, statement)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            throw SQLError.statement(PostgresConnection.message(PQerrorMessage(handle)))
        }
        continuation.yield(.listening)
        let socket = PQsocket(handle)
        while !stopped.isSet {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 500)
            guard ready >= 0 || errno == EINTR else { throw SQLError.unavailable("poll on the notification connection failed: errno \(errno)") }
            guard ready > 0 else { continue }
            guard PQconsumeInput(handle) == 1 else { throw SQLError.unavailable(PostgresConnection.message(PQerrorMessage(handle))) }
            while let notification = PQnotifies(handle) {
                let payload = notification.pointee.extra.map { String(cString: $0) } ?? ""
                PQfreemem(notification)
                continuation.yield(.message(payload))
            }
        }
    }
}

/// Set once, when the consumer stops iterating.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
