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
public struct RegisterDataSource: Payload, Equatable {
    public var name: String
    public var kind: String
    public var connection: PostgresConnectionPayload
    public var allowlist: [String]

    public init(name: String, kind: String = "postgres", connection: PostgresConnectionPayload, allowlist: [String]) {
        self.name = name
        self.kind = kind
        self.connection = connection
        self.allowlist = allowlist
    }

    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if name.isEmpty || name.count > 100 { errors.append(.init(pointer: pointer + "/name", detail: "must be 1-100 characters")) }
        if kind != "postgres" {
            errors.append(.init(pointer: pointer + "/kind", detail: "unsupported kind '\(kind)'; supported: postgres"))
        }
        if connection.host.isEmpty { errors.append(.init(pointer: pointer + "/connection/host", detail: "must not be empty")) }
        if !(1...65535).contains(connection.port) {
            errors.append(.init(pointer: pointer + "/connection/port", detail: "must be between 1 and 65535"))
        }
        if connection.database.isEmpty { errors.append(.init(pointer: pointer + "/connection/database", detail: "must not be empty")) }
        if connection.user.isEmpty { errors.append(.init(pointer: pointer + "/connection/user", detail: "must not be empty")) }
        if allowlist.isEmpty { errors.append(.init(pointer: pointer + "/allowlist", detail: "must name at least one view or table")) }
        for (index, entry) in allowlist.enumerated() where !SourceIdentifier.isValidObjectName(entry) {
            errors.append(.init(pointer: pointer + "/allowlist/\(index)", detail: SourceIdentifier.objectRule))
        }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

public struct DataSourceReference: Payload, Equatable {
    public var dataSourceId: String
    public init(dataSourceId: String) { self.dataSourceId = dataSourceId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(dataSourceId, .dataSource), pointer + "/dataSourceId", "must be a datasource id (ds_…)")
    }
}
