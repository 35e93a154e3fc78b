/// Request and response bodies of the storage service's v1 API (`docs/openapi.json`).

/// `POST /v1/files` → 201.
public struct FileAddResponse: Codable, Sendable, Equatable {
    /// Root CID of the file DAG.
    public var cid: String
    /// File bytes.
    public var size: UInt64
    /// Blocks in the DAG (leaves and internal nodes).
    public var blocks: Int
    /// Leaves in file order (the BLAKE2 Merkle tree's leaves).
    public var leaves: Int
    /// Hex BLAKE2b-256 Merkle root over the leaf CIDs (StorageProof's `content_id`).
    public var blake2Root: String
    public var profile: String
    public var name: String?
    public var pinned: Bool

    public init(cid: String, size: UInt64, blocks: Int, leaves: Int, blake2Root: String, profile: String, name: String?, pinned: Bool) {
        self.cid = cid
        self.size = size
        self.blocks = blocks
        self.leaves = leaves
        self.blake2Root = blake2Root
        self.profile = profile
        self.name = name
        self.pinned = pinned
    }
}

/// `POST /v1/dirs`: a UnixFS directory over existing content.
public struct DirectoryCreateRequest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var cid: String
        public init(name: String, cid: String) {
            self.name = name
            self.cid = cid
        }
    }
    public var entries: [Entry]
    /// 1 (default) or 0 for legacy `Qm…` directories.
    public var cidVersion: Int?
    public var pin: Bool?

    public init(entries: [Entry], cidVersion: Int? = nil, pin: Bool? = nil) {
        self.entries = entries
        self.cidVersion = cidVersion
        self.pin = pin
    }
}

public struct DirectoryCreateResponse: Codable, Sendable, Equatable {
    public var cid: String
    /// Cumulative DAG size (Tsize) of the directory.
    public var size: UInt64
    public var entries: Int
    public var pinned: Bool

    public init(cid: String, size: UInt64, entries: Int, pinned: Bool) {
        self.cid = cid
        self.size = size
        self.entries = entries
        self.pinned = pinned
    }
}

/// `GET /v1/blocks/{cid}/stat`, `PUT /v1/blocks/{cid}` → 201.
public struct BlockStat: Codable, Sendable, Equatable {
    public var cid: String
    /// Block bytes (uncompressed; what the CID hashes).
    public var size: Int
    /// Bytes on disk after compression at rest.
    public var storedSize: Int
    /// `none` or `zstd`.
    public var compression: String

    public init(cid: String, size: Int, storedSize: Int, compression: String) {
        self.cid = cid
        self.size = size
        self.storedSize = storedSize
        self.compression = compression
    }
}

/// `POST /v1/car` → 201.
public struct CARImportResponse: Codable, Sendable, Equatable {
    public var roots: [String]
    public var blocks: Int
    public var bytes: UInt64
    public var pinned: Bool

    public init(roots: [String], blocks: Int, bytes: UInt64, pinned: Bool) {
        self.roots = roots
        self.blocks = blocks
        self.bytes = bytes
        self.pinned = pinned
    }
}

/// `POST /v1/pins`.
public struct PinRequest: Codable, Sendable, Equatable {
    public var cid: String
    public var name: String?
    /// Copies wanted in the network, this node's included (1…16; default: the node's
    /// `replication-factor`). Above 1, the node asks k − 1 other live nodes to pin it too.
    public var replicas: Int?

    public init(cid: String, name: String? = nil, replicas: Int? = nil) {
        self.cid = cid
        self.name = name
        self.replicas = replicas
    }
}

public struct Pin: Codable, Sendable, Equatable {
    public var cid: String
    public var name: String?
    /// RFC 3339 UTC.
    public var createdAt: String
    /// Copies wanted, this node's included (1 when the pin is held only for other nodes).
    public var replicas: Int?
    /// Other nodes that confirmed, with a signed statement, that they hold the whole DAG.
    public var confirmedReplicas: Int?
    /// Peer IDs of the nodes this node holds the DAG for as their replica.
    public var replicaFor: [String]?

    public init(cid: String, name: String?, createdAt: String, replicas: Int? = nil, confirmedReplicas: Int? = nil,
                replicaFor: [String]? = nil) {
        self.cid = cid
        self.name = name
        self.createdAt = createdAt
        self.replicas = replicas
        self.confirmedReplicas = confirmedReplicas
        self.replicaFor = replicaFor
    }
}

/// `GET /v1/pins/{cid}`: the pin and where its replicas are.
public struct PinStatus: Codable, Sendable, Equatable {
    public var pin: Pin
    public var replicas: [ReplicaInfo]

    public init(pin: Pin, replicas: [ReplicaInfo]) {
        self.pin = pin
        self.replicas = replicas
    }
}

/// One other node asked to hold a pinned DAG.
public struct ReplicaInfo: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Asked; no answer yet.
        case requested
        /// It holds the whole DAG (its signed statement is kept).
        case confirmed
        /// It said no (`reason`); another node is chosen.
        case refused
        /// Its node was dead past the grace period; another node replaced it.
        case lost
        /// Asked to let go (a surplus replica, or the pin was removed).
        case released
    }

    public var peerID: String
    public var storageURL: String
    public var state: State
    public var reason: String?
    /// RFC 3339 UTC.
    public var updatedAt: String
    public var statement: ReplicaStatement?

    public init(peerID: String, storageURL: String, state: State, reason: String?, updatedAt: String, statement: ReplicaStatement?) {
        self.peerID = peerID
        self.storageURL = storageURL
        self.state = state
        self.reason = reason
        self.updatedAt = updatedAt
        self.statement = statement
    }
}

