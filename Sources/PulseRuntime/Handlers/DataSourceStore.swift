import Foundation
import PulseConnectors
import PulseContracts
import PulseStorage

/// A registered datasource as stored, with its connection config still sealed.
struct StoredDataSource {
    let id: String
    let tenant: String
    let name: String
    let sealedConfig: String
    let allowlist: [String]
    let status: String

    static func load(id: String, tenant: String, pointer: String, on database: PostgresConnection) throws -> StoredDataSource {
        let result = try database.execute(
            "SELECT id, tenant_id, name, sealed_config, array_to_json(allowlist)::text AS allowlist, status FROM datasources WHERE id = $1 AND tenant_id = $2",
            [id, tenant]
        )
        guard let row = result.rows.first else { throw Problem.notFound("datasource \(id)", pointer: pointer) }
        return StoredDataSource(
            id: try row.string("id"), tenant: try row.string("tenant_id"), name: try row.string("name"),
            sealedConfig: try row.string("sealed_config"), allowlist: try JSONColumn.decode([String].self, row["allowlist"]),
            status: try row.string("status")
        )
    }

    static func associatedData(tenant: String, id: String) -> Data { Data("pulse/datasource/\(tenant)/\(id)".utf8) }

    func connector(sealer: SecretSealer) throws -> PostgresSourceConnector {
        let plain = try sealer.open(sealedConfig, associatedData: Self.associatedData(tenant: tenant, id: id))
        let config = try JSONCodec.decode(PostgresConnectionPayload.self, from: plain)
        let configuration = PostgresSourceConfiguration(
            host: config.host, port: config.port, database: config.database, user: config.user, password: config.password,
            sslmode: config.sslmode
        )
        let objects = try Set(allowlist.map { try SourceObjectName(parsing: $0) })
        return PostgresSourceConnector(configuration: configuration, allowlist: objects)
    }

    /// Refuses a view that is not on the allowlist, naming the field.
    func requireAllowed(_ view: String, pointer: String) throws {
        let requested = try? SourceObjectName(parsing: view)
        let allowed = Set(allowlist.compactMap { try? SourceObjectName(parsing: $0) })
        guard let requested, allowed.contains(requested) else {
            throw Problem.forbidden("'\(view)' is not on datasource \(id)'s allowlist", pointer: pointer)
        }
    }
}
