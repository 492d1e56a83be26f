import Foundation
import PulseHTTP
import Testing

@Suite struct RouterTests {
    private func makeRouter() -> Router {
        let router = Router()
        router.add(.GET, "/datasources/:id") { .text("get \($0.pathParameters["id"] ?? "-")") }
        router.add(.POST, "/datasources/:id/validate") { .text("validate \($0.pathParameters["id"] ?? "-")") }
        router.add(.GET, "/datasources/active") { _ in .text("literal") }
        router.add(.GET, "/models/:name/versions/:version") { request in
            .text("\(request.pathParameters["name"] ?? "-")@\(request.pathParameters["version"] ?? "-")")
        }
        return router
    }

    private func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test(arguments: [
        (HTTPMethod.GET, "/datasources/ds_1", 200, "get ds_1"),
        (.POST, "/datasources/ds_2/validate", 200, "validate ds_2"),
        (.GET, "/datasources/active", 200, "literal"),            // a literal segment beats a parameter
        (.GET, "/datasources/ds_3/", 200, "get ds_3"),            // a trailing slash is ignored
        (.GET, "/models/churn/versions/7", 200, "churn@7"),
        (.HEAD, "/datasources/ds_4", 200, "get ds_4"),            // HEAD falls back to GET
    ])
    func routesWithPathParameters(method: HTTPMethod, path: String, status: Int, expected: String) {
        let response = makeRouter().handle(HTTPRequest(method: method, path: path))
        #expect(response.status == status)
        #expect(body(response) == expected)
    }

    @Test func unknownPathIsNotFoundProblem() throws {
        let response = makeRouter().handle(HTTPRequest(method: .GET, path: "/nothing/here"))
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let problem = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        #expect(problem["status"] as? Int == 404)
        #expect(problem["title"] as? String == "Not Found")
        #expect(problem["type"] as? String == "about:blank")
    }

    @Test func otherMethodIsMethodNotAllowedWithAllow() {
        let response = makeRouter().handle(HTTPRequest(method: .DELETE, path: "/datasources/ds_1"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD")
        #expect(response.headers["Content-Type"] == "application/problem+json")
    }

    @Test func laterRouteReplacesSamePattern() {
        let router = Router()
        router.add(.GET, "/x") { _ in .text("first") }
        router.add(.GET, "/x") { _ in .text("second") }
        #expect(body(router.handle(HTTPRequest(method: .GET, path: "/x"))) == "second")
    }

    @Test func requestHeadersAreCaseInsensitive() {
        let request = HTTPRequest(method: .GET, path: "/", headers: ["X-Trace-ID": "abc", "Accept": "a", "accept": "b"])
        #expect(request.header("x-trace-id") == "abc")
        #expect(request.header("X-TRACE-ID") == "abc")
        #expect(request.headers["x-trace-id"] == "abc")
        let accept = request.header("Accept")
        #expect(accept == "a, b" || accept == "b, a")
    }

    @Test func problemBodyIsRFC9457() {
        let response = HTTPResponse.problem(status: 422, title: "Invalid", detail: "field /a is bad", type: "https://pulse.dev/p/x")
        // Expected bytes written by hand: sorted keys, slashes not escaped.
        #expect(body(response) == #"{"detail":"field /a is bad","status":422,"title":"Invalid","type":"https://pulse.dev/p/x"}"#)
    }
}
