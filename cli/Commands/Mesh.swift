import ArgumentParser
import Foundation
import PakitContracts

/// `pakit peers`: the members this node's mesh gateway knows, with their SWIM status.
struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the mesh members this node knows.")

    @OptionGroup var node: NodeOptions

    @Flag(name: .long, help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        let answer = try await NodeClient.with(node, service: .meshGateway) { client in
            try await client.json(MeshPeersResponse.self, .GET, "/v1/peers")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        print("this node \(answer.node.peerID) at \(answer.node.meshAddress) (incarnation \(answer.node.incarnation))")
        // SCORE is the peer's gossip score here; "*" marks this node's announcement-mesh peers.
        var rows = [["PEER", "STATUS", "INCARNATION", "MESH", "STORAGE", "FOR", "SCORE"]]
        for peer in answer.peers {
            rows.append([peer.peerID, peer.status.rawValue, "\(peer.incarnation)", peer.meshAddress, peer.storageURL.isEmpty ? "-" : peer.storageURL,
                         String(format: "%.0fs", peer.secondsInStatus), String(format: "%.1f", peer.score) + (peer.inMesh ? "*" : "")])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        if answer.peers.isEmpty { print("(no other members yet: start another node with --seeds \(try gatewayURL()))") }
    }

    private func gatewayURL() throws -> String {
        (try? String(contentsOfFile: "\(node.dataDirectory)/mesh-gateway.url", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "<this gateway's URL>"
    }
}

/// `pakit providers CID`: the nodes this node's mesh gateway knows to hold a CID.
struct Providers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the nodes that hold a CID (from the mesh's provider announcements).")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The CID.")
    var cid: String

    @Flag(name: .long, help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        guard cid.utf8.count <= 256, cid.allSatisfy({ $0.isLetter || $0.isNumber }) else { throw CLIError("'\(cid.prefix(80))' is not a CID") }
        let answer = try await NodeClient.with(node, service: .meshGateway) { client in
            try await client.json(ProvidersResponse.self, .GET, "/v1/providers/\(cid)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
        }
        if answer.providers.isEmpty { print("no known provider of \(answer.cid)") }
        for provider in answer.providers {
            print("\(provider.peerID)  \(provider.status.rawValue)  \(provider.storageURL.isEmpty ? "-" : provider.storageURL)")
        }
    }
}