/// A node's signed word that it holds the whole DAG under `cid`: Ed25519 by its node key (the
/// key its peer ID names) over `signedMessage`.
public struct ReplicaStatement: Codable, Sendable, Equatable {
    public var cid: String
    public var peerID: String
    /// Unix milliseconds on the signer's clock.
    public var heldAt: UInt64
    public var blocks: Int
    public var bytes: UInt64
    /// Hex Ed25519 signature.
    public var signature: String

    public init(cid: String, peerID: String, heldAt: UInt64, blocks: Int, bytes: UInt64, signature: String) {
        self.cid = cid
        self.peerID = peerID
        self.heldAt = heldAt
        self.blocks = blocks
        self.bytes = bytes
        self.signature = signature
    }

    /// The bytes signed: one line, fields in this order.
    public static func signedMessage(cid: String, peerID: String, heldAt: UInt64, blocks: Int, bytes: UInt64) -> [UInt8] {
        Array("pakit-replica-v1 \(cid) \(peerID) \(heldAt) \(blocks) \(bytes)".utf8)
    }

    public var signedMessage: [UInt8] { Self.signedMessage(cid: cid, peerID: peerID, heldAt: heldAt, blocks: blocks, bytes: bytes) }
}

/// `POST /peer/v1/replicas` (node → node, mutual TLS pinned from mesh records): hold the DAG
/// under `cid` for the calling node. The replica pulls what it lacks from the network and
/// answers with its statement once it holds all of it.
public struct ReplicaRequest: Codable, Sendable, Equatable {
    public var cid: String
    /// The DAG's total block bytes as the origin counts them (for the replica's quota check).
    public var bytes: UInt64?

    public init(cid: String, bytes: UInt64?) {
        self.cid = cid
        self.bytes = bytes
    }
}

/// `GET /v1/pins?limit=&after=`: pins ordered by CID; `next` is the cursor for the next page.
public struct PinList: Codable, Sendable, Equatable {
    public var pins: [Pin]
    public var next: String?

    public init(pins: [Pin], next: String?) {
        self.pins = pins
        self.next = next
    }
}

/// `POST /v1/gc`.
public struct GCResponse: Codable, Sendable, Equatable {
    public var removedBlocks: Int
    public var freedBytes: UInt64
    public var removedCIDs: [String]

    public init(removedBlocks: Int, freedBytes: UInt64, removedCIDs: [String]) {
        self.removedBlocks = removedBlocks
        self.freedBytes = freedBytes
        self.removedCIDs = removedCIDs
    }
}

/// `GET /v1/stats`.
public struct StatsResponse: Codable, Sendable, Equatable {
    /// Bytes of all files added (each add counted, duplicates included).
    public var logicalBytes: UInt64
    /// Bytes of distinct blocks (uncompressed).
    public var uniqueBytes: UInt64
    /// Bytes on disk for those blocks.
    public var storedBytes: UInt64
    /// logicalBytes − uniqueBytes.
    public var dedupSavedBytes: UInt64
    /// uniqueBytes − storedBytes.
    public var compressionSavedBytes: UInt64
    public var blocks: Int
    public var compressedBlocks: Int
    /// Distinct file roots added.
    public var files: Int
    public var pins: Int

    public init(logicalBytes: UInt64, uniqueBytes: UInt64, storedBytes: UInt64, dedupSavedBytes: UInt64,
                compressionSavedBytes: UInt64, blocks: Int, compressedBlocks: Int, files: Int, pins: Int) {
        self.logicalBytes = logicalBytes
        self.uniqueBytes = uniqueBytes
        self.storedBytes = storedBytes
        self.dedupSavedBytes = dedupSavedBytes
        self.compressionSavedBytes = compressionSavedBytes
        self.blocks = blocks
        self.compressedBlocks = compressedBlocks
        self.files = files
        self.pins = pins
    }
}

/// `POST /v1/tokens` (admin).
public struct TokenCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    /// Any of `read`, `write`, `admin`.
    public var scopes: [String]

    public init(name: String, scopes: [String]) {
        self.name = name
        self.scopes = scopes
    }
}

public struct TokenCreateResponse: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var scopes: [String]
    /// The secret, shown once; only its hash is stored.
    public var token: String

    public init(id: String, name: String, scopes: [String], token: String) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.token = token
    }
}

/// `POST /v1/share`.
public struct ShareRequest: Codable, Sendable, Equatable {
    public var cid: String
    /// Optional path inside a directory.
    public var path: String?
    /// Lifetime of the link, 1 s … 30 days; default 1 day.
    public var expiresInSeconds: Int?

    public init(cid: String, path: String? = nil, expiresInSeconds: Int? = nil) {
        self.cid = cid
        self.path = path
        self.expiresInSeconds = expiresInSeconds
    }
}

public struct ShareResponse: Codable, Sendable, Equatable {
    /// Path and query to append to the node's base URL.
    public var path: String
    /// Absolute URL when the node knows its public base URL.
    public var url: String
    /// Unix seconds.
    public var expiresAt: Int64

    public init(path: String, url: String, expiresAt: Int64) {
        self.path = path
        self.url = url
        self.expiresAt = expiresAt
    }
}

/// `POST /v1/repo/verify` (admin): consistency of metadata and block files.
public struct RepoVerifyResponse: Codable, Sendable, Equatable {
    public var checked: Int
    /// Rows whose block file is absent.
    public var missing: [String]
    /// Files that do not decode or do not hash to their CID.
    public var corrupt: [String]

    public init(checked: Int, missing: [String], corrupt: [String]) {
        self.checked = checked
        self.missing = missing
        self.corrupt = corrupt
    }
}
