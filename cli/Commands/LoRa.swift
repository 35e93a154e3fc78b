import ArgumentParser
import Foundation
import PakitContracts

/// `pakit lora status|peers|providers|fetch|transfers|broadcast|alerts|mesh`: the node's LoRa bridge (a Meshtastic radio, or the radio
/// simulator under `pakit up --radio-sim N`).
struct LoRaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora", abstract: "Off-grid access over a Meshtastic LoRa mesh (the node's LoRa bridge).",
        subcommands: [Status.self, PeersList.self, Providers.self, Fetch.self, Transfers.self, Broadcast.self, Alerts.self, MeshPallet.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The radio: device, preset, airtime used, duty-cycle headroom, queue.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the bridge's JSON answer.") var json = false

        func run() async throws {
            let radio = try await NodeClient.with(node, service: .loraBridge) { client in
                try await client.json(RadioStatus.self, .GET, "/v1/radio")
            }
            if json { return try printJSON(radio) }
            guard radio.connected else {
                print("radio \(radio.endpoint): not connected (the bridge keeps trying)")
                return
            }
            print("radio \(radio.endpoint): node \(radio.node?.id ?? "?"), firmware \(radio.firmwareVersion ?? "?"), "
                  + "\(radio.preset ?? "?") in \(radio.region ?? "?"), hop limit \(radio.hopLimit.map(String.init) ?? "?")")
            print(String(format: "airtime %.1f s in the last hour of %.0f%% duty cycle (headroom %.1f s); link loss estimate %.0f%%; queue %d/%d free; %d transfers",
                         radio.airtimeLastHourMs / 1000, radio.dutyCyclePercent, radio.dutyCycleHeadroomMs / 1000,
                         radio.linkLossEstimate * 100, radio.queueFree, radio.queueLength, radio.activeTransfers))
        }
    }

    struct PeersList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "peers", abstract: "The nodes the radio knows, and the index each announces.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the bridge's JSON answer.") var json = false

        func run() async throws {
            let list = try await NodeClient.with(node, service: .loraBridge) { client in
                try await client.json(LoRaPeerList.self, .GET, "/v1/lora/peers")
            }
            if json { return try printJSON(list) }
            printPeers(list.peers)
        }
    }

    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The radio peers whose announced index holds a CID, nearest first.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the bridge's JSON answer.") var json = false
        @Argument(help: "The CID.") var cid: String

        func run() async throws {
            let list = try await NodeClient.with(node, service: .loraBridge) { client in
                try await client.json(LoRaPeerList.self, .GET, "/v1/lora/providers/\(cid)")
            }
            if json { return try printJSON(list) }
            printPeers(list.peers)
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a small block by CID over LoRa, verify it and store it on this node (waits until it is stored or failed).")
        @OptionGroup var node: NodeOptions
        @Option(help: "The node to ask: its number or !%08x id (default: the nearest that announces the CID).") var peer: String?
        @Flag(help: "Start the transfer and return at once.") var noWait = false
        @Flag(help: "Print the transfer's final JSON (exit status 1 if it failed).") var json = false
        @Argument(help: "CID of the block (a small file's root).") var cid: String

        func run() async throws {
            let transfer = try await NodeClient.with(node, service: .loraBridge) { client in
                var transfer = try await client.json(LoRaTransfer.self, .POST, "/v1/lora/fetch", json: LoRaFetchRequest(cid: cid, peer: peer))
                if !json { print("transfer \(transfer.id): asking \(transfer.peer.id) for \(transfer.cid)") }
                while !noWait && transfer.state == .requesting {
                    try await Task.sleep(for: .milliseconds(250))
                    transfer = try await client.json(LoRaTransfer.self, .GET, "/v1/lora/transfers/\(transfer.id)")
                }
                return transfer
            }
            if json {
                try printJSON(transfer)
                if transfer.state == .failed { throw ExitCode.failure }
                return
            }
            switch transfer.state {
            case .stored:
                print("stored \(transfer.cid) (\(transfer.size ?? 0) bytes) from \(transfer.peer.id): \(transfer.requests) request(s), "
                      + "\(transfer.fragmentsReceived)/\(transfer.fragmentsTotal ?? 0) fragments, \(transfer.recoveredFromParity) rebuilt from parity, "
                      + String(format: "%.1f s of radio time", (transfer.elapsedMs ?? 0) / 1000))
            case .failed:
                throw CLIError("fetching \(transfer.cid) over LoRa failed: \(transfer.error ?? "no reason given")")
            case .requesting:
                print("requesting: 'pakit lora fetch' shows progress at GET /v1/lora/transfers/\(transfer.id)")
            }
        }
    }
}

