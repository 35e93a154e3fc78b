import Foundation
import PakitCore
import PakitMeshtastic

/// Where the simulated radios stand and which of them hear each other.
///
/// Read from a small JSON file (docs/lora-bridge.md, "Radio simulator"):
/// ```json
/// {"shape": "line", "nodes": 3, "spacing_m": 2000, "preset": "LONG_FAST", "region": "EU_868",
///  "loss": 0.1, "burst_length": 1, "seed": 7}
/// ```
/// Shapes: `line` (each node hears its neighbours), `star` (node 0 hears all, leaves hear only
/// node 0), `grid` (a square grid, four neighbours), `random` (random geometric: nodes placed
/// uniformly in a square of `area_m`, linked within `radius_m`, re-drawn until connected) and
/// `explicit` (`positions` and `links` given).
public struct Topology: Sendable, Equatable {
    public struct Position: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
        func distance(to other: Position) -> Double { ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot() }
    }

    public var positions: [Position]
    /// Symmetric adjacency: `neighbours[i]` are the nodes that hear node i (and that i hears).
    public var neighbours: [[Int]]
    public var modemPreset: Int
    public var region: Int
    /// Probability that one reception on a link is lost (independent of collisions).
    public var loss: Double
    /// Mean length of a loss burst in packets; 1 = independent losses (Gilbert–Elliott otherwise).
    public var burstLength: Double
    public var seed: UInt64

    public var count: Int { positions.count }

    public init(
        positions: [Position], links: [(Int, Int)], modemPreset: Int = 0, region: Int = 3,
        loss: Double = 0, burstLength: Double = 1, seed: UInt64 = 1
    ) throws(TopologyError) {
        guard !positions.isEmpty, positions.count <= Self.maximumNodes else {
            throw .invalid("between 1 and \(Self.maximumNodes) nodes")
        }
        guard (0...1).contains(loss), loss < 1 else { throw .invalid("loss must be in [0, 1)") }
        guard burstLength >= 1, burstLength <= 1000 else { throw .invalid("burst_length must be in [1, 1000]") }
        var neighbours = Array(repeating: Set<Int>(), count: positions.count)
        for (a, b) in links {
            guard positions.indices.contains(a), positions.indices.contains(b), a != b else {
                throw .invalid("link \(a)–\(b) names a node that does not exist")
            }
            neighbours[a].insert(b)
            neighbours[b].insert(a)
        }
        self.positions = positions
        self.neighbours = neighbours.map { $0.sorted() }
        self.modemPreset = modemPreset
        self.region = region
        self.loss = loss
        self.burstLength = burstLength
        self.seed = seed
    }

    public static let maximumNodes = 1024

    /// Hop distances from `source` over the links (nil = unreachable).
    public func hopDistances(from source: Int) -> [Int?] {
        var distance = [Int?](repeating: nil, count: count)
        distance[source] = 0
        var frontier = [source]
        while !frontier.isEmpty {
            var next: [Int] = []
            for node in frontier {
                for neighbour in neighbours[node] where distance[neighbour] == nil {
                    distance[neighbour] = (distance[node] ?? 0) + 1
                    next.append(neighbour)
                }
            }
            frontier = next
        }
        return distance
    }

    // MARK: Link budget

    /// Received power over a link: 22 dBm transmit power, log-distance path loss (exponent 2.7,
    /// 40 dB at 1 m, roughly 868 MHz). It decides only who captures a collision and how soon a
    /// relay rebroadcasts; whether a link exists at all is the adjacency above.
    public func rssi(from a: Int, to b: Int) -> Double {
        let distance = max(positions[a].distance(to: positions[b]), 1)
        return 22 - (40 + 27 * log10(distance))
    }

    /// SNR against a noise floor of −120 dBm, clamped to what a LoRa receiver reports.
    public func snr(from a: Int, to b: Int) -> Double {
        min(max(rssi(from: a, to: b) + 120, -20), 15)
    }

    // MARK: Files

    public static func load(path: String) throws(TopologyError) -> Topology {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .invalid("cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws(TopologyError) -> Topology {
        let file: TopologyFile
        do { file = try JSONDecoder().decode(TopologyFile.self, from: data) } catch {
            throw .invalid("not a topology file: \(error)")
        }
        return try file.topology()
    }

    /// A generated shape (the same as a file with only these keys).
    public static func shape(
        _ shape: String, nodes: Int, spacing: Double = 2000, radius: Double? = nil, area: Double? = nil,
        modemPreset: Int = 0, region: Int = 3, loss: Double = 0, burstLength: Double = 1, seed: UInt64 = 1
    ) throws(TopologyError) -> Topology {
        try TopologyFile(
            shape: shape, nodes: nodes, spacing_m: spacing, radius_m: radius, area_m: area, preset: nil, region: nil,
            loss: loss, burst_length: burstLength, seed: seed, positions: nil, links: nil
        ).topology(modemPreset: modemPreset, region: region)
    }
}

