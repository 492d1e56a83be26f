import Foundation

public struct EmptyPayload: Payload {
    public init() {}
}

public struct PostgresConnectionPayload: Codable, Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String
    public var sslmode: String?

    public init(host: String, port: Int, database: String, user: String, password: String, sslmode: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.sslmode = sslmode
    }
}

/// `pulse.datasource.register.v1`: a source database and the objects Pulse may read from it.
///
/// The connection config travels in one of two forms. Producers send `connection` in clear to the gateway,
/// which seals it into `sealedConnection` before publishing, so no broker message carries the password
/// (DESIGN rule 3). Producers publishing straight to the broker send `sealedConnection` (see `pulse seal`),
/// or `connection` if they accept a clear password on their own broker link.
public struct RegisterDataSource: Payload, Equatable {
    public var name: String
    public var kind: String
    public var connection: PostgresConnectionPayload?
    /// `connection` sealed (AES-256-GCM, `pulse:v1:<keyId>:…`) with `transitAssociatedData(tenant:)`.
    public var sealedConnection: String?
    public var allowlist: [String]

    public init(name: String, kind: String = "postgres", connection: PostgresConnectionPayload, allowlist: [String]) {
        self.name = name
        self.kind = kind
        self.connection = connection
        self.allowlist = allowlist
    }

    /// What a connection config is sealed with between the gateway and the extractor: bound to the tenant,
    /// so a sealed config cannot be registered under another tenant.
    public static func transitAssociatedData(tenant: String) -> Data {
        Data("pulse/datasource-register/\(tenant)".utf8)
    }

    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if name.isEmpty || name.count > 100 { errors.append(.init(pointer: pointer + "/name", detail: "must be 1-100 characters")) }
        if kind != "postgres" {
            errors.append(.init(pointer: pointer + "/kind", detail: "unsupported kind '\(kind)'; supported: postgres"))
        }
        switch (connection, sealedConnection) {
        case (let connection?, nil):
            errors += connection.problems(pointer: pointer + "/connection")
        case (nil, let sealed?):
            if !sealed.hasPrefix("pulse:v1:") {
                errors.append(.init(pointer: pointer + "/sealedConnection", detail: "must be a sealed value (pulse:v1:<keyId>:<base64>)"))
            }
        case (nil, nil):
            errors.append(.init(pointer: pointer + "/connection", detail: "is required"))
        case (.some, .some):
            errors.append(.init(pointer: pointer + "/sealedConnection", detail: "send either connection or sealedConnection, not both"))
        }
        if allowlist.isEmpty { errors.append(.init(pointer: pointer + "/allowlist", detail: "must name at least one view or table")) }
        for (index, entry) in allowlist.enumerated() where !SourceIdentifier.isValidObjectName(entry) {
            errors.append(.init(pointer: pointer + "/allowlist/\(index)", detail: SourceIdentifier.objectRule))
        }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

extension PostgresConnectionPayload {
    /// Field rules for a connection config found at `pointer`.
    public func problems(pointer: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if host.isEmpty { errors.append(.init(pointer: pointer + "/host", detail: "must not be empty")) }
        if !(1...65535).contains(port) { errors.append(.init(pointer: pointer + "/port", detail: "must be between 1 and 65535")) }
        if database.isEmpty { errors.append(.init(pointer: pointer + "/database", detail: "must not be empty")) }
        if user.isEmpty { errors.append(.init(pointer: pointer + "/user", detail: "must not be empty")) }
        return errors
    }
}

public struct DataSourceReference: Payload, Equatable {
    public var dataSourceId: String
    public init(dataSourceId: String) { self.dataSourceId = dataSourceId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(dataSourceId, .dataSource), pointer + "/dataSourceId", "must be a datasource id (ds_…)")
    }
}