extension LoRaCommand {
    struct Transfers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Transfers over LoRa: one by id, or the latest.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the bridge's JSON answer.") var json = false
        @Argument(help: "A transfer id (default: list the latest).") var id: String?

        func run() async throws {
            let transfers = try await NodeClient.with(node, service: .loraBridge) { client in
                if let id { return [try await client.json(LoRaTransfer.self, .GET, "/v1/lora/transfers/\(id)")] }
                return try await client.json([LoRaTransfer].self, .GET, "/v1/lora/transfers")
            }
            if json { return try printJSON(id == nil ? AnyEncodable(transfers) : AnyEncodable(transfers[0])) }
            for transfer in transfers {
                print("\(transfer.id)  \(transfer.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))  \(transfer.cid)  from \(transfer.peer.id)  "
                      + "\(transfer.fragmentsReceived)/\(transfer.fragmentsTotal.map(String.init) ?? "?") fragments, \(transfer.requests) request(s)"
                      + (transfer.error.map { "  \($0)" } ?? ""))
            }
        }
    }
}

extension LoRaCommand {
    struct Broadcast: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Broadcast an emergency message over the LoRa mesh, signed with this node's key (repeated until a relay is heard).")
        @OptionGroup var node: NodeOptions
        @Option(help: "0 advisory, 1 watch, 2 warning, 3 emergency, 4 catastrophic.") var severity = 2
        @Flag(help: "Print the bridge's JSON answer.") var json = false
        @Argument(help: "The message (at most 124 bytes of UTF-8).") var message: String

        func run() async throws {
            let alert = try await NodeClient.with(node, service: .loraBridge) { client in
                try await client.json(LoRaAlert.self, .POST, "/v1/lora/broadcast", json: LoRaBroadcastRequest(message: message, severity: severity))
            }
            if json { return try printJSON(alert) }
            print("alert \(alert.id) issued; 'pakit lora alerts' shows whether a relay was heard")
        }
    }

    struct Alerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Emergency alerts this node issued or heard, newest first.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the bridge's JSON answer.") var json = false

        func run() async throws {
            let list = try await NodeClient.with(node, service: .loraBridge) { client in
                try await client.json(LoRaAlertList.self, .GET, "/v1/lora/alerts")
            }
            if json { return try printJSON(list) }
            let severities = ["advisory", "watch", "warning", "emergency", "catastrophic"]
            for alert in list.alerts {
                let when = Date(timeIntervalSince1970: TimeInterval(alert.issuedAt)).formatted(.iso8601)
                let origin = alert.own ? "this node, \(alert.transmissions) transmission(s), relay \(alert.relayHeard ? "heard" : "not heard yet")"
                    : "heard from \(alert.heardFrom.id), key \(alert.publicKey.prefix(16))…\(alert.trusted ? " (trusted)" : " (not in --alert-keys)")"
                print("\(when)  \(severities[min(max(alert.severity, 0), 4)].uppercased())  \(alert.message)\n    \(alert.id): \(origin)")
            }
        }
    }
}

