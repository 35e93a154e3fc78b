import Foundation
import Logging
import NIOCore
import PakitConcurrency
import WSClient

/// Why a JSON-RPC call did not answer with a result.
public struct ChainRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No socket, or it closed before the answer.
        case disconnected
        /// No answer within the call's deadline.
        case timeout
        /// The node answered with a JSON-RPC error (`author/error.rs` codes for submissions).
        case node(code: Int)
        /// The node answered with something that is not the shape the method promises.
        case malformed
    }

    public let kind: Kind
    public let message: String
    /// The error's `data` (for 1010 the reason: "Transaction is outdated", …), as text.
    public let data: String?

    public init(_ kind: Kind, _ message: String, data: String? = nil) {
        self.kind = kind
        self.message = message
        self.data = data
    }

    public var code: Int? { if case .node(let code) = kind { code } else { nil } }

    public var description: String {
        switch kind {
        case .disconnected: "disconnected: \(message)"
        case .timeout: "timed out: \(message)"
        case .node(let code): "node error \(code): \(message)" + (data.map { " (\($0))" } ?? "")
        case .malformed: "malformed answer: \(message)"
        }
    }
}

/// A subscription's notifications: they end when the node ends the subscription's stream
/// (never, for heads) or the socket closes (subscriptions die with their socket).
public struct ChainSubscription: Sendable {
    public let id: String
    public let updates: AsyncStream<JSONValue>
}

