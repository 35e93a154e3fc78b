/// DALLA and bBZD payments. Balances (4) takes a `MultiAddress` and a Compact amount; Economy
/// (20) takes a raw `AccountId32` and a plain `u128` (and needs KYC on both sides).
public enum BalancesCall {
    /// `transfer_keep_alive(dest: MultiAddress, value: Compact<u128>)`: fails rather than reap the sender.
    public static func transferKeepAlive(to account: [UInt8], planck: UInt128) throws(ChainError) -> [UInt8] {
        try transfer(index: 3, to: account, planck: planck)
    }

    /// `transfer_allow_death(dest: MultiAddress, value: Compact<u128>)`.
    public static func transferAllowDeath(to account: [UInt8], planck: UInt128) throws(ChainError) -> [UInt8] {
        try transfer(index: 0, to: account, planck: planck)
    }

    private static func transfer(index: UInt8, to account: [UInt8], planck: UInt128) throws(ChainError) -> [UInt8] {
        try CallArguments.account(account)
        var writer = ScaleWriter()
        writer.u8(Pallet.balances.rawValue)
        writer.u8(index)
        writer.u8(0)  // MultiAddress::Id
        writer.raw(account)
        writer.compact(planck)
        return writer.bytes
    }
}

public enum EconomyCall {
    /// `transfer_bbzd(to: AccountId32, amount: u128)`.
    public static func transferBBZD(to account: [UInt8], amount: UInt128) throws(ChainError) -> [UInt8] {
        try CallArguments.account(account)
        var writer = ScaleWriter()
        writer.u8(Pallet.economy.rawValue)
        writer.u8(8)
        writer.raw(account)
        writer.u128(amount)
        return writer.bytes
    }
}

/// Argument checks shared by the call builders: what the runtime would refuse is refused here,
/// before anything is signed.
enum CallArguments {
    static func account(_ bytes: [UInt8]) throws(ChainError) {
        guard bytes.count == 32 else { throw ChainError(.value, "an AccountId32 has 32 bytes, not \(bytes.count)") }
    }

    static func hash(_ bytes: [UInt8], _ name: String) throws(ChainError) {
        guard bytes.count == 32 else { throw ChainError(.value, "\(name) has 32 bytes, not \(bytes.count)") }
    }

    static func bounded(_ bytes: [UInt8], _ name: String, maximum: Int, minimum: Int = 0) throws(ChainError) {
        guard (minimum...maximum).contains(bytes.count) else {
            throw ChainError(.value, "\(name) has \(minimum)…\(maximum) bytes, not \(bytes.count)")
        }
    }
}