extension LoRaCommand {
    /// `pakit lora mesh register|transaction|queue`: Mesh-pallet calls the bridge queues durably
    /// and hands to the chain relay (or, off-grid, to a gateway node over LoRa).
    struct MeshPallet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mesh", abstract: "Mesh-pallet calls queued by the LoRa bridge for the chain relay.",
            subcommands: [Register.self, Transaction.self, Queue.self])

        struct Register: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Queue Mesh.register_node for this node's radio (then a heartbeat every --mesh-heartbeat seconds).")
            @OptionGroup var node: NodeOptions
            @Option(help: "Degrees × 10⁶, e.g. 17250000.") var latitude: Int32
            @Option(help: "Degrees × 10⁶, e.g. -88770000.") var longitude: Int32
            @Option(help: "Metres.") var altitude: Int16 = 0
            @Option(help: "0 Belize, 1 Cayo, 2 Orange Walk, 3 Corozal, 4 Stann Creek, 5 Toledo.") var district: UInt8
            @Option(help: "MeshNodeRole: 0 client, 1 router, 2 router-client, 3 gateway, 4 validator relay, 5 emergency beacon.") var role: UInt8 = 3
            @Option(help: "MeshHardware: 0 Heltec V3 … 6 custom, 7 unknown.") var hardware: UInt8 = 7
            @Option(help: "TerrainType: 0 coastal … 3 rural flat … 7 river valley.") var terrain: UInt8 = 3
            @Flag(help: "Print the bridge's JSON answer.") var json = false

            func run() async throws {
                let entry = try await NodeClient.with(node, service: .loraBridge) { client in
                    try await client.json(LoRaChainQueueEntry.self, .POST, "/v1/lora/mesh/register", json: LoRaMeshRegistration(
                        role: role, hardware: hardware, latitude: latitude, longitude: longitude, altitude: altitude, district: district, terrain: terrain))
                }
                if json { return try printJSON(entry) }
                print("queued \(entry.call) as \(entry.key); 'pakit lora mesh queue' shows when the chain relay took it")
            }
        }

        struct Transaction: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Queue Mesh.submit_mesh_transaction: for this node's chain relay, or over LoRa to --gateway.")
            @OptionGroup var node: NodeOptions
            @Option(help: "32 bytes, hex.") var txHash: String
            @Option(help: "0 DALLA transfer, 1 bBZD transfer, 2 governance vote, 3 identity ping, 4 node status.") var txType: UInt8
            @Option(help: "4 bytes, hex.") var sender: String
            @Option(help: "4 bytes, hex.") var recipient: String
            @Option(help: "Amount (Planck).") var amount: UInt64 = 0
            @Option(help: "The sender's nonce.") var nonce: UInt32 = 0
            @Option(help: "32 bytes, hex, not all zero.") var signatureHash: String
            @Option(help: "A gateway node (number or !%08x id) to send it to over LoRa; default: this node's chain relay.") var gateway: String?
            @Flag(help: "Print the bridge's JSON answer.") var json = false

            func run() async throws {
                let entry = try await NodeClient.with(node, service: .loraBridge) { client in
                    try await client.json(LoRaChainQueueEntry.self, .POST, "/v1/lora/mesh/transactions", json: LoRaMeshTransactionRequest(
                        txHash: txHash, txType: txType, sender: sender, recipient: recipient, amount: amount, nonce: nonce,
                        signatureHash: signatureHash, gateway: gateway))
                }
                if json { return try printJSON(entry) }
                print("queued \(entry.call) as \(entry.key) for \(entry.route)")
            }
        }

        struct Queue: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The Mesh-pallet calls the bridge holds or handed on, newest first.")
            @OptionGroup var node: NodeOptions
            @Flag(help: "Print the bridge's JSON answer.") var json = false

            func run() async throws {
                let queue = try await NodeClient.with(node, service: .loraBridge) { client in
                    try await client.json(LoRaChainQueue.self, .GET, "/v1/lora/chain-queue")
                }
                if json { return try printJSON(queue) }
                print("\(queue.pending) waiting; chain relay: \(queue.chainRelay ?? "none (not a gateway)")")
                for entry in queue.entries {
                    print("\(entry.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(entry.call)  → \(entry.route)  \(entry.key)"
                          + (entry.submissionID.map { "  submission \($0)" } ?? "") + (entry.lastError.map { "  (\(entry.attempts) attempts: \($0))" } ?? ""))
                }
            }
        }
    }
}

private func printPeers(_ peers: [LoRaPeer]) {
    print("NODE       NAME                  KEY  HOPS  SNR    INDEX")
    for peer in peers {
        let index = peer.indexEntries.map { "\($0)\(peer.indexInStep == false ? " (resyncing)" : "")" } ?? "-"
        print("\(peer.node.id)  \(peer.longName.padding(toLength: 20, withPad: " ", startingAt: 0))  "
              + "\(peer.hasPublicKey ? "yes" : "no ")  \(peer.hopsAway.map { String($0) } ?? "?")     "
              + "\((peer.snr.map { String(format: "%.1f", $0) } ?? "?").padding(toLength: 5, withPad: " ", startingAt: 0))  \(index)")
    }
}

private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

private func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
