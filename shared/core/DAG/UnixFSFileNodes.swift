/// Encoders for the dag-pb nodes of a UnixFS file DAG.
enum UnixFSFileNodes {
    /// A legacy dag-pb leaf: `PBNode{Data: UnixFS{Type=File, Data=chunk, filesize=len}}`.
    ///
    /// Written in one pass with exact sizing because leaves carry whole chunks; an empty chunk
    /// omits the Data bytes field, which makes it the canonical empty-file node `0a 04 08 02 18 00`.
    static func leaf(_ chunk: [UInt8]) -> [UInt8] {
        let count = UInt64(chunk.count)
        var unixFSLength = 2 + ProtobufWire.varintFieldSize(field: 3, value: count)
        if !chunk.isEmpty {
            unixFSLength += ProtobufWire.lengthDelimitedSize(field: 2, count: chunk.count)
        }
        var out: [UInt8] = []
        out.reserveCapacity(ProtobufWire.lengthDelimitedSize(field: 1, count: unixFSLength))
        ProtobufWire.appendKey(field: 1, .lengthDelimited, to: &out)
        Varint.encode(UInt64(unixFSLength), into: &out)
        ProtobufWire.appendVarintField(field: 1, value: UnixFSData.DataType.file.rawValue, to: &out)
        if !chunk.isEmpty {
            ProtobufWire.appendBytesField(field: 2, chunk, to: &out)
        }
        ProtobufWire.appendVarintField(field: 3, value: count, to: &out)
        return out
    }

    /// An internal file node: one unnamed-but-present (`Name = ""`) link per child, and
    /// `UnixFS{Type=File, filesize=Σ, blocksizes=[…]}` without Data bytes.
    static func interior(_ children: some Collection<FileDAGBuilder.Child>) -> (bytes: [UInt8], fileBytes: UInt64, childTsize: UInt64) {
        var links: [PBLink] = []
        links.reserveCapacity(children.count)
        var blocksizes: [UInt64] = []
        blocksizes.reserveCapacity(children.count)
        var fileBytes: UInt64 = 0
        var childTsize: UInt64 = 0
        for child in children {
            links.append(PBLink(hash: child.cid, name: "", tsize: child.tsize))
            blocksizes.append(child.fileBytes)
            fileBytes += child.fileBytes
            childTsize += child.tsize
        }
        let data = UnixFSData(type: .file, filesize: fileBytes, blocksizes: blocksizes).encoded()
        return (PBNode(links: links, data: data).encoded(), fileBytes, childTsize)
    }
}
