import Foundation
import PulseContracts
import PulseStorage

/// Small helpers for reading and writing JSON columns.
enum JSONColumn {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCodec.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text else { throw StageError("a JSON column expected to hold \(T.self) is NULL") }
        return try JSONCodec.decode(T.self, from: Data(text.utf8))
    }
}

extension PostgresConnection {
    /// Records one lineage edge (idempotent).
    func link(tenant: String, from: (kind: String, id: String), to: (kind: String, id: String), relation: String) throws {
        try execute(
            """
            INSERT INTO lineage_edges (tenant_id, from_kind, from_id, to_kind, to_id, relation)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """,
            [tenant, from.kind, from.id, to.kind, to.id, relation]
        )
    }
}
