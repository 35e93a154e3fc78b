import ArgumentParser
import Foundation
import PakitContracts

/// `pakit anchor CID [--no-wait]`: a file added on this node anchored on BelizeChain
/// (StorageProof.submit_storage_proof through the node's chain relay), waited for until its
/// block is finalized.
struct Anchor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Anchor a stored file on BelizeChain: its BLAKE2 Merkle root and a leaf's proof, through the chain relay (write).")
    @OptionGroup var node: NodeOptions
    @Flag(help: "Queue the submission and return at once.") var noWait = false
    @Argument(help: "CID of a file added on this node.") var cid: String

    func run() async throws {
        let anchor = try await NodeClient.with(node) { client in
            var anchor = try await client.json(AnchorResponse.self, .POST, "/v1/anchors", json: AnchorRequest(cid: cid))
            print("submission \(anchor.submission.id) \(anchor.submission.state.rawValue) (content id 0x\(anchor.contentID))")
            while !noWait && !anchor.submission.state.isFinal {
                try await Task.sleep(for: .milliseconds(250))
                anchor = try await client.json(AnchorResponse.self, .GET, "/v1/anchors/\(cid)")
            }
            return anchor
        }
        let submission = anchor.submission
        switch submission.state {
        case .finalized:
            print("anchored \(anchor.cid) in finalized block \(submission.blockNumber.map(String.init) ?? "?") \(submission.blockHash ?? "") "
                  + "(extrinsic \(submission.extrinsicIndex.map(String.init) ?? "?"), tx \(submission.txHash ?? ""))")
            if let note = submission.note { print(note) }
        case .failed:
            throw CLIError("anchoring \(anchor.cid) failed: \(submission.error ?? "no reason given")")
        default:
            print("\(submission.state.rawValue): the relay submits it and follows it to a finalized block ('pakit anchor \(cid)' again shows where it is)")
        }
    }
}
