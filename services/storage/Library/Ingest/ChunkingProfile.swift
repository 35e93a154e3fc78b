import PakitCore

/// How a file becomes blocks: a chunker plus a DAG layout. The name is part of the API
/// (`POST /v1/files?profile=`) and is recorded with each file.
enum ChunkingProfile: String, CaseIterable, Sendable {
    /// IPIP-499 default: 1 MiB raw leaves, 1024 links, CIDv1. Root CIDs equal Kubo's.
    case unixfsV1 = "unixfs-v1-2025"
    /// Kubo's historical default: 256 KiB dag-pb leaves, 174 links, CIDv0 (`Qm…`).
    case unixfsV0 = "unixfs-v0-2015"
    /// Content-defined chunks (FastCDC 16/64/256 KiB) with v1 layout: dedups edited large
    /// files; its CIDs differ from Kubo's by design.
    case fastCDC = "fastcdc-v1"

    func makeChunker() throws -> any Chunker {
        switch self {
        case .unixfsV1: try FixedSizeChunker(chunkSize: 1 << 20)
        case .unixfsV0: try FixedSizeChunker(chunkSize: 256 << 10)
        case .fastCDC: FastCDCChunker.default64KiB
        }
    }

    var layout: DAGLayout {
        switch self {
        case .unixfsV1, .fastCDC: .unixfsV1_2025
        case .unixfsV0: .unixfsV0_2015
        }
    }
}
