import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage

/// What a scenario's operations came to.
struct FaultFigures: CustomStringConvertible {
    var accepted = 0
    var completed = 0
    /// Answered with a problem by the worker (a terminal state too).
    var failed = 0
    /// Sitting in a dead-letter queue.
    var parked = 0
    /// Effects beyond one per operation (rows written twice, an operation with two terminal states).
    var duplicated = 0
    /// Accepted operations with no terminal state, or whose effect is missing.
    var lost = 0
    /// Submitted but never accepted (the client gave up).
    var refused = 0
    /// Every violation found, in words (the tests expect none).
    var problems: [String] = []

    var description: String {
        "accepted=\(accepted) completed=\(completed) failed=\(failed) parked=\(parked) duplicated=\(duplicated) lost=\(lost)"
            + (refused > 0 ? " refused=\(refused)" : "")
    }
}

/// Checks, after a scenario, that every accepted operation reached exactly one terminal state (an inbox row, or a
/// parked message), that its effect exists once, and that its content equals what the undisturbed reference run of
/// the same operation produced (same keys, so the same message ids, in the reference stack's own database).
enum FaultAudit {
    static func audit(_ submissions: [Submission], on stack: FaultStack, reference: FaultStack?) throws -> FaultFigures {
        var figures = FaultFigures()
        let byKey = Dictionary(grouping: submissions, by: \.key)
        var parked: [Stage: [String]] = [:]
        for stage in Set(submissions.map(\.stage)) { parked[stage] = try stack.parkedMessageIds(stage) }
        let objects = try FileObjectStore(root: stack.configuration.objectStoreRoot)

        try stack.withDatabase { database in
            let referenceDatabase = try reference.map { try PostgresConnection.connect(url: $0.databaseURL) }
            defer { referenceDatabase?.close() }
            for (key, attempts) in byKey.sorted(by: { $0.key < $1.key }) {
                guard let submission = attempts.first(where: \.accepted) ?? attempts.first else { continue }
                guard submission.accepted else {
                    figures.refused += 1
                    figures.problems.append("\(key): never accepted after \(submission.attempts) attempts (\(submission.lastAnswer ?? "no answer"))")
                    continue
                }
                figures.accepted += 1
                let inbox = try database.execute(
                    "SELECT status FROM inbox WHERE consumer = $1 AND message_id = $2", [submission.stage.rawValue, submission.messageId]
                )
                let parkedCopies = parked[submission.stage, default: []].filter { $0 == submission.messageId }.count
                switch (inbox.rows.first, parkedCopies) {
                case (nil, 0):
                    figures.lost += 1
                    figures.problems.append("\(key) (\(submission.messageId)): accepted but no terminal state")
                    continue
                case (nil, 1):
                    figures.parked += 1
                    continue
                case (nil, _):
                    figures.parked += 1
                    figures.duplicated += parkedCopies - 1
                    figures.problems.append("\(key): parked \(parkedCopies) times")
                    continue
                case (let row?, let copies):
                    if copies > 0 {
                        figures.duplicated += copies
                        figures.problems.append("\(key): handled and also parked \(copies) times")
                    }
                    guard try row.int("status") < 300 else {
                        figures.failed += 1
                        continue
                    }
                    figures.completed += 1
                }
                let effect = try Effect.of(submission, on: database, objects: objects)
                if effect.rows > submission.expectedRows {
                    figures.duplicated += effect.rows - submission.expectedRows
                    figures.problems.append("\(key): \(effect.rows) rows where \(submission.expectedRows) were expected")
                } else if effect.rows < submission.expectedRows {
                    figures.lost += 1
                    figures.problems.append("\(key): \(effect.rows) rows where \(submission.expectedRows) were expected")
                }
                if let referenceDatabase {
                    let expected = try Effect.of(try submission.resolved(on: referenceDatabase), on: referenceDatabase, objects: objects)
                    if expected.digest != effect.digest || expected.rows != effect.rows {
                        figures.problems.append("\(key): content differs from the undisturbed run (\(effect) vs \(expected))")
                    }
                }
            }
            // Entities beyond one per operation (a job run twice under two ids would show here).
            let counts = try EntityCounts.read(database)
            let created = Dictionary(grouping: submissions.filter(\.accepted), by: \.kind).mapValues { Set($0.map(\.key)).count }
            for (kind, extra) in counts.minus(stack.baseline.entityCounts).rows {
                let operations = created[kind, default: 0]
                if extra > operations {
                    figures.duplicated += extra - operations
                    figures.problems.append("\(extra) new \(kind) rows for \(operations) operations")
                }
            }
        }
        return figures
    }
}

extension Submission {
    /// This operation as `database`'s run knows it. A gateway derives the message id from the key and the request,
    /// and a later step's request carries ids an earlier step minted, so the reference run gave the same key another
    /// message id: its gateway recorded which in `idempotency_keys`. Direct publishes keep the ids they carried.
    func resolved(on database: PostgresConnection) throws -> Submission {
        func recorded(forKey key: String) throws -> String? {
            try database.execute(
                "SELECT message_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [FaultBaseline.tenant, key]
            ).rows.first?["message_id"]
        }
        var resolved = self
        resolved.messageId = try recorded(forKey: key) ?? messageId
        if let referenceKey { resolved.reference = try recorded(forKey: referenceKey) ?? reference }
        return resolved
    }
}

