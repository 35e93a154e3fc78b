/// Contracts (13): upstream `pallet_contracts`. Pakit's references live in an ink! contract,
/// reached with `call` (selector ‖ SCALE arguments in `data`); no call stores data by itself.
public enum ContractsCall {
    /// `Weight { ref_time: Compact<u64>, proof_size: Compact<u64> }`.
    public struct Weight: Sendable, Equatable {
        public let refTime: UInt64
        public let proofSize: UInt64
        public init(refTime: UInt64, proofSize: UInt64) {
            self.refTime = refTime
            self.proofSize = proofSize
        }
    }

    /// `call(dest: MultiAddress, value: Compact<u128>, gas_limit: Weight,
    /// storage_deposit_limit: Option<Compact<u128>>, data: Vec<u8>)`.
    public static func call(contract: [UInt8], value: UInt128, gasLimit: Weight, storageDepositLimit: UInt128?, data: [UInt8]) throws(ChainError) -> [UInt8] {
        try CallArguments.account(contract)
        try CallArguments.bounded(data, "contract call data", maximum: 1 << 20)
        var writer = ScaleWriter()
        writer.u8(Pallet.contracts.rawValue)
        writer.u8(6)
        writer.u8(0)  // MultiAddress::Id
        writer.raw(contract)
        writer.compact(value)
        writer.compact(UInt128(gasLimit.refTime))
        writer.compact(UInt128(gasLimit.proofSize))
        writer.option(storageDepositLimit) { $0.compact($1) }
        writer.byteVector(data)
        return writer.bytes
    }
}
