import PakitChain
import PakitCore

/// A block header as `chain_getHeader` and the head subscriptions give it.
public struct ChainHeader: Sendable, Equatable {
    public let hash: [UInt8]
    public let parentHash: [UInt8]
    public let number: UInt32
}

/// The runtime version fields the relay signs with and checks.
public struct RuntimeVersion: Sendable, Equatable {
    public let specName: String
    public let specVersion: UInt32
    public let transactionVersion: UInt32
}

/// The node's legacy JSON-RPC methods the relay uses, typed (reference §11): every answer is
/// checked for shape before it is used.
public struct ChainNode: Sendable {
    public let rpc: ChainRPCClient

    public init(rpc: ChainRPCClient) { self.rpc = rpc }

    public func genesisHash() async throws(ChainRPCError) -> [UInt8] {
        guard let hash = try await blockHash(number: 0) else { throw ChainRPCError(.malformed, "the node has no block 0") }
        return hash
    }

    public func blockHash(number: UInt32) async throws(ChainRPCError) -> [UInt8]? {
        let result = try await rpc.call("chain_getBlockHash", [.number(Double(number))])
        if result.isNull { return nil }
        return try Self.hash(result, "chain_getBlockHash")
    }

    public func finalizedHead() async throws(ChainRPCError) -> [UInt8] {
        try Self.hash(try await rpc.call("chain_getFinalizedHead"), "chain_getFinalizedHead")
    }

    public func header(_ hash: [UInt8]? = nil) async throws(ChainRPCError) -> ChainHeader {
        let result = try await rpc.call("chain_getHeader", hash.map { [.string(Hex.prefixed($0))] } ?? [])
        return try Self.header(result, hash: hash)
    }

    /// A block's extrinsics, as the bytes the block carries.
    public func blockExtrinsics(_ hash: [UInt8]) async throws(ChainRPCError) -> (header: ChainHeader, extrinsics: [[UInt8]]) {
        let result = try await rpc.call("chain_getBlock", [.string(Hex.prefixed(hash))])
        guard let block = result["block"], let list = block["extrinsics"]?.array, let headerValue = block["header"] else {
            throw ChainRPCError(.malformed, "chain_getBlock answered no block for \(Hex.prefixed(hash))")
        }
        var extrinsics: [[UInt8]] = []
        for item in list {
            guard let bytes = item.hexBytes else { throw ChainRPCError(.malformed, "chain_getBlock: an extrinsic is not hex") }
            extrinsics.append(bytes)
        }
        return (try Self.header(headerValue, hash: hash), extrinsics)
    }

    public func storage(_ key: [UInt8], at block: [UInt8]? = nil) async throws(ChainRPCError) -> [UInt8]? {
        var params: [JSONValue] = [.string(Hex.prefixed(key))]
        if let block { params.append(.string(Hex.prefixed(block))) }
        let result = try await rpc.call("state_getStorage", params)
        if result.isNull { return nil }
        guard let bytes = result.hexBytes else { throw ChainRPCError(.malformed, "state_getStorage answered \(result)") }
        return bytes
    }

    public func runtimeVersion(at block: [UInt8]? = nil) async throws(ChainRPCError) -> RuntimeVersion {
        try Self.runtimeVersion(try await rpc.call("state_getRuntimeVersion", block.map { [.string(Hex.prefixed($0))] } ?? []))
    }

    /// `state_getMetadata`: the prefixed metadata bytes (`meta` ‖ version ‖ …).
    public func metadata(at block: [UInt8]? = nil) async throws(ChainRPCError) -> [UInt8] {
        let result = try await rpc.call("state_getMetadata", block.map { [.string(Hex.prefixed($0))] } ?? [])
        guard let bytes = result.hexBytes else { throw ChainRPCError(.malformed, "state_getMetadata answered no hex") }
        return bytes
    }