/// One operation's effect: how many rows it left and a digest of their content.
struct Effect: Equatable, CustomStringConvertible {
    let rows: Int
    let digest: String

    var description: String { "\(rows) rows, \(digest.prefix(16))" }

    static func of(_ submission: Submission, on database: PostgresConnection, objects: FileObjectStore) throws -> Effect {
        switch submission.kind {
        case .prediction:
            // Scores and inputs per row key; ids differ between runs (they carry the request's timestamp).
            let row = try database.execute(
                """
                SELECT count(*) AS n, count(DISTINCT id) AS ids,
                       md5(coalesce(string_agg(row_key || '|' || score::text || '|' || inputs::text, E'\\n' ORDER BY row_key), '')) AS digest
                FROM predictions WHERE message_id = $1
                """,
                [submission.messageId]
            ).rows[0]
            let rows = try row.int("n")
            return Effect(rows: rows, digest: try row.string("digest") + (try row.int("ids") == rows ? "" : " (repeated ids)"))
        case .feedback:
            let row = try database.execute(
                """
                SELECT count(*) AS n,
                       md5(coalesce(string_agg(p.row_key || '|' || f.outcome::text, E'\\n' ORDER BY p.row_key), '')) AS digest,
                       (SELECT reply->'body'->>'recorded' FROM inbox WHERE consumer = $2 AND message_id = $3) AS recorded
                FROM feedback f JOIN predictions p ON p.id = f.prediction_id WHERE p.message_id = $1
                """,
                [submission.reference ?? "", submission.stage.rawValue, submission.messageId]
            ).rows[0]
            return Effect(rows: try row.int("n"), digest: try row.string("digest") + " recorded=" + (row["recorded"] ?? "?"))
        case .extraction:
            let id = try replyField("extractionId", of: submission, on: database)
            let result = try database.execute(
                """
                SELECT status, row_count, parts->>'rowDigest' AS digest,
                       (SELECT string_agg((p->>'rows') || ':' || (p->>'sha256'), ',' ORDER BY o)
                        FROM jsonb_array_elements(parts->'parts') WITH ORDINALITY AS t(p, o)) AS parts
                FROM extraction_jobs WHERE id = $1
                """,
                [id]
            )
            guard let row = result.rows.first else { return Effect(rows: 0, digest: "") }
            return Effect(rows: result.rows.count, digest: [row["status"], row["row_count"], row["digest"], row["parts"]].map { $0 ?? "-" }.joined(separator: " "))
        case .snapshot:
            let id = try replyField("datasetVersionId", of: submission, on: database)
            let result = try database.execute("SELECT content_hash, row_count FROM dataset_versions WHERE id = $1", [id])
            return Effect(rows: result.rows.count, digest: result.rows.first.map { "\($0["content_hash"] ?? "-") \($0["row_count"] ?? "-")" } ?? "")
        case .training:
            // The model file itself: XGBoost's JSON is byte-for-byte reproducible for one dataset and parameter set.
            let id = try replyField("modelId", of: submission, on: database)
            let result = try database.execute(
                """
                SELECT m.model_key, m.holdout_metrics::text AS metrics, (SELECT count(*) FROM training_jobs j WHERE j.model_id = m.id) AS jobs
                FROM models m WHERE m.id = $1
                """,
                [id]
            )
            guard let row = result.rows.first else { return Effect(rows: 0, digest: "") }
            let model = try objects.get(try row.string("model_key"))
            return Effect(rows: try row.int("jobs"), digest: SHA256.hex(of: model) + " " + (row["metrics"] ?? "-"))
        }
    }

    /// A field of the worker's stored reply (`inbox.reply.body`).
    private static func replyField(_ field: String, of submission: Submission, on database: PostgresConnection) throws -> String {
        let result = try database.execute(
            "SELECT reply->'body'->>$3 AS value FROM inbox WHERE consumer = $1 AND message_id = $2",
            [submission.stage.rawValue, submission.messageId, field]
        )
        return result.rows.first?["value"] ?? ""
    }
}

/// Rows of the tables an operation creates one entity in.
struct EntityCounts: Sendable {
    var rows: [Submission.Kind: Int]

    static func read(_ database: PostgresConnection) throws -> EntityCounts {
        let row = try database.execute(
            """
            SELECT (SELECT count(*) FROM extraction_jobs) AS extraction, (SELECT count(*) FROM dataset_versions) AS snapshot,
                   (SELECT count(*) FROM training_jobs) AS training, (SELECT count(*) FROM models) AS models
            """
        ).rows[0]
        // One model per training job: a second model row for one job counts as a training duplicate too.
        let training = max(try row.int("training"), try row.int("models"))
        return EntityCounts(rows: [.extraction: try row.int("extraction"), .snapshot: try row.int("snapshot"), .training: training])
    }

    func minus(_ other: EntityCounts) -> EntityCounts {
        EntityCounts(rows: rows.mapValues { $0 }.merging(other.rows.mapValues { -$0 }) { $0 + $1 })
    }
}
