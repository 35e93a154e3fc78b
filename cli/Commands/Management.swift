import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitHTTPClient

/// `pakit pin add|rm|ls`.
struct PinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pin", abstract: "Manage pins.",
                                                    subcommands: [PinAdd.self, PinRemove.self, PinList.self, PinShow.self])

    struct PinAdd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Pin a DAG (blocks this node lacks are fetched from the mesh).")
        @OptionGroup var node: NodeOptions
        @Option(help: "A name for the pin.") var name: String?
        @Option(help: "Copies wanted in the network, this node's included (default: the node's replication-factor).") var replicas: Int?
        @Argument var cid: String
        func run() async throws {
            let pin = try await NodeClient.with(node) {
                try await $0.json(Pin.self, .POST, "/v1/pins", json: PinRequest(cid: cid, name: name, replicas: replicas))
            }
            print("pinned \(pin.cid)" + ((pin.replicas ?? 1) > 1 ? " (\(pin.replicas ?? 1) copies wanted; replicas are being placed)" : ""))
        }
    }

    /// `pakit pin show CID`: the pin and where its replicas are.
    struct PinShow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a pin and its replicas.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Print the JSON answer.") var json = false
        @Argument var cid: String
        func run() async throws {
            let status = try await NodeClient.with(node) { try await $0.json(PinStatus.self, .GET, "/v1/pins/\(cid)") }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            print("\(status.pin.cid)  \(PinList.copies(status.pin))")
            for replica in status.replicas {
                print("  \(replica.peerID)  \(replica.state.rawValue)  \(replica.storageURL)  \(replica.updatedAt)"
                      + (replica.reason.map { "  (\($0))" } ?? ""))
            }
        }
    }

    struct PinRemove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Unpin (GC may then remove the blocks).")
        @OptionGroup var node: NodeOptions
        @Argument var cid: String
        func run() async throws {
            try await NodeClient.with(node) { client in
                _ = try await client.send(.DELETE, "/v1/pins/\(cid)", limit: 1 << 20)
            }
            print("unpinned \(cid)")
        }
    }

    struct PinList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List pins with their copies: held/wanted.")
        @OptionGroup var node: NodeOptions

        /// `copies 2/3` (this node and confirmed replicas, of k), or whom a replica is held for.
        static func copies(_ pin: Pin) -> String {
            if let origins = pin.replicaFor, !origins.isEmpty, (pin.replicas ?? 1) <= 1, (pin.confirmedReplicas ?? 0) == 0 {
                return "replica for \(origins.joined(separator: ","))"
            }
            return "copies \(1 + (pin.confirmedReplicas ?? 0))/\(pin.replicas ?? 1)"
        }
        func run() async throws {
            try await NodeClient.with(node) { client in
                var after: String? = nil
                repeat {
                    let page = try await client.json(PakitContracts.PinList.self, .GET, "/v1/pins?limit=1000" + (after.map { "&after=\($0)" } ?? ""))
                    for pin in page.pins { print(pin.cid + "  " + Self.copies(pin) + (pin.name.map { "  \($0)" } ?? "")) }
                    after = page.next
                } while after != nil
            }
        }
    }
}

/// `pakit car export CID -o FILE`, `pakit car import FILE`.
struct CARCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "car", abstract: "Export or import CAR files.",
                                                    subcommands: [Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the DAG under CID as a CARv1.")
        @OptionGroup var node: NodeOptions
        @Option(name: .shortAndLong, help: "Output file ('-' for standard output).") var output: String = "-"
        @Argument var cid: String
        func run() async throws {
            try await NodeClient.with(node) { client in
                let response = try await client.download("/v1/car/\(cid)")
                let handle: FileHandle
                if output == "-" { handle = .standardOutput } else {
                    guard FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) else {
                        throw CLIError("cannot create \(output)")
                    }
                    handle = file
                }
                for try await buffer in response.body { try Output.write(buffer, to: handle) }
                if output != "-" { try handle.close() }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a CARv1 (every block verified) and pin its roots.")
        @OptionGroup var node: NodeOptions
        @Flag(help: "Do not pin the roots.") var noPin = false
        @Argument var file: String
        func run() async throws {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot open \(file)") }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            let result = try await NodeClient.with(node, http1Only: true) { client in
                try await client.json(CARImportResponse.self, .POST, "/v1/car?pin=\(!noPin)",
                                      body: .stream(.stream(FileByteChunks(handle: handle), length: .known(Int64(size)))),
                                      contentType: "application/vnd.ipld.car")
            }
            print("imported \(result.blocks) blocks, roots: \(result.roots.joined(separator: " "))")
        }
    }
}

/// `pakit gc`.
struct GC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove blocks no pin reaches (admin).")
    @OptionGroup var node: NodeOptions
    func run() async throws {
        let result = try await NodeClient.with(node) { try await $0.json(GCResponse.self, .POST, "/v1/gc") }
        print("removed \(result.removedBlocks) blocks, freed \(result.freedBytes) bytes")
    }
}