    /// The account's nonce in the state at `block` (System.Account; 0 for an account the chain
    /// has never seen).
    public func accountNonce(_ account: [UInt8], at block: [UInt8]) async throws(ChainRPCError) -> UInt32 {
        let key: [UInt8]
        do {
            key = try StorageValue.AccountInfo.key(account)
        } catch {
            throw ChainRPCError(.malformed, "\(error)")
        }
        guard let bytes = try await storage(key, at: block) else { return 0 }
        do {
            return try StorageValue.AccountInfo.decode(bytes).nonce
        } catch {
            throw ChainRPCError(.malformed, "System.Account: \(error)")
        }
    }

    /// `system_accountNextIndex`: the state nonce advanced past the node's ready queue (not its
    /// future queue), so a value below a nonce the relay sent means that transaction is missing
    /// from the pool.
    public func accountNextIndex(_ ss58: String) async throws(ChainRPCError) -> UInt32 {
        let result = try await rpc.call("system_accountNextIndex", [.string(ss58)])
        guard let value = result.integer, let nonce = UInt32(exactly: value) else {
            throw ChainRPCError(.malformed, "system_accountNextIndex answered \(result)")
        }
        return nonce
    }

    public func submitAndWatch(_ extrinsic: [UInt8]) async throws(ChainRPCError) -> ChainSubscription {
        try await rpc.subscribe("author_submitAndWatchExtrinsic", [.string(Hex.prefixed(extrinsic))])
    }

    public func unwatch(_ subscription: ChainSubscription) async {
        await rpc.unsubscribe("author_unwatchExtrinsic", id: subscription.id)
    }

    public func subscribeFinalizedHeads() async throws(ChainRPCError) -> ChainSubscription {
        try await rpc.subscribe("chain_subscribeFinalizedHeads")
    }

    public func subscribeNewHeads() async throws(ChainRPCError) -> ChainSubscription {
        try await rpc.subscribe("chain_subscribeNewHeads")
    }

    public func subscribeRuntimeVersion() async throws(ChainRPCError) -> ChainSubscription {
        try await rpc.subscribe("state_subscribeRuntimeVersion")
    }

    // MARK: shapes

    static func hash(_ value: JSONValue, _ method: String) throws(ChainRPCError) -> [UInt8] {
        guard let bytes = value.hexBytes, bytes.count == 32 else { throw ChainRPCError(.malformed, "\(method) answered \(value), not a 32-byte hash") }
        return bytes
    }

    /// A header; its hash is BLAKE2-256 of the SCALE header on a real node, which the relay does
    /// not re-encode: the hash comes from the request, or for streamed heads from the number's
    /// `chain_getBlockHash` (`hash` nil here means "look it up").
    static func header(_ value: JSONValue, hash: [UInt8]?) throws(ChainRPCError) -> ChainHeader {
        guard let parent = value["parentHash"]?.hexBytes, parent.count == 32, let numberText = value["number"]?.string,
              let number = Self.hexNumber(numberText) else {
            throw ChainRPCError(.malformed, "a header without parentHash and a hex number")
        }
        return ChainHeader(hash: hash ?? [], parentHash: parent, number: number)
    }

    static func hexNumber(_ text: String) -> UInt32? {
        guard text.hasPrefix("0x"), text.count > 2, text.count <= 10 else { return nil }
        return UInt32(text.dropFirst(2), radix: 16)
    }

    static func runtimeVersion(_ value: JSONValue) throws(ChainRPCError) -> RuntimeVersion {
        guard let name = value["specName"]?.string, let spec = value["specVersion"]?.integer, let transaction = value["transactionVersion"]?.integer,
              let specVersion = UInt32(exactly: spec), let transactionVersion = UInt32(exactly: transaction) else {
            throw ChainRPCError(.malformed, "a runtime version without specName, specVersion and transactionVersion")
        }
        return RuntimeVersion(specName: name, specVersion: specVersion, transactionVersion: transactionVersion)
    }
}