/// JSON-RPC 2.0 over one WebSocket to a Substrate node (the legacy API the node serves), with
/// reconnection. Calls made while no socket is open fail at once with `.disconnected`; the
/// caller decides whether to wait (`waitForConnection`) and retry. Every (re)connection is
/// announced on `connections`, so a caller can reconcile before it resends anything.
public actor ChainRPCClient {
    public nonisolated let url: String
    /// Each new connection's number (1, 2, …), yielded once the socket is open.
    public nonisolated let connections: AsyncStream<Int>
    private let connectionsContinuation: AsyncStream<Int>.Continuation
    private let logger: Logger
    private let callTimeout: Duration

    private struct PendingCall {
        let continuation: CheckedContinuation<Result<JSONValue, ChainRPCError>, Never>
        /// For a subscribing call: registered under the id the answer carries, before the next
        /// message is read, so no notification can arrive unrouted.
        let subscription: AsyncStream<JSONValue>.Continuation?
    }

    private var outbound: WebSocketOutboundWriter?
    private var generation = 0
    private var nextID = 1
    private var pending: [Int: PendingCall] = [:]
    private var subscriptions: [String: AsyncStream<JSONValue>.Continuation] = [:]
    private var connectionWaiters: [CheckedContinuation<Void, Never>] = []
    private var runner: Task<Void, Never>?
    private var stopped = false
    public private(set) var lastConnectionError: String?

    /// The largest message accepted from the node (metadata is the largest answer: ~1 MB on
    /// production runtimes).
    public static let maximumMessage = 64 << 20

    public init(url: String, callTimeout: Duration = .seconds(30), logger: Logger) {
        self.url = url
        self.callTimeout = callTimeout
        self.logger = logger
        (connections, connectionsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
    }

    public var isConnected: Bool { outbound != nil }

    /// Starts connecting in the background (and reconnecting with back-off from 100 ms to 5 s).
    public func start() {
        guard runner == nil, !stopped else { return }
        runner = Task { await self.runConnections() }
    }

    /// Closes the socket and stops reconnecting; pending calls fail with `.disconnected`.
    public func shutdown() async {
        stopped = true
        if let outbound { try? await outbound.close(.normalClosure, reason: "shutting down") }
        runner?.cancel()
        let task = runner
        runner = nil
        await task?.value
        failEverything("the client shut down")
        connectionsContinuation.finish()
        for waiter in connectionWaiters { waiter.resume() }
        connectionWaiters.removeAll()
    }

    /// Waits until a socket is open (or the timeout passes, or the client stops); true when open.
    public func waitForConnection(timeout: Duration) async -> Bool {
        if outbound != nil { return true }
        if stopped { return false }
        let deadline = ContinuousClock.now + timeout
        while outbound == nil, !stopped, ContinuousClock.now < deadline {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                connectionWaiters.append(continuation)
                Task {
                    try? await Task.sleep(for: .milliseconds(100))
                    self.wakeWaiters()
                }
            }
        }
        return outbound != nil
    }

    /// Calls `method` and returns its `result`.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(ChainRPCError) -> JSONValue {
        try await send(method, params, subscription: nil)
    }

    /// Calls a subscribing method (`author_submitAndWatchExtrinsic`, `chain_subscribeFinalizedHeads`, …).
    public func subscribe(_ method: String, _ params: [JSONValue] = []) async throws(ChainRPCError) -> ChainSubscription {
        let (updates, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let result: JSONValue
        do {
            result = try await send(method, params, subscription: continuation)
        } catch {
            continuation.finish()
            throw error
        }
        guard let id = Self.subscriptionKey(result) else {
            continuation.finish()
            throw ChainRPCError(.malformed, "\(method) answered \(result) instead of a subscription id")
        }
        return ChainSubscription(id: id, updates: updates)
    }

    /// Ends a subscription (best effort: a closed socket has ended it already).
    public func unsubscribe(_ method: String, id: String) async {
        subscriptions.removeValue(forKey: id)?.finish()
        _ = try? await call(method, [.string(id)])
    }

    // MARK: the socket

    private func send(_ method: String, _ params: [JSONValue], subscription: AsyncStream<JSONValue>.Continuation?) async throws(ChainRPCError) -> JSONValue {
        guard let outbound else { throw ChainRPCError(.disconnected, "not connected to \(url)") }
        let id = nextID
        nextID += 1
        let request: JSONValue = .object(["jsonrpc": .string("2.0"), "id": .number(Double(id)), "method": .string(method), "params": .array(params)])
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        } catch {
            throw ChainRPCError(.malformed, "cannot encode \(method)'s parameters: \(error)")
        }
        let timeout = callTimeout
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<JSONValue, ChainRPCError>, Never>) in
            pending[id] = PendingCall(continuation: continuation, subscription: subscription)
            Task {
                do {
                    try await outbound.writeTextMessage(text)
                } catch {
                    self.resolve(id, .failure(ChainRPCError(.disconnected, "cannot send \(method): \(error)")))
                    return
                }
                try? await Task.sleep(for: timeout)
                self.resolve(id, .failure(ChainRPCError(.timeout, "\(method) got no answer within \(timeout)")))
            }
        }
        return try result.get()
    }

    private func resolve(_ id: Int, _ result: Result<JSONValue, ChainRPCError>) {
        guard let call = pending.removeValue(forKey: id) else { return }
        if case .success(let value) = result, let subscription = call.subscription, let key = Self.subscriptionKey(value) {
            subscriptions[key] = subscription
        }
        call.continuation.resume(returning: result)
    }

    private func runConnections() async {
        var delay = Duration.milliseconds(100)
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = Self.maximumMessage
        while !stopped, !Task.isCancelled {
            let openedAt = ContinuousClock.now
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    await self.opened(outbound)
                    for try await message in inbound.messages(maxSize: Self.maximumMessage) {
                        guard case .text(let text) = message else { continue }
                        await self.receive(text)
                    }
                }
                lastConnectionError = "the node closed the socket"
            } catch {
                lastConnectionError = "\(error)"
            }
            closed()
            if stopped || Task.isCancelled { break }
            // A socket that stayed open a while was healthy: start the back-off again.
            if ContinuousClock.now - openedAt > .seconds(10) { delay = .milliseconds(100) }
            logger.debug("chain node socket closed; reconnecting", metadata: ["url": "\(url)", "in": "\(delay)", "error": "\(lastConnectionError ?? "")"])
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    private func opened(_ writer: WebSocketOutboundWriter) {
        outbound = writer
        generation += 1
        lastConnectionError = nil
        logger.info("connected to the chain node", metadata: ["url": "\(url)", "connection": "\(generation)"])
        connectionsContinuation.yield(generation)
        wakeWaiters()
    }

    private func closed() {
        outbound = nil
        failEverything("the socket to \(url) closed")
    }

    private func failEverything(_ reason: String) {
        let calls = pending
        pending.removeAll()
        for (_, call) in calls { call.continuation.resume(returning: .failure(ChainRPCError(.disconnected, reason))) }
        let streams = subscriptions
        subscriptions.removeAll()
        for (_, stream) in streams { stream.finish() }
    }

    private func wakeWaiters() {
        let waiters = connectionWaiters
        connectionWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    private func receive(_ text: String) {
        guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), let object = message.object else {
            logger.warning("the chain node sent a message that is not a JSON object", metadata: ["bytes": "\(text.utf8.count)"])
            return
        }
        if let id = object["id"]?.integer {
            if let error = object["error"]?.object {
                let data: String? = switch error["data"] {
                case .string(let text): text
                case nil, .null: nil
                case let other?: (try? JSONEncoder().encode(other)).map { String(decoding: $0, as: UTF8.self) }
                }
                resolve(id, .failure(ChainRPCError(.node(code: error["code"]?.integer ?? 0), error["message"]?.string ?? "error", data: data)))
            } else {
                resolve(id, .success(object["result"] ?? .null))
            }
            return
        }
        guard let params = object["params"]?.object, let key = params["subscription"].flatMap(Self.subscriptionKey) else { return }
        subscriptions[key]?.yield(params["result"] ?? .null)
    }

    /// Nodes name subscriptions by strings or numbers; one key for both.
    static func subscriptionKey(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number: value.integer.map(String.init)
        default: nil
        }
    }
}
