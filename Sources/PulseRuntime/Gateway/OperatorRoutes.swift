import Foundation
import PulseContracts
import PulseHTTP
import PulseMessaging

/// Who may use the operator endpoints, and what they need to reach the broker.
struct OperatorAccess: Sendable {
    let configuration: RuntimeConfiguration

    /// Dead-letter queues hold every tenant's messages, so the endpoints want the operator's bearer token
    /// (`PULSE_ADMIN_TOKEN`), compared in constant time; without a configured token they are off.
    func authorize(_ request: HTTPRequest) throws {
        guard let token = configuration.adminToken else {
            throw Problem.forbidden("the operator endpoints are off: start the gateway with PULSE_ADMIN_TOKEN set")
        }
        let presented = request.header("authorization").flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        let expected = Array(token.utf8)
        let given = Array(presented.utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        guard difference == 0 else {
            throw Problem(
                type: "https://pulse.dev/problems/unauthorized", title: "Unauthorized", status: 401,
                detail: "the operator endpoints want 'Authorization: Bearer <PULSE_ADMIN_TOKEN>'"
            )
        }
    }
}

/// `/admin/dlq…`: the `pulse dlq` commands over HTTP. Each request opens its own broker connection (operators
/// call these rarely; the command bus's connections stay for commands).
extension GatewayRoutes {
    func installOperatorRoutes(on router: Router) {
        add(router, .GET, "/admin/dlq") { request in
            try operatorAccess.authorize(request)
            var counts: [String: JSONValue] = [:]
            for stage in Stage.allCases {
                let queue = try DeadLetters(configuration: operatorAccess.configuration, stageName: stage.rawValue)
                defer { queue.close() }
                counts[stage.rawValue] = .number(Double(try queue.count()))
            }
            return .json(CanonicalJSON.data(.object(["parked": .object(counts)])))
        }
        add(router, .GET, "/admin/dlq/:stage") { request in
            try withDeadLetters(request) { queue in
                let filter = DeadLetters.Filter(
                    messageIds: request.query["messageId"].map { [$0] }, operation: request.query["operation"],
                    tenant: request.query["tenant"], errorContains: request.query["errorContains"]
                )
                return .json(CanonicalJSON.data(.object(["messages": try JSONValue.encode(try queue.list(filter))])))
            }
        }
        add(router, .GET, "/admin/dlq/:stage/:messageId") { request in
            try withDeadLetters(request) { queue in
                let messageId = request.pathParameters["messageId"] ?? ""
                guard let (entry, envelope) = try queue.show(messageId: messageId) else {
                    throw Problem.notFound("parked message \(Identifier.isSafe(messageId, maxLength: 200) ? messageId : "(invalid id)")")
                }
                return .json(CanonicalJSON.data(.object(["message": try JSONValue.encode(entry), "envelope": envelope ?? .null])))
            }
        }
        add(router, .POST, "/admin/dlq/:stage/replay") { request in
            try withDeadLetters(request) { queue in
                let selection = try Self.body(of: request).decode(ReplaySelection.self)
                let filter = selection.filter
                guard filter.isRestricted || selection.all == true else {
                    throw Problem.invalidField(pointer: "", detail: "say which: messageIds, operation, tenant, errorContains, or \"all\": true")
                }
                return .json(CanonicalJSON.data(.object(["replayed": .number(Double(try queue.replay(filter)))])))
            }
        }
        add(router, .DELETE, "/admin/dlq/:stage") { request in
            try withDeadLetters(request) { queue in
                .json(CanonicalJSON.data(.object(["purged": .number(Double(try queue.purge()))])))
            }
        }
    }

    private func withDeadLetters(_ request: HTTPRequest, _ body: (DeadLetters) throws -> HTTPResponse) throws -> HTTPResponse {
        try operatorAccess.authorize(request)
        let name = request.pathParameters["stage"] ?? ""
        guard Stage(rawValue: name) != nil else {
            throw Problem.notFound("stage '\(Identifier.isSafe(name, maxLength: 64) ? name : "?")' (one of: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let queue = try DeadLetters(configuration: operatorAccess.configuration, stageName: name)
        defer { queue.close() }
        return try body(queue)
    }
}

/// The body of `POST /admin/dlq/{stage}/replay`.
private struct ReplaySelection: Decodable {
    var messageIds: [String]?
    var operation: String?
    var tenant: String?
    var errorContains: String?
    var all: Bool?

    var filter: DeadLetters.Filter {
        DeadLetters.Filter(messageIds: messageIds.map(Set.init), operation: operation, tenant: tenant, errorContains: errorContains)
    }
}