public enum TopologyError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let reason): "topology: \(reason)" }
    }
}

private struct TopologyFile: Decodable {
    var shape: String?
    var nodes: Int?
    var spacing_m: Double?
    var radius_m: Double?
    var area_m: Double?
    var preset: String?
    var region: String?
    var loss: Double?
    var burst_length: Double?
    var seed: UInt64?
    var positions: [[Double]]?
    var links: [[Int]]?

    func topology(modemPreset: Int? = nil, region: Int? = nil) throws(TopologyError) -> Topology {
        let presetCode: Int
        let regionCode: Int
        do {
            presetCode = try modemPreset ?? RadioNames.presetCode(preset ?? "LONG_FAST")
            regionCode = try region ?? RadioNames.regionCode(self.region ?? "EU_868")
        } catch { throw .invalid("\(error)") }
        let spacing = spacing_m ?? 2000
        guard spacing > 0, spacing.isFinite else { throw .invalid("spacing_m must be positive") }
        let seed = seed ?? 1
        let shape = shape ?? (positions == nil ? "line" : "explicit")
        var positions: [Topology.Position] = []
        var links: [(Int, Int)] = []
        if shape == "explicit" {
            guard let given = self.positions, let givenLinks = self.links else {
                throw .invalid("an explicit topology needs positions and links")
            }
            for point in given {
                guard point.count == 2, point.allSatisfy(\.isFinite) else { throw .invalid("a position is [x, y]") }
                positions.append(.init(x: point[0], y: point[1]))
            }
            for link in givenLinks {
                guard link.count == 2 else { throw .invalid("a link is [a, b]") }
                links.append((link[0], link[1]))
            }
        } else {
            guard let count = nodes, (1...Topology.maximumNodes).contains(count) else {
                throw .invalid("nodes must be between 1 and \(Topology.maximumNodes)")
            }
            switch shape {
            case "line":
                positions = (0..<count).map { .init(x: Double($0) * spacing, y: 0) }
                links = (0..<max(count - 1, 0)).map { ($0, $0 + 1) }
            case "star":
                positions = [.init(x: 0, y: 0)] + (1..<max(count, 1)).map { index in
                    let angle = 2 * Double.pi * Double(index) / Double(max(count - 1, 1))
                    return .init(x: spacing * cos(angle), y: spacing * sin(angle))
                }
                links = (1..<max(count, 1)).map { (0, $0) }
            case "grid":
                let side = Int(Double(count).squareRoot().rounded(.up))
                positions = (0..<count).map { .init(x: Double($0 % side) * spacing, y: Double($0 / side) * spacing) }
                for index in 0..<count {
                    if index % side + 1 < side, index + 1 < count { links.append((index, index + 1)) }
                    if index + side < count { links.append((index, index + side)) }
                }
            case "random":
                let radius = radius_m ?? spacing * 1.5
                let area = area_m ?? spacing * Double(count).squareRoot() * 1.2
                guard radius > 0, area > 0, radius.isFinite, area.isFinite else { throw .invalid("radius_m and area_m must be positive") }
                var random = SplitMix64(seed: seed ^ 0x5EED_70B0)
                var attempt = 0
                repeat {
                    attempt += 1
                    guard attempt <= 1000 else { throw .invalid("no connected random geometric graph in 1000 draws; raise radius_m") }
                    positions = (0..<count).map { _ in
                        .init(x: Double.random(in: 0..<area, using: &random), y: Double.random(in: 0..<area, using: &random))
                    }
                    links = []
                    for a in 0..<count {
                        for b in (a + 1)..<max(count, a + 1) where positions[a].distance(to: positions[b]) <= radius {
                            links.append((a, b))
                        }
                    }
                } while !Self.connected(count: count, links: links)
            default:
                throw .invalid("unknown shape \(shape) (line, star, grid, random, explicit)")
            }
        }
        return try Topology(
            positions: positions, links: links, modemPreset: presetCode, region: regionCode,
            loss: loss ?? 0, burstLength: burst_length ?? 1, seed: seed
        )
    }

    private static func connected(count: Int, links: [(Int, Int)]) -> Bool {
        guard count > 1 else { return true }
        var adjacency = Array(repeating: [Int](), count: count)
        for (a, b) in links { adjacency[a].append(b); adjacency[b].append(a) }
        var seen = Set([0]), stack = [0]
        while let node = stack.popLast() {
            for next in adjacency[node] where seen.insert(next).inserted { stack.append(next) }
        }
        return seen.count == count
    }
}
