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
            let started = ContinuousClock.now
            while !noWait && !anchor.submission.state.isFinal && !Self.stillUnsigned(anchor.submission, since: started) {
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
        case .queued:
            print("queued: the relay signs nothing until it reaches a chain (pakit up --chain-url URL, or --devchain); it is kept and "
                  + "sent then ('pakit anchor \(cid)' again shows where it is)")
        default:
            print("\(submission.state.rawValue): the relay submits it and follows it to a finalized block ('pakit anchor \(cid)' again shows where it is)")
        }
    }

    /// Still unsigned after 20 s: the relay has no chain it may sign for, so waiting longer
    /// would hang; the submission stays in its outbox.
    static func stillUnsigned(_ submission: SubmissionRecord, since start: ContinuousClock.Instant) -> Bool {
        submission.state == .queued && ContinuousClock.now - start > .seconds(20)
    }
}

/// `pakit site publish CID NAME.bz [--no-wait]`, `pakit site show NAME.bz`: a `.bz` website
/// on BelizeChain's Bns pallet, served by this node for Host NAME.bz.
struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Host stored content as a .bz website (Bns, through the chain relay).",
        subcommands: [Publish.self, Show.self])

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point NAME.bz at a stored DAG: register and activate the name, or update its content (write).")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Queue the submissions and return at once.") var noWait = false
        @Argument(help: "CID of the site's root (a directory with index.html).") var cid: String
        @Argument(help: "The name, e.g. clinic.bz.") var domain: String

        func run() async throws {
            try await NodeClient.with(node) { client in
                let site = try await client.json(SiteResponse.self, .POST, "/v1/sites", json: SiteRequest(domain: domain, cid: cid))
                for submission in site.submissions { print("submission \(submission.id) \(submission.call.name) \(submission.state.rawValue)") }
                if noWait { return }
                for submission in site.submissions {
                    var record = submission
                    let started = ContinuousClock.now
                    while !record.state.isFinal && !Anchor.stillUnsigned(record, since: started) {
                        try await Task.sleep(for: .milliseconds(250))
                        record = try await client.json(SubmissionRecord.self, .GET, "/v1/chain/submissions/\(submission.id)")
                    }
                    print("\(record.call.name): \(record.state.rawValue)" + (record.error.map { " (\($0))" } ?? "")
                          + (record.state == .queued ? " (the relay signs nothing until it reaches a chain; it is kept and sent then)" : ""))
                }
                let status = try await client.json(SiteStatus.self, .GET, "/v1/sites/\(site.domain)")
                print("\(status.domain) → \(status.cid ?? "content 0x\(status.contentID)") (finalized block \(status.finalizedNumber))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where NAME.bz points in the finalized state.")
        @OptionGroup var node: NodeOptions
        @Argument(help: "The name, e.g. clinic.bz.") var domain: String

        func run() async throws {
            let status = try await NodeClient.with(node) { client in try await client.json(SiteStatus.self, .GET, "/v1/sites/\(domain)") }
            print("\(status.domain) → \(status.cid ?? "content 0x\(status.contentID) (not published from this node)") (finalized block \(status.finalizedNumber))")
        }
    }
}
