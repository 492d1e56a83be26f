import Foundation
import PulseStorage
import Testing

/// The fault proxy itself, in front of the real source cluster: it forwards, a cut closes live connections and
/// refuses new ones, a restore forwards again on the same port.
@Suite("TCP fault proxy", .enabled(if: EndToEnd.sourceURL != nil))
struct TCPFaultProxyTests {
    @Test func forwardsRefusesWhileCutAndForwardsAgainAfterRestore() throws {
        let sourceURL = try #require(EndToEnd.sourceURL)
        var components = try #require(URLComponents(string: sourceURL))
        let proxy = try TCPFaultProxy(
            upstreamHost: components.host ?? "127.0.0.1", upstreamPort: try #require(UInt16(exactly: components.port ?? 5432))
        )
        defer { proxy.close() }
        components.port = Int(proxy.port)
        let proxied = try #require(components.string)

        let open = try PostgresConnection.connect(url: proxied)
        defer { open.close() }
        #expect(try open.execute("SELECT 1 AS one").rows[0].int("one") == 1)
        #expect(proxy.liveConnections == 1)

        proxy.cut()
        #expect(throws: StorageError.self) { try open.execute("SELECT 1") }
        let refused = #expect(throws: StorageError.self) { try PostgresConnection.connect(url: proxied).close() }
        #expect(refused?.underlying?.contains("Connection refused") == true, "\(String(describing: refused))")

        try proxy.restore()
        let again = try PostgresConnection.connect(url: proxied)
        defer { again.close() }
        #expect(try again.execute("SELECT 1 AS one").rows[0].int("one") == 1)
        #expect(proxy.acceptedConnections == 2)
    }
}
