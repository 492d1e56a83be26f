public import Foundation

/// One HTTP request as the handlers see it: the body is complete and every header name is lowercased.
public struct HTTPRequest: Sendable {
    /// The request method.
    public let method: HTTPMethod
    /// The percent-decoded path, without the query string.
    public let path: String
    /// Query arguments, percent-decoded (`+` is a space); a key without a value maps to "".
    public let query: [String: String]
    /// Request headers keyed by lowercased name.
    public let headers: [String: String]
    /// The complete request body.
    public let body: Data
    /// Values of the `:name` segments of the matched route, filled by the router.
    public var pathParameters: [String: String]

    /// Creates a request; header names are lowercased here, so any spelling may be passed.
    public init(
        method: HTTPMethod,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: Data = Data(),
        pathParameters: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            // Repeated headers are joined as RFC 9110 §5.3 allows.
            if let existing = lowered[key] { lowered[key] = existing + ", " + value } else { lowered[key] = value }
        }
        self.headers = lowered
        self.body = body
        self.pathParameters = pathParameters
    }

    /// The value of a header, whatever the case of `name`.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
