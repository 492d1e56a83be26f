import Foundation
import PulseRuntime
import Testing

@Suite("Runtime configuration from the environment")
struct RuntimeConfigurationTests {
    private static let required = [
        "PULSE_DATABASE_URL": "postgresql://pulse@127.0.0.1:5432/pulse", "PULSE_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "PULSE_OBJECT_STORE": "/tmp/objects", "PULSE_MASTER_KEY_FILE": "/tmp/master.key", "PULSE_TOPOLOGY": "Topology/pulse.json",
    ]

    @Test func retryTiersKeepTheTopologysDelaysUnlessTold() throws {
        #expect(try RuntimeConfiguration(environment: Self.required).retryDelayOverrideSeconds == nil)
        let configured = try RuntimeConfiguration(environment: Self.required.merging(["PULSE_RETRY_DELAY_SECONDS": "2"]) { $1 })
        #expect(configured.retryDelayOverrideSeconds == 2)
        // A flag overrides the environment, like every other setting.
        let flagged = try RuntimeConfiguration(environment: Self.required, arguments: ["--retry-delay-seconds", "3"])
        #expect(flagged.retryDelayOverrideSeconds == 3)
    }

    @Test(arguments: ["0", "-1", "1.5", "soon", "86401"])
    func aRetryDelayThatIsNotAWholeNumberOfSecondsIsRefused(value: String) {
        #expect(throws: ConfigurationError.self) {
            try RuntimeConfiguration(environment: Self.required.merging(["PULSE_RETRY_DELAY_SECONDS": value]) { $1 })
        }
    }
}
