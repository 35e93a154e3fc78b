/// Bns (33): `.bz` names and their hosting. Names are bytes `[a-z0-9-.]`, 3…64 long; the
/// pallet neither adds nor requires a `.bz` suffix.
public enum BnsCall {
    public enum DomainTier: UInt8, Sendable { case standard = 0, premium = 1, government = 2, verified = 3 }
    public enum HostingTier: UInt8, Sendable { case free = 0, basic = 1, pro = 2, enterprise = 3 }

    /// The name as the pallet stores it, checked against its rules.
    public static func domainBytes(_ name: String) throws(ChainError) -> [UInt8] {
        let bytes = Array(name.utf8)
        try CallArguments.bounded(bytes, "a domain name", maximum: 64, minimum: 3)
        guard bytes.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E }) else {
            throw ChainError(.value, "a domain name holds only a-z, 0-9, '-' and '.'")
        }
        return bytes
    }

    /// `register_domain(domain_name: Vec<u8>, tier: u8)`.
    public static func registerDomain(_ name: String, tier: DomainTier) throws(ChainError) -> [UInt8] {
        var writer = try start(0, name)
        writer.u8(tier.rawValue)
        return writer.bytes
    }

    /// `activate_hosting(domain_name, tier: u8, content_hash: [u8; 32], auto_renew: bool)`.
    public static func activateHosting(_ name: String, tier: HostingTier, contentHash: [UInt8], autoRenew: Bool) throws(ChainError) -> [UInt8] {
        try CallArguments.hash(contentHash, "a content hash")
        var writer = try start(6, name)
        writer.u8(tier.rawValue)
        writer.raw(contentHash)
        writer.bool(autoRenew)
        return writer.bytes
    }

    /// `renew_hosting(domain_name, months: u32)`.
    public static func renewHosting(_ name: String, months: UInt32) throws(ChainError) -> [UInt8] {
        var writer = try start(7, name)
        writer.u32(months)
        return writer.bytes
    }

    /// `deactivate_hosting(domain_name)`.
    public static func deactivateHosting(_ name: String) throws(ChainError) -> [UInt8] {
        try start(8, name).bytes
    }

    /// `update_hosting_content(domain_name, new_content_hash: [u8; 32], description: Vec<u8> (≤ 128), size_bytes: u64)`.
    public static func updateHostingContent(_ name: String, contentHash: [UInt8], description: String, sizeBytes: UInt64) throws(ChainError) -> [UInt8] {
        try CallArguments.hash(contentHash, "a content hash")
        let text = Array(description.utf8)
        try CallArguments.bounded(text, "a content description", maximum: 128)
        var writer = try start(9, name)
        writer.raw(contentHash)
        writer.byteVector(text)
        writer.u64(sizeBytes)
        return writer.bytes
    }

    private static func start(_ index: UInt8, _ name: String) throws(ChainError) -> ScaleWriter {
        let bytes = try domainBytes(name)
        var writer = ScaleWriter()
        writer.u8(Pallet.bns.rawValue)
        writer.u8(index)
        writer.byteVector(bytes)
        return writer
    }
}
