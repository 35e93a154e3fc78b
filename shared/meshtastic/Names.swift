/// The upstream names of modem presets and regions (as the Meshtastic apps and CLI print them),
/// by their enum numbers. Topology files, `/v1/radio` and the CLI use these names.
public enum RadioNames {
    public static let presets: [Int: String] = [
        0: "LONG_FAST", 1: "LONG_SLOW", 2: "VERY_LONG_SLOW", 3: "MEDIUM_SLOW", 4: "MEDIUM_FAST",
        5: "SHORT_SLOW", 6: "SHORT_FAST", 7: "LONG_MODERATE", 8: "SHORT_TURBO", 9: "LONG_TURBO",
        10: "LITE_FAST", 11: "LITE_SLOW", 12: "NARROW_FAST", 13: "NARROW_SLOW",
    ]

    public static let regions: [Int: String] = [
        0: "UNSET", 1: "US", 2: "EU_433", 3: "EU_868", 4: "CN", 5: "JP", 6: "ANZ", 7: "KR", 8: "TW", 9: "RU",
        10: "IN", 11: "NZ_865", 12: "TH", 13: "LORA_24", 14: "UA_433", 15: "UA_868", 16: "MY_433", 17: "MY_919",
        18: "SG_923", 19: "PH_433", 20: "PH_868", 21: "PH_915", 22: "ANZ_433", 23: "KZ_433", 24: "KZ_863",
        25: "NP_865", 26: "BR_902", 27: "ITU1_2M", 28: "ITU2_2M", 29: "EU_866", 30: "EU_874", 31: "EU_917",
        32: "EU_N_868", 33: "ITU3_2M",
    ]

    public static func presetName(_ code: Int) -> String { presets[code] ?? "PRESET_\(code)" }
    public static func regionName(_ code: Int) -> String { regions[code] ?? "REGION_\(code)" }

    /// The code for a preset name (case-insensitive; `LongFast` and `long-fast` also work).
    public static func presetCode(_ name: String) throws(RadioNameError) -> Int {
        guard let code = lookup(name, in: presets) else { throw .unknownPreset(name) }
        return code
    }

    public static func regionCode(_ name: String) throws(RadioNameError) -> Int {
        guard let code = lookup(name, in: regions), code != 0 else { throw .unknownRegion(name) }
        return code
    }

    private static func lookup(_ name: String, in table: [Int: String]) -> Int? {
        let wanted = normalized(name)
        return table.first { normalized($0.value) == wanted }?.key
    }

    private static func normalized(_ name: String) -> String {
        String(name.uppercased().filter { $0.isLetter || $0.isNumber })
    }
}

public enum RadioNameError: Error, CustomStringConvertible, Equatable {
    case unknownPreset(String)
    case unknownRegion(String)
    public var description: String {
        switch self {
        case .unknownPreset(let name): "unknown modem preset \(name) (for example LONG_FAST, SHORT_FAST)"
        case .unknownRegion(let name): "unknown region \(name) (for example EU_868, US)"
        }
    }
}

/// Meshtastic node numbers with a meaning of their own.
public enum MeshtasticAddress {
    /// `to` of a broadcast (`NODENUM_BROADCAST`).
    public static let broadcast: UInt32 = 0xFFFF_FFFF
}