/// `pakit verify`: check every stored block against its CID; `pakit verify PROOF-ID` or
/// `pakit verify --proof proof.json --public public.json --circuit NAME`: check a storage proof.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify every stored block against its CID (admin), or a storage proof (exit 0 valid, 1 invalid).",
        discussion: "Without arguments: re-hash every stored block against its CID (admin). With a PROOF-ID: verify a proof the node made. With --proof, --public and --circuit: verify snarkjs files against the circuit's published key (or against --key verification_key.json).")
    @OptionGroup var node: NodeOptions
    @Argument(help: "A proof id from 'pakit prove'.") var proofID: String?
    @Option(help: "snarkjs proof.json.") var proof: String?
    @Option(name: .customLong("public"), help: "snarkjs public.json (the public signals).") var publicSignals: String?
    @Option(help: "Circuit whose published key is used: storage-single or storage-batch-<n>.") var circuit: String?
    @Option(help: "snarkjs verification_key.json to verify against instead of the published key.") var key: String?

    func validate() throws {
        let files = proof != nil || publicSignals != nil || circuit != nil || key != nil
        if proofID != nil && files { throw ValidationError("give a proof id or proof files, not both") }
        if files && (proof == nil || publicSignals == nil || (circuit == nil && key == nil)) {
            throw ValidationError("verifying files needs --proof, --public and --circuit (or --key)")
        }
    }

    func run() async throws {
        if proofID == nil && proof == nil {
            let result = try await NodeClient.with(node) { try await $0.json(RepoVerifyResponse.self, .POST, "/v1/repo/verify") }
            print("checked \(result.checked) blocks: \(result.missing.count) missing, \(result.corrupt.count) corrupt")
            if !result.missing.isEmpty || !result.corrupt.isEmpty { throw ExitCode(1) }
            return
        }
        let (answer, name) = try await NodeClient.with(node) { client -> (VerifyResponse, String) in
            let request: VerifyRequest
            if let proofID {
                let record = try await client.json(ProofRecord.self, .GET, "/v1/proofs/\(proofID)")
                guard record.status == .done, let bundle = record.bundle else {
                    throw CLIError("proof \(proofID) is \(record.status.rawValue)\(record.error.map { ": \($0)" } ?? ""); nothing to verify yet")
                }
                request = VerifyRequest(circuit: bundle.circuit, proof: bundle.proof, publicSignals: bundle.publicSignals)
            } else {
                request = VerifyRequest(circuit: circuit, verifyingKey: try key.map { try Self.read(SnarkjsVerifyingKey.self, $0) },
                                        proof: try Self.read(SnarkjsProof.self, proof ?? ""),
                                        publicSignals: try Self.read([String].self, publicSignals ?? ""))
            }
            return (try await client.json(VerifyResponse.self, .POST, "/v1/proofs/verify", json: request), request.circuit ?? "given key")
        }
        let label = answer.development == true ? ", development key (INSECURE)" : ""
        if answer.valid {
            print("valid (\(name)\(label))")
        } else {
            print("invalid (\(name)\(label)): \(answer.reason ?? "the proof does not verify")")
            throw ExitCode(1)
        }
    }

    static func read<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw CLIError("\(path) is not a snarkjs \(T.self == [String].self ? "public.json" : "\(T.self)") file: \(error)")
        }
    }
}

/// `pakit token create --name N --scope read,write`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token (admin); the secret is printed once.")
        @OptionGroup var node: NodeOptions
        @Option(help: "A name for the token.") var name: String
        @Option(help: "Comma-separated scopes: read, write, admin.") var scope: String = "read"
        func run() async throws {
            let scopes = scope.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let result = try await NodeClient.with(node) {
                try await $0.json(TokenCreateResponse.self, .POST, "/v1/tokens", json: TokenCreateRequest(name: name, scopes: scopes))
            }
            print(result.token)
        }
    }
}

/// `pakit share CID [--path P] [--expires SECONDS]`.
struct Share: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a signed, expiring link to a file.")
    @OptionGroup var node: NodeOptions
    @Option(help: "Path inside a directory.") var path: String?
    @Option(help: "Lifetime in seconds (default 86400).") var expires: Int = 86_400
    @Argument var cid: String
    func run() async throws {
        let result = try await NodeClient.with(node) {
            try await $0.json(ShareResponse.self, .POST, "/v1/share", json: ShareRequest(cid: cid, path: path, expiresInSeconds: expires))
        }
        print(result.url)
    }
}

/// `pakit block get CID`, `pakit block put FILE [--codec raw|dag-pb]`.
struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Read or write single blocks.",
                                                    subcommands: [BlockGet.self, BlockPut.self])

    struct BlockGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Write a block's raw bytes to standard output.")
        @OptionGroup var node: NodeOptions
        @Argument var cid: String
        func run() async throws {
            try await NodeClient.with(node) { client in
                let response = try await client.send(.GET, "/v1/blocks/\(cid)", limit: 4 << 20)
                try Output.write(response.body, to: .standardOutput)
            }
        }
    }

    struct BlockPut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a file's bytes as one block; prints its CID.")
        @OptionGroup var node: NodeOptions
        @Option(help: "Codec of the block: raw or dag-pb.") var codec: String = "raw"
        @Argument var file: String
        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let bytes = [UInt8](data)
            let cid: CID
            switch codec {
            case "raw": cid = CID.raw(sha256Of: bytes)
            case "dag-pb": cid = CID.dagPB(sha256Of: bytes, version: 1)
            default: throw CLIError("codec must be raw or dag-pb")
            }
            let stat = try await NodeClient.with(node) { client in
                try await client.json(BlockStat.self, .PUT, "/v1/blocks/\(cid.string)", body: .bytes(ByteBuffer(bytes: bytes)),
                                      contentType: "application/octet-stream")
            }
            print(stat.cid)
        }
    }
}

/// `pakit stats`.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show stored vs logical bytes, dedup and compression savings.")
    @OptionGroup var node: NodeOptions
    func run() async throws {
        let s = try await NodeClient.with(node) { try await $0.json(StatsResponse.self, .GET, "/v1/stats") }
        print("""
        files: \(s.files)   pins: \(s.pins)   blocks: \(s.blocks) (\(s.compressedBlocks) compressed)
        logical bytes: \(s.logicalBytes)
        unique bytes:  \(s.uniqueBytes)   (dedup saved \(s.dedupSavedBytes))
        stored bytes:  \(s.storedBytes)   (compression saved \(s.compressionSavedBytes))
        """)
    }
}
