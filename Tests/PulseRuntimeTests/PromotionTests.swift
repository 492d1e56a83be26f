import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// Evaluation and promotion on the real nycflights13 data, through the gateway, with the stage workers on the real
/// RabbitMQ and PostgreSQL.
@Suite("Evaluation and promotion on nycflights13", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct PromotionTests {
    /// Ends of 3, 10 and 20 January 2013 in New York, in UTC.
    static let endOfJanuary3 = "2013-01-04 04:59:59+00"
    static let endOfJanuary10 = "2013-01-11 04:59:59+00"
    static let endOfJanuary20 = "2013-01-21 04:59:59+00"

    /// A champion trained on 1–10 January, a candidate on 1–20 January (its holdout holds days the champion never
    /// saw). The evaluation's champion metrics must be the champion's predictions on exactly the candidate's holdout
    /// rows: the test selects those rows from the source itself, has the production model score them through
    /// `POST /predictions`, and computes the metrics by brute force. Then the registry moves only as decided:
    /// approval, a stale approval, rejection, rollbacks, bad policies.
    @Test func theChampionIsScoredOnTheCandidatesHoldoutAndTheRegistryMovesOnlyAsDecided() throws {
        let stack = try PromotionStack()
        defer { stack.close() }
        let first = try stack.snapshot("flights_a", extractionId: try stack.extract(upTo: Self.endOfJanuary10))
        let second = try stack.snapshot("flights_b", extractionId: try stack.extract(upTo: Self.endOfJanuary20))
        let a = try stack.train(first, rounds: 20)
        let b = try stack.train(second, rounds: 20)
        let c = try stack.train(first, rounds: 10)

        // No production model yet: A is compared with nobody and promoted on its floor.
        _ = try stack.evaluate(a)
        let promotedA = try stack.post("/models/\(a)/promote", ["minimums": ["auc": 0.5]])
        #expect(promotedA.status == 200, "\(promotedA.text)")
        #expect(try promotedA.json()["decision"] as? String == "promoted")

        // 1. Like for like: B's evaluation scores A on B's holdout.
        let evaluation = try stack.evaluate(b)
        #expect(evaluation["championId"] as? String == a)
        let holdoutRows = try #require(evaluation["holdoutRows"] as? Int)
        let recorded = try #require(evaluation["championMetrics"] as? [String: Any])
        let independent = try Self.championMetricsOnTheHoldout(stack, upTo: Self.endOfJanuary20, holdoutRows: holdoutRows, championId: a)
        for name in ["auc", "logLoss", "accuracy", "brier"] {
            let value = try #require(recorded[name] as? Double, "\(name) missing from \(recorded)")
            #expect(abs(value - (independent[name] ?? .nan)) < 1e-9, "\(name): recorded \(value), computed \(independent[name] ?? .nan)")
        }
        #expect(recorded["count"] as? Int == holdoutRows)

        // 2. A passing candidate under requireApproval waits; the decision carries every rule's numbers.
        let policy: [String: Any] = [
            "minimums": ["auc": 0.5], "maximums": ["logLoss": 0.9], "compareOn": "auc", "maxRegression": 0.5, "requireApproval": true,
        ]
        let waiting = try stack.post("/models/\(b)/promote", policy)
        #expect(waiting.status == 200, "\(waiting.text)")
        let waitingBody = try waiting.json()
        #expect(waitingBody["decision"] as? String == "awaiting-approval")
        #expect(try stack.stages()[b] == "candidate")
        #expect(try stack.stages()[a] == "production")
        let checks = try #require((waitingBody["evidence"] as? [String: Any])?["checks"] as? [[String: Any]])
        #expect(checks.map { $0["rule"] as? String } == ["minimum", "maximum", "regression"])
        let metrics = try #require(evaluation["metrics"] as? [String: Any])
        let regression = try #require(checks.last)
        #expect(regression["candidate"] as? Double == metrics["auc"] as? Double)
        #expect(regression["champion"] as? Double == recorded["auc"] as? Double)
        #expect(checks.allSatisfy { $0["passed"] as? Bool == true })

        // 3. Approval promotes it; approving again is a conflict.
        let approved = try stack.post("/models/\(b)/approve", ["approver": "ada", "note": "checked the holdout"])
        #expect(approved.status == 200, "\(approved.text)")
        #expect(try approved.json()["decision"] as? String == "promoted")
        #expect(try stack.stages()[a] == "archived")
        #expect(try stack.stages()[b] == "production")
        #expect(try stack.post("/models/\(b)/approve", ["approver": "ada"]).status == 409)

        // 4. C waits for approval against B; a rollback meanwhile makes that approval stale.
        _ = try stack.evaluate(c)
        #expect(try stack.post("/models/\(c)/promote", policy.merging(["minimums": ["auc": 0.0]]) { $1 }).json()["decision"] as? String == "awaiting-approval")
        let rolledBack = try stack.post("/models/late_arrival/rollback", ["reason": "bad batch", "requestedBy": "ops"])
        #expect(rolledBack.status == 200, "\(rolledBack.text)")
        let rollback = try rolledBack.json()
        #expect(rollback["decision"] as? String == "rollback")
        #expect(rollback["modelId"] as? String == a)
        #expect(rollback["previousModelId"] as? String == b)
        #expect(try stack.stages()[a] == "production")
        #expect(try stack.stages()[b] == "rolled-back")
        let stale = try stack.post("/models/\(c)/approve", ["approver": "ada"])
        #expect(stale.status == 409, "\(stale.text)")
        #expect(stale.text.contains("evaluate it again"))
        #expect(try stack.stages()[c] == "candidate")

        // 5. Nothing before A to roll back to (B was rolled back); an explicit target may bring B back, C never was production.
        let nothing = try stack.post("/models/late_arrival/rollback")
        #expect(nothing.status == 409, "\(nothing.text)")
        #expect(nothing.text.contains("no earlier production model"))
        #expect(try stack.post("/models/late_arrival/rollback", ["targetModelId": c]).status == 409)
        #expect(try stack.post("/models/late_arrival/rollback", ["targetModelId": b]).status == 200)
        #expect(try stack.stages()[b] == "production")
        #expect(try stack.stages()[a] == "rolled-back")

        // 6. A reviewer rejects C after a fresh evaluation against B.
        _ = try stack.evaluate(c)
        #expect(try stack.post("/models/\(c)/promote", policy.merging(["minimums": ["auc": 0.0]]) { $1 }).json()["decision"] as? String == "awaiting-approval")
        let rejected = try stack.post("/models/\(c)/reject", ["approver": "bob", "note": "not this week"])
        #expect(try rejected.json()["decision"] as? String == "rejected", "\(rejected.text)")
        #expect(try stack.stages()[c] == "rejected")

        // 7. A bad policy names its fields and records nothing.
        let before = try Self.decisions(stack)
        let bad = try stack.post("/models/\(c)/promote", ["minimums": ["aucc": 0.7, "logLoss": 0.5], "maxRegression": -0.1])
        #expect(bad.status == 422)
        for pointer in ["/payload/policy/minimums/aucc", "/payload/policy/minimums/logLoss", "/payload/policy/maxRegression"] {
            #expect(bad.text.contains(pointer), "\(bad.text)")
        }
        #expect(try Self.decisions(stack) == before)

        // What a user finds in PostgreSQL: one production model, and the history of every move with who and why.
        #expect(try stack.stages().values.filter { $0 == "production" }.count == 1)
        #expect(before == [
            "\(a) promoted -", "\(b) awaiting-approval -", "\(b) promoted ada", "\(c) awaiting-approval -", "\(a) rollback ops",
            "\(c) conflict ada", "\(b) rollback -", "\(c) awaiting-approval -", "\(c) rejected bob",
        ])
    }

    /// A retraining run's candidate that an operator promoted by hand before the run's evaluation event reached the
    /// promoter: the event closes the run with what happened. (Before, the promoter answered the event with a
    /// conflict, the event was parked, and the run stayed `running`, refusing every later run of the name.) The
    /// run row is written the way the drift monitor writes it; the event is published as the evaluator publishes it.
    @Test func aRunWhoseCandidateWasDecidedByHandIsClosed() throws {
        let stack = try PromotionStack()
        defer { stack.close() }
        let dataset = try stack.snapshot("flights_run", extractionId: try stack.extract(upTo: Self.endOfJanuary3))
        let model = try stack.train(dataset, rounds: 5)
        _ = try stack.evaluate(model)
        #expect(try stack.post("/models/\(model)/promote", ["minimums": ["auc": 0.5]]).json()["decision"] as? String == "promoted")

        let runId = EntityID.random(.retraining)
        try stack.fixture.withDatabase { database in
            try database.execute(
                """
                INSERT INTO retraining_runs (id, tenant_id, model_name, champion_id, status, reason, config, forced)
                SELECT $1, $2, name, id, 'running', 'test', jsonb_build_object(
                    'datasetName', 'flights_run', 'baseExtractionIds', '[]'::jsonb, 'training', training_config, 'policy', '{}'::jsonb), false
                FROM models WHERE id = $3
                """,
                [runId, stack.tenant, model]
            )
        }
        let evaluated = Envelope(
            kind: .event, name: Operations.modelEvaluated.rawValue, version: 1, messageId: MessageID.make(), timestamp: Date(),
            tenantId: stack.tenant, payload: try JSONValue.encode(ModelEvent(modelId: model, modelName: "late_arrival", runId: runId))
        )
        let publisher = try Publisher(connection: try stack.fixture.openBroker())
        defer { publisher.close() }
        try publisher.publish(
            exchange: stack.fixture.topology.eventExchange, routingKey: evaluated.name, body: evaluated.encoded(),
            properties: MessageProperties(messageId: evaluated.messageId, type: evaluated.name, timestamp: Date(), persistent: true,
                                          headers: ["pulse-tenant": .string(stack.tenant)])
        )
        let run = try EndToEnd.poll(seconds: 60) { () -> [String: String?]? in
            try stack.fixture.withDatabase { database in
                let row = try database.execute("SELECT status, outcome FROM retraining_runs WHERE id = $1", [runId]).rows.first
                return row?["status"] == "running" ? nil : ["status": row?["status"], "outcome": row?["outcome"]]
            }
        }
        #expect(run["status"] == "promoted")
        #expect(run["outcome"]??.contains("was already production") == true, "\(run)")
    }

    /// Two evaluated candidates promoted at the same moment through two promoter hosts, 20 times: each round leaves
    /// exactly one production model, and the other decision is recorded as a conflict (409, evaluate again) — never a
    /// unique-index failure, a retry or a dead letter.
    @Test func concurrentPromotionsLeaveExactlyOneProductionModel() throws {
        let stack = try PromotionStack(promoters: 2)
        defer { stack.close() }
        let dataset = try stack.snapshot("flights_small", extractionId: try stack.extract(upTo: Self.endOfJanuary3))
        let lenient = try EndToEnd.json(["minimums": ["auc": 0.0], "compareOn": "auc", "maxRegression": 1.0])
        var production: String?
        for round in 1...20 {
            let candidates = [try stack.train(dataset, rounds: 3), try stack.train(dataset, rounds: 3)]
            for candidate in candidates {
                #expect(try stack.evaluate(candidate)["championId"] as? String == production, "round \(round)")
            }
            let pending = candidates.map { stack.client.sendInBackground("POST", "/models/\($0)/promote", headers: stack.headers, body: lenient) }
            let answers = try pending.map { try $0.wait() }
            #expect(answers.map(\.status).sorted() == [200, 409], "round \(round): \(answers.map(\.text))")
            let winner = try #require(zip(candidates, answers).first { $0.1.status == 200 }?.0, "round \(round)")
            let loser = try #require(candidates.first { $0 != winner })
            #expect(answers.first { $0.status == 409 }?.text.contains("evaluate it again") == true)
            let stages = try stack.stages()
            #expect(stages.filter { $0.value == "production" }.map(\.key) == [winner], "round \(round)")
            #expect(stages[loser] == "candidate")
            let decisions = try stack.fixture.withDatabase { database in
                try database.execute(
                    "SELECT model_id, decision, previous_model_id FROM promotions WHERE tenant_id = $1 AND model_id = ANY($2::text[])",
                    [stack.tenant, "{\(candidates.joined(separator: ","))}"]
                ).rows
            }
            #expect(Set(decisions.map { "\($0["model_id"] ?? "") \($0["decision"] ?? "")" }) == ["\(winner) promoted", "\(loser) conflict"])
            // The loser's record names the production model it lost to.
            #expect(decisions.first { $0["decision"] == "conflict" }?["previous_model_id"] == winner)
            production = winner
        }
        let broker = try stack.fixture.openBroker()
        defer { broker.close() }
        let promoter = try stack.fixture.topology.stage(named: Stage.promoter.rawValue)
        for queue in [promoter.deadLetterQueue] + promoter.retryQueues.map(\.queue) {
            #expect(try broker.messageCount(queue: queue) == 0, "\(queue)")
        }
    }

    /// "model decision actor" for every decision of the tenant, oldest first.
    static func decisions(_ stack: PromotionStack) throws -> [String] {
        try stack.fixture.withDatabase { database in
            try database.execute(
                "SELECT model_id, decision, actor FROM promotions WHERE tenant_id = $1 ORDER BY created_at, id", [stack.tenant]
            ).rows.map { "\($0["model_id"] ?? "") \($0["decision"] ?? "") \($0["actor"] ?? "-")" }
        }
    }

    /// The candidate's holdout chosen from the source (labelled flights up to `upTo` in cursor order, the last
    /// `holdoutRows`; their number checked against the split rule: 20 % of the labelled rows, rounded), scored by the
    /// production model through the scorer, and the metrics computed here by definition: AUC as the share of
    /// (positive, negative) pairs ranked right (ties count half), log loss with scikit-learn's 1e-15 clip, accuracy
    /// at 0.5, Brier score.
    static func championMetricsOnTheHoldout(_ stack: PromotionStack, upTo: String, holdoutRows: Int, championId: String) throws -> [String: Double] {
        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }
        let labelled = try reader.execute(
            """
            SELECT f.*, l.is_late FROM pulse_views.flight_features f JOIN pulse_views.flight_labels l USING (flight_id)
            WHERE f.scheduled_at <= $1 AND l.is_late IS NOT NULL ORDER BY f.scheduled_at, f.flight_id
            """,
            [upTo]
        )
        #expect(holdoutRows == Int((Double(labelled.rows.count) * 0.2).rounded()))
        let holdout = Array(labelled.rows.suffix(holdoutRows))
        let rows: [[String: Any]] = holdout.map { row in
            var features: [String: Any] = [:]
            for column in labelled.columns where !["flight_id", "scheduled_at", "is_late"].contains(column) {
                features[column] = row[column].map { Double($0).map { $0 as Any } ?? $0 as Any } ?? NSNull()
            }
            return ["key": row["flight_id"] ?? "", "features": features]
        }
        var scores: [Double] = []
        for start in stride(from: 0, to: rows.count, by: 5_000) {
            let response = try stack.post("/predictions", ["modelName": "late_arrival", "rows": Array(rows[start..<min(start + 5_000, rows.count)])])
            let body = try response.json()
            #expect(body["modelId"] as? String == championId, "\(response.text.prefix(300))")
            let predictions = try #require(body["predictions"] as? [[String: Any]])
            scores += try predictions.map { try #require($0["score"] as? Double) }
        }
        let labels = holdout.map { $0["is_late"] == "t" }
        let positives = zip(labels, scores).filter(\.0).map(\.1)
        let negatives = zip(labels, scores).filter { !$0.0 }.map(\.1)
        var ranked = 0.0
        for p in positives {
            for n in negatives { ranked += p > n ? 1 : p == n ? 0.5 : 0 }
        }
        var logLoss = 0.0, brier = 0.0, correct = 0.0
        for (label, score) in zip(labels, scores) {
            let clipped = min(max(score, 1e-15), 1 - 1e-15)
            logLoss -= label ? log(clipped) : log(1 - clipped)
            brier += (score - (label ? 1 : 0)) * (score - (label ? 1 : 0))
            correct += (score >= 0.5) == label ? 1 : 0
        }
        let count = Double(labels.count)
        return [
            "auc": ranked / Double(positives.count * negatives.count), "logLoss": logLoss / count, "accuracy": correct / count, "brier": brier / count,
        ]
    }
}
