public import Foundation

/// A complete HTTP response. `Content-Length` is computed by the server.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Response headers (names are sent as given).
    public var headers: [String: String]
    /// The response body; omitted on the wire for HEAD requests.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response (`Content-Type: application/json`); `body` must already be encoded JSON.
    public static func json(_ body: Data, status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// A text response, UTF-8 encoded.
    public static func text(_ body: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Data(body.utf8))
    }

    /// An RFC 9457 problem (`Content-Type: application/problem+json`) with `type`, `title`, `status` and `detail`.
    public static func problem(status: Int, title: String, detail: String, type: String = "about:blank") -> HTTPResponse {
        let problem = ProblemBody(type: type, title: title, status: status, detail: detail)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding four plain fields cannot fail; fall back to a bare body rather than trap.
        let body = (try? encoder.encode(problem)) ?? Data("{\"status\":\(status)}".utf8)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/problem+json"], body: body)
    }
}

/// The RFC 9457 problem details members Pulse sends.
private struct ProblemBody: Encodable {
    let type: String
    let title: String
    let status: Int
    let detail: String
}
