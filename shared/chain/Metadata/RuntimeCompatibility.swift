extension RuntimeMetadata {
    /// Where this runtime differs from what Pakit encodes (`PakitRuntimeInterface`): pallet
    /// names and indices, call names, indices and argument counts, the extrinsic version and
    /// the signed extensions. Each mismatch is one sentence for an operator; none means every
    /// call Pakit signs means the same to this runtime.
    public func pakitMismatches() -> [String] {
        var mismatches: [String] = []
        var palletsReported = Set<Pallet>()
        for call in PakitRuntimeInterface.calls {
            let expected = call.pallet
            let qualifiedName = "\(expected.metadataName).\(call.name)"
            guard let pallet = self.pallet(named: expected.metadataName) else {
                if palletsReported.insert(expected).inserted {
                    let occupant = self.pallet(index: expected.rawValue).map { "; pallet \(expected.rawValue) is \($0.name)" } ?? ""
                    mismatches.append("\(expected.metadataName) is not in this runtime (Pakit encodes it as pallet \(expected.rawValue)\(occupant))")
                }
                continue
            }
            if pallet.index != expected.rawValue, palletsReported.insert(expected).inserted {
                mismatches.append("\(expected.metadataName) is pallet \(pallet.index) in this runtime; Pakit encodes \(expected.rawValue)")
            }
            let encodedIndex: UInt8
            do { encodedIndex = try call.encodedIndex() } catch {
                mismatches.append("Pakit cannot build its own \(qualifiedName) sample: \(error.message)")
                continue
            }
            guard let callType = pallet.calls, case .variant(let variants)? = types[callType]?.definition else {
                mismatches.append("\(expected.metadataName) has no calls in this runtime; Pakit encodes \(qualifiedName)")
                continue
            }
            guard let variant = variants.first(where: { $0.name == call.name }) else {
                let occupant = variants.first { $0.index == encodedIndex }.map { "; call \(encodedIndex) is \($0.name)" } ?? ""
                mismatches.append("\(qualifiedName) is not in this runtime (Pakit encodes it as call \(encodedIndex)\(occupant))")
                continue
            }
            if variant.index != encodedIndex {
                mismatches.append("\(qualifiedName) is call \(variant.index) in this runtime; Pakit encodes \(encodedIndex)")
            }
            if variant.fields.count != call.argumentCount {
                mismatches.append("\(qualifiedName) takes \(variant.fields.count) arguments in this runtime; Pakit encodes \(call.argumentCount)")
            }
        }
        mismatches += extrinsicMismatches()
        return mismatches
    }

    private func extrinsicMismatches() -> [String] {
        var mismatches: [String] = []
        if extrinsic.version != PakitRuntimeInterface.extrinsicVersion {
            mismatches.append("the extrinsic version is \(extrinsic.version) in this runtime; Pakit signs version \(PakitRuntimeInterface.extrinsicVersion)")
        }
        let found = extrinsic.signedExtensions.map(\.identifier)
        let expected = PakitRuntimeInterface.signedExtensions.map(\.identifier)
        guard found == expected else {
            mismatches.append("the signed extensions are [\(found.joined(separator: ", "))] in this runtime; Pakit signs [\(expected.joined(separator: ", "))]")
            return mismatches
        }
        // Same names: check that each carries the bytes Pakit writes, where their size is fixed.
        for (metadata, pakit) in zip(extrinsic.signedExtensions, PakitRuntimeInterface.signedExtensions) {
            let signedOnly = fixedEncodedSize(metadata.additionalSigned)
            if signedOnly != pakit.signedOnlyBytes {
                mismatches.append("\(pakit.identifier) adds \(signedOnly.map { "\($0) bytes" } ?? "a variable-size value") to the signed payload in this runtime; Pakit signs \(pakit.signedOnlyBytes)")
            }
            if let explicitBytes = pakit.explicitBytes {
                let explicit = fixedEncodedSize(metadata.type)
                if explicit != explicitBytes {
                    mismatches.append("\(pakit.identifier) adds \(explicit.map { "\($0) bytes" } ?? "a variable-size value") to the extrinsic in this runtime; Pakit writes \(explicitBytes)")
                }
            }
        }
        return mismatches
    }

    /// The encoded size of a type that always encodes to the same number of bytes, else nil.
    /// The walk is bounded in depth and in types visited, so a hostile registry cannot make it long.
    func fixedEncodedSize(_ id: UInt32) -> Int? {
        var visitsLeft = 4096
        func size(_ id: UInt32, depth: Int) -> Int? {
            visitsLeft -= 1
            guard depth < 32, visitsLeft >= 0, let type = types[id] else { return nil }
            func sum(_ ids: [UInt32]) -> Int? {
                var total = 0
                for id in ids {
                    guard let item = size(id, depth: depth + 1) else { return nil }
                    let (next, overflow) = total.addingReportingOverflow(item)
                    guard !overflow else { return nil }
                    total = next
                }
                return total
            }
            switch type.definition {
            case .composite(let fields): return sum(fields.map(\.type))
            case .tuple(let items): return sum(items)
            case .array(let length, let item):
                guard let itemSize = size(item, depth: depth + 1) else { return nil }
                let (total, overflow) = Int(length).multipliedReportingOverflow(by: itemSize)
                return overflow ? nil : total
            case .primitive(let primitive): return primitive.byteWidth
            case .variant, .sequence, .compact, .bitSequence: return nil
            }
        }
        return size(id, depth: 0)
    }
}
