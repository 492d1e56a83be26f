import Synchronization

/// A handler: takes a complete request, returns a complete response. It may block (it runs on its connection's thread).
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// Maps method + path pattern to handlers. Patterns are `/`-separated; a segment `:name` captures one path segment
/// into `pathParameters["name"]`. When several patterns match, the one with a literal segment earliest wins.
/// Empty segments are ignored, so `/a/` and `/a` are the same path.
public final class Router: Sendable {
    private struct Route: Sendable {
        let method: HTTPMethod
        let segments: [Segment]
        let handler: HTTPHandler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private let routes = Mutex<[Route]>([])

    /// Creates an empty router.
    public init() {}

    /// Adds a route, e.g. `add(.POST, "/datasources/:id/validate") { request in … }`.
    /// A later route with the same method and pattern replaces the earlier one.
    public func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix(":") && part.count > 1 ? .parameter(String(part.dropFirst())) : .literal(part)
        }
        routes.withLock { routes in
            routes.removeAll { $0.method == method && $0.segments == segments }
            routes.append(Route(method: method, segments: segments, handler: handler))
        }
    }

    /// Dispatches a request: unknown path → 404 problem; known path with another method → 405 problem with `Allow`.
    /// HEAD is served by the GET route when no HEAD route exists.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let path = Self.split(request.path)
        let candidates: [(route: Route, parameters: [String: String])] = routes.withLock { routes in
            routes.compactMap { route in Self.match(route.segments, path).map { (route, $0) } }
        }
        guard !candidates.isEmpty else {
            return .problem(status: 404, title: "Not Found", detail: "No route for \(request.method.rawValue) \(request.path).")
        }
        let wanted: [HTTPMethod] = request.method == .HEAD ? [.HEAD, .GET] : [request.method]
        for method in wanted {
            let matching = candidates.filter { $0.route.method == method }
            if let best = matching.max(by: { Self.isLessSpecific($0.route.segments, than: $1.route.segments) }) {
                var routed = request
                routed.pathParameters = best.parameters
                return best.route.handler(routed)
            }
        }
        var allowed = Set(candidates.map(\.route.method))
        if allowed.contains(.GET) { allowed.insert(.HEAD) }
        let allow = HTTPMethod.allCases.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
        var response = HTTPResponse.problem(
            status: 405,
            title: "Method Not Allowed",
            detail: "\(request.method.rawValue) is not allowed on \(request.path); allowed: \(allow)."
        )
        response.headers["Allow"] = allow
        return response
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func match(_ segments: [Segment], _ path: [String]) -> [String: String]? {
        guard segments.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, path) {
            switch segment {
            case .literal(let literal): if literal != part { return nil }
            case .parameter(let name): parameters[name] = part
            }
        }
        return parameters
    }

    /// Compares two patterns of equal length: at the first position where one is literal and the other a
    /// parameter, the literal is more specific.
    private static func isLessSpecific(_ lhs: [Segment], than rhs: [Segment]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            switch (left, right) {
            case (.parameter, .literal): return true
            case (.literal, .parameter): return false
            default: continue
            }
        }
        return false
    }
}
