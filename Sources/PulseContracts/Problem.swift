import Foundation

/// An RFC 9457 problem: what went wrong with a request, and which fields are at fault.
/// The same value travels as an HTTP `application/problem+json` body and as a broker reply/DLQ reason.
public struct Problem: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public struct FieldError: Codable, Sendable, Equatable {
        /// JSON Pointer (RFC 6901) into the request body, e.g. `/payload/datasetVersion`.
        public let pointer: String
        public let detail: String
        public init(pointer: String, detail: String) {
            self.pointer = pointer
            self.detail = detail
        }
    }

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var instance: String?
    public var errors: [FieldError]?

    public init(type: String, title: String, status: Int, detail: String, instance: String? = nil, errors: [FieldError]? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.errors = errors
    }

    public var description: String {
        let fields = (errors ?? []).map { "\($0.pointer): \($0.detail)" }.joined(separator: "; ")
        return fields.isEmpty ? "\(title): \(detail)" : "\(title): \(detail) [\(fields)]"
    }

    private static let base = "https://pulse.dev/problems/"

    public static func malformedJSON(detail: String) -> Problem {
        Problem(type: base + "malformed-json", title: "Malformed JSON", status: 400, detail: detail)
    }

    public static func invalidField(pointer: String, detail: String) -> Problem {
        Problem(
            type: base + "validation", title: "Invalid request", status: 422,
            detail: "\(pointer.isEmpty ? "the body" : pointer): \(detail)",
            errors: [FieldError(pointer: pointer, detail: detail)]
        )
    }

    public static func invalidFields(_ errors: [FieldError]) -> Problem {
        Problem(
            type: base + "validation", title: "Invalid request", status: 422,
            detail: errors.map { "\($0.pointer): \($0.detail)" }.joined(separator: "; "), errors: errors
        )
    }

    public static func unknownOperation(_ name: String) -> Problem {
        Problem(
            type: base + "unknown-operation", title: "Unknown operation", status: 404,
            detail: "no operation named '\(name)'; see GET /operations for the catalog"
        )
    }

    public static func notFound(_ what: String, pointer: String? = nil) -> Problem {
        Problem(
            type: base + "not-found", title: "Not found", status: 404, detail: "\(what) does not exist",
            errors: pointer.map { [FieldError(pointer: $0, detail: "\(what) does not exist")] }
        )
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(type: base + "conflict", title: "Conflict", status: 409, detail: detail)
    }

    public static func forbidden(_ detail: String, pointer: String? = nil) -> Problem {
        Problem(
            type: base + "forbidden", title: "Forbidden", status: 403, detail: detail,
            errors: pointer.map { [FieldError(pointer: $0, detail: detail)] }
        )
    }

    public static func unavailable(_ detail: String) -> Problem {
        Problem(type: base + "unavailable", title: "Service unavailable", status: 503, detail: detail)
    }

    /// The same idempotency key came with a different request (RFC draft-ietf-httpapi-idempotency-key-header: 422).
    public static func idempotencyKeyReused(_ key: String, storedHash: String, requestHash: String) -> Problem {
        let detail = "Idempotency-Key '\(key)' was already used for a different request: the first request hashed to \(storedHash), this one to \(requestHash)"
        return Problem(
            type: base + "idempotency-key-reused", title: "Idempotency key reused", status: 422, detail: detail,
            errors: [FieldError(pointer: "/idempotencyKey", detail: detail)]
        )
    }

    /// A request with this idempotency key is still being handled (409; retry later or poll the operation).
    public static func idempotencyKeyInFlight(_ key: String, messageId: String) -> Problem {
        Problem(
            type: base + "idempotency-key-in-flight", title: "Request in flight", status: 409,
            detail: "a request with Idempotency-Key '\(key)' is still in flight (message \(messageId)); retry later or poll /operations/\(messageId)"
        )
    }

    public static func internalError(_ detail: String = "an internal error occurred") -> Problem {
        Problem(type: base + "internal", title: "Internal error", status: 500, detail: detail)
    }

    /// Maps a Foundation decoding error to a problem whose pointer names the field at fault.
    public init(decodingError: DecodingError, pointerPrefix: String) {
        func pointer(_ path: [any CodingKey]) -> String {
            pointerPrefix + path.map { key in "/" + (key.intValue.map(String.init) ?? key.stringValue) }.joined()
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            self = .invalidField(pointer: pointer(context.codingPath + [key]), detail: "is required")
        case .typeMismatch(let type, let context):
            self = .invalidField(pointer: pointer(context.codingPath), detail: "must be \(Self.jsonTypeName(type))")
        case .valueNotFound(let type, let context):
            self = .invalidField(pointer: pointer(context.codingPath), detail: "must be \(Self.jsonTypeName(type)), not null")
        case .dataCorrupted(let context):
            self = .invalidField(pointer: pointer(context.codingPath), detail: context.debugDescription)
        @unknown default:
            self = .invalidField(pointer: pointerPrefix, detail: "is invalid")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        case is [Any].Type: return "an array"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}

/// Thrown by payload validation to point at a field (used in `validate()` implementations).
/// The pointer and detail are built only on failure (a request's items are checked one by one).
public func require(_ condition: Bool, _ pointer: @autoclosure () -> String, _ detail: @autoclosure () -> String) throws(Problem) {
    if !condition { throw Problem.invalidField(pointer: pointer(), detail: detail()) }
}
