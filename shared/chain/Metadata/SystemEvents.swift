/// One record of `System.Events`: when in the block it happened, which pallet's event it is,
/// its decoded fields and its topics.
public struct EventRecord: Sendable, Equatable {
    public enum Phase: Sendable, Equatable, Hashable {
        /// While applying the extrinsic at this index of the block.
        case applyExtrinsic(UInt32)
        case finalization
        case initialization
    }

    public let phase: Phase
    public let palletIndex: UInt8
    public let palletName: String
    public let eventIndex: UInt8
    public let eventName: String
    public let fields: [ScaleField]
    public let topics: [[UInt8]]

    /// The field of that name.
    public subscript(field name: String) -> ScaleValue? { fields.first { $0.name == name }?.value }
}

/// What became of one extrinsic, as `System.ExtrinsicSuccess` / `ExtrinsicFailed` say.
public enum ExtrinsicOutcome: Sendable, Equatable {
    case succeeded
    case failed(DispatchFailure)
}

/// A `DispatchError`, with a `Module` error's pallet and error names looked up in the metadata.
public struct DispatchFailure: Sendable, Equatable, CustomStringConvertible {
    /// The `DispatchError` variant: `Module`, `BadOrigin`, `Token`, …
    public let kind: String
    /// For variants that carry an enum of their own (`Token(FundsUnavailable)`), its variant.
    public let detail: String?
    /// For `Module` errors.
    public let module: ModuleError?

    public struct ModuleError: Sendable, Equatable {
        public let palletIndex: UInt8
        /// The error's variant index (the first byte of `error: [u8; 4]`).
        public let errorIndex: UInt8
        /// Nil when this runtime has no such pallet or error (the metadata and the events disagree).
        public let palletName: String?
        public let errorName: String?
    }

    /// `StorageProof.ContentAlreadyProven`, `BadOrigin`, `Token.FundsUnavailable`.
    public var description: String {
        if let module {
            return "\(module.palletName ?? "pallet \(module.palletIndex)").\(module.errorName ?? "error \(module.errorIndex)")"
        }
        return detail.map { "\(kind).\($0)" } ?? kind
    }
}

extension RuntimeMetadata {
    /// Decodes the raw value of `System.Events` (`Vec<EventRecord { phase, event, topics }>`),
    /// its type read from the System pallet's `Events` storage entry. The whole value must be
    /// one well-formed list: a record that cannot be decoded refuses the list, since nothing
    /// after it could be placed.
    public func decodeEvents(_ storageValue: [UInt8]) throws(ChainError) -> [EventRecord] {
        guard let entry = self.pallet(named: "System")?.storageEntry(named: "Events") else {
            throw ChainError(.value, "this runtime's metadata has no System.Events storage entry")
        }
        let decoded = try ScaleValueDecoder(types: types).decode(entry.valueType, bytes: storageValue)
        guard case .sequence(let records) = decoded else {
            throw ChainError(.scale, "System.Events is \(types.describe(entry.valueType)), not a list of event records")
        }
        var result: [EventRecord] = []
        result.reserveCapacity(records.count)
        for (position, record) in records.enumerated() {
            result.append(try eventRecord(record, position: position))
        }
        return result
    }

    /// What the events say of the extrinsic at `index` of their block: nil when they hold
    /// neither `System.ExtrinsicSuccess` nor `System.ExtrinsicFailed` for it.
    public func outcome(ofExtrinsic index: UInt32, in events: [EventRecord]) -> ExtrinsicOutcome? {
        for record in events where record.phase == .applyExtrinsic(index) && record.palletName == "System" {
            switch record.eventName {
            case "ExtrinsicSuccess": return .succeeded
            case "ExtrinsicFailed":
                return .failed(dispatchFailure(record[field: "dispatch_error"] ?? record.fields.first?.value ?? .composite([])))
            default: continue
            }
        }
        return nil
    }

    /// Reads a `DispatchError` value, naming a `Module` error through that pallet's error type.
    public func dispatchFailure(_ error: ScaleValue) -> DispatchFailure {
        guard case .variant(let kind, _, let fields) = error else {
            return DispatchFailure(kind: "undecodable", detail: nil, module: nil)
        }
        let inner = fields.count == 1 ? fields[0].value : .composite(fields)
        guard kind == "Module" else {
            return DispatchFailure(kind: kind, detail: inner.unwrapped.variantName, module: nil)
        }
        // `ModuleError { index: u8, error: [u8; 4] }`; older runtimes had `error: u8`.
        let palletIndex = inner[field: "index"]?.unsignedValue
        let errorIndex = inner[field: "error"]?.byteValue?.first ?? inner[field: "error"]?.unsignedValue.map { UInt8(truncatingIfNeeded: $0) }
        guard let palletIndex, palletIndex <= UInt8.max, let errorIndex else {
            return DispatchFailure(kind: kind, detail: nil, module: nil)
        }
        let failedPallet = self.pallet(index: UInt8(palletIndex))
        var errorName: String?
        if let errorType = failedPallet?.error, case .variant(let variants)? = types[errorType]?.definition {
            errorName = variants.first { $0.index == errorIndex }?.name
        }
        return DispatchFailure(kind: kind, detail: nil, module: DispatchFailure.ModuleError(
            palletIndex: UInt8(palletIndex), errorIndex: errorIndex, palletName: failedPallet?.name, errorName: errorName))
    }

    private func eventRecord(_ record: ScaleValue, position: Int) throws(ChainError) -> EventRecord {
        func refuse(_ what: String) -> ChainError { ChainError(.scale, "event record \(position): \(what)") }
        guard let phaseValue = record[field: "phase"], let eventValue = record[field: "event"] else {
            throw refuse("the record type has no phase and event fields")
        }
        let phase: EventRecord.Phase
        switch phaseValue.variantName {
        case "ApplyExtrinsic":
            guard let index = phaseValue.fields.first?.value.unsignedValue, index <= UInt32.max else {
                throw refuse("ApplyExtrinsic carries no u32 extrinsic index")
            }
            phase = .applyExtrinsic(UInt32(index))
        case "Finalization": phase = .finalization
        case "Initialization": phase = .initialization
        default: throw refuse("phase \(phaseValue.variantName ?? "?") is none of ApplyExtrinsic, Finalization, Initialization")
        }
        // RuntimeEvent: one variant per pallet (named and indexed as the pallet), holding that pallet's event enum.
        guard case .variant(let palletName, let palletIndex, let palletFields) = eventValue, palletFields.count == 1,
              case .variant(let eventName, let eventIndex, let fields) = palletFields[0].value else {
            throw refuse("the event is not a pallet variant holding an event variant")
        }
        var topics: [[UInt8]] = []
        if let topicsValue = record[field: "topics"] {
            guard case .sequence(let items) = topicsValue else { throw refuse("topics are not a list") }
            for item in items {
                guard let topic = item.byteValue else { throw refuse("a topic is not a hash") }
                topics.append(topic)
            }
        }
        return EventRecord(phase: phase, palletIndex: palletIndex, palletName: palletName, eventIndex: eventIndex,
                           eventName: eventName, fields: fields, topics: topics)
    }
}
