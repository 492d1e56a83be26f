import Foundation

/// The protocol envelope every command, query and event travels in.
public struct Envelope: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case mutation, query, event }

    public struct Metadata: Codable, Sendable, Equatable {
        public var correlationId: String?
        public var causationId: String?
        public var traceparent: String?
        /// SHA-256 of the request as its producer sent it (`IdempotentRequest.hash`), set by whoever saw it in
        /// clear before secrets were sealed; a worker computes it itself when it is absent.
        public var requestHash: String?
        public init(correlationId: String? = nil, causationId: String? = nil, traceparent: String? = nil, requestHash: String? = nil) {
            self.correlationId = correlationId
            self.causationId = causationId
            self.traceparent = traceparent
            self.requestHash = requestHash
        }
    }

    public var `protocol`: String
    public var kind: Kind
    public var name: String
    public var version: Int
    public var messageId: String
    public var timestamp: String
    public var idempotencyKey: String?
    public var tenantId: String
    public var payload: JSONValue
    public var metadata: Metadata

    public init(
        kind: Kind, name: String, version: Int, messageId: String, timestamp: Date, idempotencyKey: String? = nil,
        tenantId: String, payload: JSONValue, metadata: Metadata = Metadata()
    ) {
        self.protocol = "pulse"
        self.kind = kind
        self.name = name
        self.version = version
        self.messageId = messageId
        self.timestamp = Timestamp.format(timestamp)
        self.idempotencyKey = idempotencyKey
        self.tenantId = tenantId
        self.payload = payload
        self.metadata = metadata
    }

    /// Builds a mutation envelope for a typed operation.
    public static func mutation<Payload>(
        _ operation: OperationName<Payload>, payload: Payload, tenantId: String, messageId: String = MessageID.make(),
        idempotencyKey: String? = nil, metadata: Metadata = Metadata(), now: Date = Date()
    ) throws -> Envelope {
        Envelope(
            kind: operation.kind, name: operation.rawValue, version: operation.version, messageId: messageId,
            timestamp: now, idempotencyKey: idempotencyKey, tenantId: tenantId, payload: try JSONValue.encode(payload),
            metadata: metadata
        )
    }

    /// Decodes and validates an envelope from wire bytes. Every problem names the field at fault.
    public static func decode(_ data: Data) throws(Problem) -> Envelope {
        let json = try JSONValue.parse(data)
        guard case .object = json else { throw Problem.invalidField(pointer: "", detail: "must be a JSON object") }
        let envelope = try json.decode(Envelope.self)
        try envelope.validate()
        return envelope
    }

    /// Checks the envelope fields (not the payload: see `OperationCatalog.validatePayload`).
    public func validate() throws(Problem) {
        var errors: [Problem.FieldError] = []
        func check(_ ok: Bool, _ pointer: String, _ detail: String) {
            if !ok { errors.append(.init(pointer: pointer, detail: detail)) }
        }
        check(self.protocol == "pulse", "/protocol", "must be \"pulse\"")
        check(OperationNaming.isValid(name), "/name", "must look like pulse.<area>.<action>.v<N>")
        check(OperationNaming.version(of: name) == version, "/version", "must equal the version in the name (\(OperationNaming.version(of: name) ?? 0))")
        check(Identifier.isSafe(messageId, maxLength: 200), "/messageId", "must be 1-200 characters of letters, digits, '-', '_', '.', ':'")
        check(Timestamp.parse(timestamp) != nil, "/timestamp", "must be an ISO-8601 UTC timestamp like 2026-01-31T12:00:00Z")
        check(TenantID.isValid(tenantId), "/tenantId", "must be 1-64 characters of lowercase letters, digits, '-' or '_'")
        if let key = idempotencyKey {
            check(Identifier.isSafe(key, maxLength: 200), "/idempotencyKey", "must be 1-200 characters of letters, digits, '-', '_', '.', ':'")
        }
        if let hash = metadata.requestHash {
            check(IdempotentRequest.isHash(hash), "/metadata/requestHash", "must be 'sha256:' followed by 64 lowercase hex digits")
        }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }

    public func encoded() -> Data {
        (try? JSONCodec.encode(self)) ?? Data()
    }

    /// Decodes the payload as the operation's type; problems point into `/payload`.
    public func payload<Payload>(as operation: OperationName<Payload>) throws(Problem) -> Payload {
        let value = try payload.decode(Payload.self, pointerPrefix: "/payload")
        try value.validate(pointer: "/payload")
        return value
    }
}

public enum Timestamp {
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

public enum OperationNaming {
    /// `pulse.<area>[.<area>…].<action>.v<N>`: lowercase words separated by dots, kebab-case allowed.
    public static func isValid(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts.first == "pulse", version(of: name) != nil else { return false }
        return parts.dropFirst().dropLast().allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ($0.isLowercase && $0.isASCII) || $0 == "-" || ($0.isNumber && $0.isASCII) }
        }
    }

    public static func version(of name: String) -> Int? {
        guard let last = name.split(separator: ".").last, last.hasPrefix("v") else { return nil }
        return Int(last.dropFirst()).flatMap { $0 > 0 ? $0 : nil }
    }
}

public enum Identifier {
    public static func isSafe(_ text: String, maxLength: Int) -> Bool {
        !text.isEmpty && text.count <= maxLength
            && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.:".unicodeScalars.contains($0)) }
    }
}
