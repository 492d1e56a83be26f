import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PulseHTTP
import Synchronization
import Testing

@Suite struct HTTPServerTests {
    @Test func routesWithPathParametersOverHTTP() async throws {
        let router = Router()
        router.add(.POST, "/datasources/:id/validate") { request in
            .json(Data(#"{"id":"\#(request.pathParameters["id"] ?? "")"}"#.utf8), status: 202)
        }
        let server = try startServer(router)
        defer { server.stop() }
        #expect(server.port != 0)
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let (response, body) = try await client.send("POST", "/datasources/ds_42/validate")
        #expect(response.statusCode == 202)
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        #expect(String(decoding: body, as: UTF8.self) == #"{"id":"ds_42"}"#)
    }

    @Test func notFoundAndMethodNotAllowedAreProblems() async throws {
        let router = Router()
        router.add(.GET, "/datasources/:id") { _ in .text("x") }
        router.add(.DELETE, "/datasources/:id") { _ in .text("x") }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let (missing, missingBody) = try await client.send("GET", "/nope")
        #expect(missing.statusCode == 404)
        #expect(missing.value(forHTTPHeaderField: "Content-Type") == "application/problem+json")
        let problem = try #require(try JSONSerialization.jsonObject(with: missingBody) as? [String: Any])
        #expect(problem["status"] as? Int == 404)

        let (wrong, _) = try await client.send("PUT", "/datasources/ds_1")
        #expect(wrong.statusCode == 405)
        #expect(wrong.value(forHTTPHeaderField: "Content-Type") == "application/problem+json")
        #expect(wrong.value(forHTTPHeaderField: "Allow") == "GET, DELETE, HEAD")
    }

    @Test func queryIsPercentDecoded() async throws {
        let router = Router()
        router.add(.GET, "/search") { request in
            let pairs = request.query.keys.sorted().map { "\($0)=[\(request.query[$0] ?? "")]" }
            return .text(pairs.joined(separator: " "))
        }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let (response, body) = try await client.send("GET", "/search?name=a%20b&sum=1%2B1&plus=a+b&empty&utf=%C3%A9t%C3%A9")
        #expect(response.statusCode == 200)
        // Decoded by hand: %20 → space, %2B → "+", "+" → space (form encoding), %C3%A9 → "é".
        #expect(String(decoding: body, as: UTF8.self) == "empty=[] name=[a b] plus=[a b] sum=[1+1] utf=[été]")
    }

    @Test func postBodyEchoOneMebibyte() async throws {
        let router = Router()
        router.add(.POST, "/echo") { request in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        var generator = SystemRandomNumberGenerator()
        var payload = Data(count: 1 << 20)
        payload.withUnsafeMutableBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: 8) {
                bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
            }
        }
        let (response, body) = try await client.send("POST", "/echo", body: payload)
        #expect(response.statusCode == 200)
        #expect(body.count == payload.count)
        #expect(body == payload)
    }

    @Test func bodyOverLimitIs413AndServerStaysUp() async throws {
        let router = Router()
        router.add(.POST, "/upload") { request in .text("\(request.body.count)") }
        router.add(.GET, "/livez") { _ in .text("ok") }
        let server = try startServer(router, maxBodyBytes: 1024)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        // Declared length over the limit: answered before the body is read.
        let (declared, declaredBody) = try await client.send("POST", "/upload", body: Data(repeating: 7, count: 4096))
        #expect(declared.statusCode == 413)
        #expect(declared.value(forHTTPHeaderField: "Content-Type") == "application/problem+json")
        let problem = try #require(try JSONSerialization.jsonObject(with: declaredBody) as? [String: Any])
        #expect(problem["status"] as? Int == 413)

        // Chunked upload (no Content-Length) passing the limit mid-stream.
        let stream = InputStream(data: Data(repeating: 8, count: 64 << 10))
        let (chunked, _) = try await client.send("POST", "/upload", bodyStream: stream)
        #expect(chunked.statusCode == 413)

        // Exactly at the limit is accepted.
        let (atLimit, atLimitBody) = try await client.send("POST", "/upload", body: Data(repeating: 9, count: 1024))
        #expect(atLimit.statusCode == 200)
        #expect(String(decoding: atLimitBody, as: UTF8.self) == "1024")

        let (alive, _) = try await client.send("GET", "/livez")
        #expect(alive.statusCode == 200)
    }

    @Test func slowRequestsAreServedInParallel() async throws {
        let parallel = 20
        let arrivals = Arrivals()
        let router = Router()
        router.add(.GET, "/slow") { _ in
            // Each handler waits until all 20 are inside a handler at once: only possible if served in parallel.
            arrivals.arriveAndWait(for: parallel, deadline: Date().addingTimeInterval(20))
                ? .text("together") : .text("alone", status: 504)
        }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<parallel {
                group.addTask { try await client.send("GET", "/slow").0.statusCode }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: parallel))
    }

