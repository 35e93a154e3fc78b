import Logging
import PostgresNIO
import Synchronization

/// `LISTEN` on a connection of its own: pooled connections come and go, a subscription must
/// stay. The loop reconnects after a failure (one second apart) and reports `.listening` each
/// time it is subscribed again, so the consumer looks for what it may have missed.
struct PostgresNotificationListener: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger

    func stream(channel: String) -> AsyncStream<SQLNotification> {
        let (stream, continuation) = AsyncStream.makeStream(of: SQLNotification.self, bufferingPolicy: .bufferingNewest(64))
        let current = Mutex<PostgresConnection?>(nil)
        let configuration = self.configuration
        let logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                    current.withLock { $0 = connection }
                    defer { current.withLock { $0 = nil } }
                    do {
                        try await connection.listen(on: channel) { notifications in
                            continuation.yield(.listening)
                            for try await notification in notifications {
                                continuation.yield(.message(notification.payload))
                            }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.warning("PostgreSQL notifications interrupted; reconnecting", metadata: ["channel": "\(channel)", "error": "\(error)"])
                        }
                    }
                    try? await connection.close()
                } catch {
                    if !Task.isCancelled {
                        logger.warning("cannot listen for PostgreSQL notifications; retrying", metadata: ["channel": "\(channel)", "error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            task.cancel()
            // Closing the connection ends the notification sequence the task is waiting in.
            if let connection = current.withLock({ $0 }) { connection.close().whenComplete { _ in } }
        }
        return stream
    }
}
