import MeshGatewayService
import PakitConfiguration
import PakitService
import Testing

@Suite("Mesh gateway settings")
struct MeshConfigurationTests {
    static func parse(_ arguments: [String]) throws -> MeshGatewayConfiguration {
        try ServiceHost<MeshGatewayNode>.configuration(arguments: ["--data-dir", "/tmp/unused"] + arguments, environment: [:])
    }

    @Test("bad settings are refused naming the setting; good ones are read", arguments: [
        (["--seeds", "http://127.0.0.1:7071"], "seeds"),
        (["--seeds", "https://"], "seeds"),
        (["--mesh-port", "70000"], "mesh-port"),
        (["--mesh-host", "0.0.0.0"], "mesh-advertise"),
        (["--mesh-host", "localhost"], "mesh-host"),
        (["--mesh-advertise", "node.example:7946"], "mesh-advertise"),
        (["--probe-interval-ms", "100", "--probe-timeout-ms", "200"], "probe-timeout-ms"),
        (["--storage-url", "ftp://x"], "storage-url"),
    ])
    func refused(arguments: [String], setting: String) {
        #expect {
            _ = try Self.parse(arguments)
        } throws: { error in
            (error as? ConfigurationError).map { "\($0)".contains(setting) } ?? false
        }
    }

    @Test("defaults and accepted values")
    func accepted() throws {
        let defaults = try Self.parse([])
        #expect(defaults.meshPort == MeshGatewayConfiguration.defaultMeshPort && defaults.seeds.isEmpty && defaults.meshHost == "127.0.0.1")
        let custom = try Self.parse(["--mesh-host", "0.0.0.0", "--mesh-advertise", "10.0.0.5:7946",
                                     "--seeds", "https://10.0.0.1:7071/, https://10.0.0.2:7071", "--probe-interval-ms", "1000"])
        #expect(custom.seeds == ["https://10.0.0.1:7071", "https://10.0.0.2:7071"])
        #expect(custom.meshAdvertise == "10.0.0.5:7946" && custom.membership.probeInterval == 1000)
    }
}
