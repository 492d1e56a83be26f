import Foundation
import Testing
import PulseMessaging

@Suite struct AMQPConfigurationTests {
    @Test func parsesTheDevelopmentURL() throws {
        let configuration = try AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:5673/%2F")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 5673)
        #expect(configuration.vhost == "/")
        #expect(configuration.user == "guest")
        #expect(configuration.password == "guest")
        #expect(configuration.heartbeatSeconds == 30)
    }

    @Test func percentDecodesCredentialsAndVhost() throws {
        // Expected values decoded by hand from RFC 3986 percent-encoding: %40 = "@", %3A = ":", %2F = "/".
        let configuration = try AMQPConfiguration(url: "amqp://us%40er:p%3As%2Fs@broker.example/pulse%2Fprod?heartbeat=10",
                                                  connectionName: "gateway")
        #expect(configuration.host == "broker.example")
        #expect(configuration.port == 5672)
        #expect(configuration.user == "us@er")
        #expect(configuration.password == "p:s/s")
        #expect(configuration.vhost == "pulse/prod")
        #expect(configuration.heartbeatSeconds == 10)
        #expect(configuration.connectionName == "gateway")
    }

    @Test func missingPartsTakeTheURISpecDefaults() throws {
        let configuration = try AMQPConfiguration(url: "amqp://rabbit")
        #expect(configuration.port == 5672)
        #expect(configuration.vhost == "/")
        #expect(configuration.user == "guest")
    }

    @Test(arguments: ["http://host/", "amqps://host/", "not a url", "amqp://host:99999/", "amqp://host/a/b"])
    func rejectsInvalidURLs(_ url: String) {
        #expect { try AMQPConfiguration(url: url) } throws: { ($0 as? MessagingError)?.code == .invalidURL }
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try AMQPConfiguration(url: "amqp://alice:s3cret-pw@host:5672/%2F")
        #expect(!configuration.description.contains("s3cret-pw"))
        #expect(configuration.description.contains("alice"))
    }

    @Test(.enabled(if: BrokerFixture.isAvailable))
    func wrongPasswordIsALoginFailureThatDoesNotLeakIt() throws {
        var configuration = try AMQPConfiguration(url: try #require(BrokerFixture.url))
        configuration.password = "definitely-wrong-pw"
        let error = try #require(throws: MessagingError.self) { try AMQPConnection.open(configuration) }
        #expect(error.code == .loginFailed)
        #expect(error.disposition == .fatal)
        #expect(!error.description.contains("definitely-wrong-pw"))
    }

    @Test func unreachableBrokerIsARetryableConnectionFailure() throws {
        // Port 1 on loopback: nothing listens there, so the connect is refused at once.
        var configuration = try AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F")
        configuration.timeoutSeconds = 2
        let error = try #require(throws: MessagingError.self) { try AMQPConnection.open(configuration) }
        #expect(error.code == .connectionFailed)
        #expect(error.disposition == .retry)
    }
}
