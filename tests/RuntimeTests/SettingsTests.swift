import Foundation
import PakitConfiguration
import Testing

@Suite("Configuration")
struct SettingsTests {
    static let declared = [
        Setting("port", env: "PAKIT_TEST_PORT", default: "7070", help: "port"),
        Setting("name", env: "PAKIT_TEST_NAME", default: nil, help: "name"),
        Setting("size", env: "PAKIT_TEST_SIZE", default: "1MiB", help: "size"),
        Setting("flag", env: "PAKIT_TEST_FLAG", default: "false", help: "flag"),
    ]

    @Test("flags beat environment, environment beats the file, the file beats defaults")
    func precedence() throws {
        let file = NSTemporaryDirectory() + "pakit-config-\(UUID().uuidString).json"
        try Data(#"{"port": 9000, "name": "from-file", "flag": true}"#.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try Settings(Self.declared, arguments: ["--config", file], environment: [:])
        #expect(try fromFile.int("port", in: 1...65535) == 9000)
        #expect(try fromFile.bool("flag"))
        let fromEnvironment = try Settings(Self.declared, arguments: ["--config", file], environment: ["PAKIT_TEST_PORT": "9001"])
        #expect(try fromEnvironment.int("port", in: 1...65535) == 9001)
        let fromFlag = try Settings(Self.declared, arguments: ["--config", file, "--port=9002"], environment: ["PAKIT_TEST_PORT": "9001"])
        #expect(try fromFlag.int("port", in: 1...65535) == 9002)
        #expect(try fromFlag.string("name") == "from-file")
        #expect(try Settings(Self.declared, arguments: [], environment: [:]).byteSize("size") == 1 << 20)
    }

    @Test("a bad value stops start-up with a message naming the setting and where it came from")
    func badValues() throws {
        let env = try Settings(Self.declared, arguments: [], environment: ["PAKIT_TEST_PORT": "http"])
        #expect(throws: ConfigurationError.self) { try env.int("port", in: 1...65535) }
        do {
            _ = try env.int("port", in: 1...65535)
        } catch {
            #expect(error.message.contains("port"))
            #expect(error.message.contains("PAKIT_TEST_PORT"))
        }
        let range = try Settings(Self.declared, arguments: ["--port", "70000"], environment: [:])
        #expect(throws: ConfigurationError.self) { try range.int("port", in: 1...65535) }
        #expect(throws: ConfigurationError.self) { try Settings(Self.declared, arguments: ["--nope", "1"], environment: [:]) }
        #expect(throws: ConfigurationError.self) { try Settings(Self.declared, arguments: ["--port"], environment: [:]) }
        #expect(throws: ConfigurationError.self) { try Settings(Self.declared, arguments: [], environment: [:]).string("name") }
        #expect(throws: ConfigurationError.self) { try Settings(Self.declared, arguments: ["--size", "12XB"], environment: [:]).byteSize("size") }
        #expect(throws: ConfigurationError.self) { try Settings(Self.declared, arguments: ["--flag", "maybe"], environment: [:]).bool("flag") }
        #expect(throws: ConfigurationError.self) {
            try Settings(Self.declared, arguments: ["--config", "/nonexistent/pakit.json"], environment: [:])
        }
    }
}