    @Test func headersAreCaseInsensitive() async throws {
        let router = Router()
        router.add(.GET, "/headers") { request in
            .text("\(request.header("x-TRACE-id") ?? "-") \(request.headers["x-trace-id"] ?? "-") \(request.header("HOST") ?? "-")")
        }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let (response, body) = try await client.send("GET", "/headers", headers: ["X-Trace-Id": "t-1"])
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "content-type") == "text/plain; charset=utf-8")
        #expect(String(decoding: body, as: UTF8.self) == "t-1 t-1 127.0.0.1:\(server.port)")
    }

    @Test func stopFreesThePortAndPortConflictsThrow() async throws {
        let router = Router()
        router.add(.GET, "/livez") { _ in .text("ok") }
        let first = try startServer(router)
        let port = first.port
        let client = TestClient(port: port)
        defer { client.finish() }
        #expect(try await client.send("GET", "/livez").0.statusCode == 200)

        let clash = HTTPServer(configuration: .init(port: port), router: router)
        let error = try #require(throws: HTTPServerError.self) { try clash.start() }
        #expect(error.code == .bindFailed)
        #expect(error.disposition == .fatal)

        first.stop()
        first.stop()  // idempotent

        let second = HTTPServer(configuration: .init(port: port), router: router)
        try second.start()
        defer { second.stop() }
        #expect(second.port == port)
        let again = TestClient(port: port)
        defer { again.finish() }
        #expect(try await again.send("GET", "/livez").0.statusCode == 200)
    }

    @Test(arguments: [
        HTTPServer.Configuration(host: "example.com", port: 0),
        HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxBodyBytes: -1),
    ])
    func invalidConfigurationThrows(configuration: HTTPServer.Configuration) throws {
        let server = HTTPServer(configuration: configuration, router: Router())
        let error = try #require(throws: HTTPServerError.self) { try server.start() }
        #expect(error.code == .invalidConfiguration)
    }

    @Test func healthRoutesAndMetricsEndpoint() async throws {
        let ready = Mutex(false)
        let metrics = MetricsRegistry(version: "0.1.0")
        metrics.counter("pulse_jobs_total", help: "Jobs.", labels: ["outcome": "ok"]).increment(by: 3)
        let router = Router()
        addHealthRoutes(to: router, metrics: metrics, isReady: { ready.withLock { $0 } })
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        for path in ["/livez", "/healthz"] {
            let (response, body) = try await client.send("GET", path)
            #expect(response.statusCode == 200)
            #expect(String(decoding: body, as: UTF8.self) == "ok\n")
        }
        #expect(try await client.send("GET", "/readyz").0.statusCode == 503)
        ready.withLock { $0 = true }
        #expect(try await client.send("GET", "/readyz").0.statusCode == 200)

        let (response, body) = try await client.send("GET", "/metrics")
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        // Expected text written by hand.
        #expect(String(decoding: body, as: UTF8.self) == """
            # HELP pulse_build_info Build information of this Pulse process.
            # TYPE pulse_build_info gauge
            pulse_build_info{version="0.1.0"} 1
            # HELP pulse_jobs_total Jobs.
            # TYPE pulse_jobs_total counter
            pulse_jobs_total{outcome="ok"} 3

            """)
    }

    @Test func headRequestHasNoBody() async throws {
        let router = Router()
        router.add(.GET, "/doc") { _ in .text("hello") }
        let server = try startServer(router)
        defer { server.stop() }
        let client = TestClient(port: server.port)
        defer { client.finish() }

        let (response, body) = try await client.send("HEAD", "/doc")
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "Content-Length") == "5")
        #expect(body.isEmpty)
    }
}

/// Counts handlers that have arrived and lets each wait (on a condition, not a sleep) until `count` have.
final class Arrivals: @unchecked Sendable {  // `arrived` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var arrived = 0

    func arriveAndWait(for count: Int, deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        while arrived < count {
            if !condition.wait(until: deadline) { return arrived >= count }
        }
        return true
    }
}
