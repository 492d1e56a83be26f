import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PulseHTTP
import Testing

/// A real HTTP client (URLSession) against a real server on 127.0.0.1, ephemeral port.
struct TestClient {
    let session: URLSession
    let base: String

    init(port: UInt16) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 30
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
        base = "http://127.0.0.1:\(port)"
    }

    /// Sends a request and returns the response and its body.
    func send(
        _ method: String,
        _ pathAndQuery: String,
        headers: [String: String] = [:],
        body: Data? = nil,
        bodyStream: InputStream? = nil
    ) async throws -> (HTTPURLResponse, Data) {
        var request = URLRequest(url: try #require(URL(string: base + pathAndQuery)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = body }
        if let bodyStream { request.httpBodyStream = bodyStream }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return (http, data)
    }

    func finish() { session.finishTasksAndInvalidate() }
}

/// Starts a server on an ephemeral port; the caller stops it.
func startServer(_ router: Router, maxBodyBytes: Int = 16 << 20) throws -> HTTPServer {
    let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes), router: router)
    try server.start()
    return server
}
