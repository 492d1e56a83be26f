/// The worker stage that owns an operation.
public enum Stage: String, Codable, Sendable, CaseIterable {
    case extractor, snapshotter, trainer, evaluator, promoter, scorer
    case driftMonitor = "drift-monitor"
}

/// A payload type: decodable from an envelope and able to check its own field rules.
public protocol Payload: Codable, Sendable {
    /// Checks rules beyond types (ranges, formats). `pointer` is where the payload sits (`/payload`).
    func validate(pointer: String) throws(Problem)
}

extension Payload {
    public func validate(pointer: String) throws(Problem) {}
}

/// A typed operation name: the name and its payload type cannot drift apart (after swift-jobs' `JobName`).
public struct OperationName<Body: Payload>: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public let kind: Envelope.Kind
    /// The stage that handles it; `nil` for queries, which the gateway answers from PostgreSQL.
    public let stage: Stage?

    public init(_ rawValue: String, kind: Envelope.Kind, stage: Stage?) {
        self.rawValue = rawValue
        self.kind = kind
        self.stage = stage
    }

    public var version: Int { OperationNaming.version(of: rawValue) ?? 1 }
    public var description: String { rawValue }
    public var descriptor: OperationDescriptor { OperationDescriptor(self) }
}

/// A type-erased catalog entry: enough to route and validate an envelope by name.
public struct OperationDescriptor: Sendable {
    public let name: String
    public let kind: Envelope.Kind
    public let stage: Stage?
    private let check: @Sendable (JSONValue) throws(Problem) -> Void

    public init<Body>(_ operation: OperationName<Body>) {
        name = operation.rawValue
        kind = operation.kind
        stage = operation.stage
        check = { (payload: JSONValue) throws(Problem) in
            guard case .object = payload else {
                throw Problem.invalidField(pointer: "/payload", detail: "must be a JSON object")
            }
            let value = try payload.decode(Body.self, pointerPrefix: "/payload")
            try value.validate(pointer: "/payload")
        }
    }

    /// Decodes and validates a payload; throws a `Problem` naming the field at fault.
    public func validatePayload(_ payload: JSONValue) throws(Problem) { try check(payload) }
}
