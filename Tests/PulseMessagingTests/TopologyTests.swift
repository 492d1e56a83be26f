import Foundation
import Testing
import PulseMessaging

@Suite struct TopologyTests {
    let topology: Topology

    init() throws {
        topology = try Topology.load(from: BrokerFixture.topologyFile)
    }

    @Test func everyStageHasItsQueueTiersAndDLQ() throws {
        // Expected values are the task's specification of Topology/pulse.json.
        let expected: [(String, [String], [String])] = [
            ("extractor", ["pulse.datasource.register.v1", "pulse.datasource.validate.v1", "pulse.source.sql.extract.v1"],
             ["pulse.retraining.requested.v1"]),
            ("snapshotter", ["pulse.dataset.snapshot.create.v1"], ["pulse.extraction.completed.v1"]),
            ("trainer", ["pulse.training.start.v1"], ["pulse.dataset.snapshot.created.v1"]),
            ("evaluator", ["pulse.model.evaluate.v1"], ["pulse.training.completed.v1"]),
            ("promoter", ["pulse.model.promote.v1", "pulse.model.rollback.v1", "pulse.model.approve.v1", "pulse.model.reject.v1"], ["pulse.model.evaluated.v1"]),
            ("scorer", ["pulse.prediction.run.v1"], []),
            ("drift-monitor", ["pulse.feedback.record.v1", "pulse.drift.detect.v1", "pulse.retraining.check.v1",
                               "pulse.retraining.run.v1", "pulse.monitoring.schedule.v1", "pulse.monitoring.run.v1"],
             ["pulse.model.promoted.v1", "pulse.model.rejected.v1"]),
        ]
        #expect(topology.stages.map(\.name) == expected.map(\.0))
        for (name, commands, events) in expected {
            let stage = try topology.stage(named: name)
            #expect(stage.queue == "pulse.\(name)")
            #expect(stage.deadLetterQueue == "pulse.\(name).dlq")
            #expect(stage.commands == commands)
            #expect(stage.events == events)
            let delays = name == "extractor" ? [5, 30, 120] : [5, 30]
            #expect(stage.retryQueues.map(\.delaySeconds) == delays)
            #expect(stage.retryQueues.map(\.queue) == delays.map { "pulse.\(name).retry.\($0)s" })
        }
        #expect(topology.commandExchange == "pulse.commands")
        #expect(topology.eventExchange == "pulse.events")
    }

    @Test func stageQueuesAreQuorumWithExplicitLimits() throws {
        let queue = try #require(topology.queues.first { $0.name == "pulse.trainer" })
        #expect(queue.durable)
        #expect(queue.arguments["x-queue-type"] == .string("quorum"))
        #expect(queue.arguments["x-delivery-limit"] == .int(5))
        #expect(queue.arguments["x-dead-letter-exchange"] == .string(""))
        #expect(queue.arguments["x-dead-letter-routing-key"] == .string("pulse.trainer.dlq"))
        #expect(queue.arguments["x-dead-letter-strategy"] == .string("at-least-once"))
        #expect(queue.arguments["x-overflow"] == .string("reject-publish"))
        let retry = try #require(topology.queues.first { $0.name == "pulse.extractor.retry.120s" })
        #expect(retry.arguments["x-message-ttl"] == .int(120_000))
        #expect(retry.arguments["x-dead-letter-routing-key"] == .string("pulse.extractor"))
        let dlq = try #require(topology.queues.first { $0.name == "pulse.extractor.dlq" })
        #expect(dlq.arguments["x-queue-type"] == .string("quorum"))
    }

    @Test func retryTierAfterAttempt() throws {
        let extractor = try topology.stage(named: "extractor")
        #expect(extractor.retryTier(afterAttempt: 1)?.delaySeconds == 5)
        #expect(extractor.retryTier(afterAttempt: 3)?.delaySeconds == 120)
        #expect(extractor.retryTier(afterAttempt: 4) == nil)
        #expect(extractor.retryTier(afterAttempt: 0) == nil)
    }

    @Test func unknownStageThrows() {
        #expect { try topology.stage(named: "nope") } throws: { ($0 as? MessagingError)?.code == .invalidTopology }
    }

    @Test func prefixedRenamesExchangesQueuesAndDeadLetterTargets() throws {
        let prefixed = topology.prefixed("p1")
        #expect(prefixed.commandExchange == "p1.pulse.commands")
        #expect(prefixed.exchanges.allSatisfy { $0.name.hasPrefix("p1.pulse.") })
        #expect(prefixed.queues.allSatisfy { $0.name.hasPrefix("p1.pulse.") })
        let trainer = try prefixed.stage(named: "trainer")
        #expect(trainer.queue == "p1.pulse.trainer")
        #expect(trainer.deadLetterQueue == "p1.pulse.trainer.dlq")
        #expect(trainer.retryQueues.first?.queue == "p1.pulse.trainer.retry.5s")
        #expect(trainer.commands == ["pulse.training.start.v1"])   // routing keys unchanged
        let queue = try #require(prefixed.queues.first { $0.name == "p1.pulse.trainer" })
        #expect(queue.arguments["x-dead-letter-exchange"] == .string(""))
        #expect(queue.arguments["x-dead-letter-routing-key"] == .string("p1.pulse.trainer.dlq"))
        let retry = try #require(prefixed.queues.first { $0.name == "p1.pulse.trainer.retry.30s" })
        #expect(retry.arguments["x-dead-letter-routing-key"] == .string("p1.pulse.trainer"))
        #expect(prefixed.bindings.allSatisfy { $0.exchange.hasPrefix("p1.") && $0.queue.hasPrefix("p1.") })
        try prefixed.validate()
    }

    @Test func withRetryDelaysSetsEveryTierAndTTL() throws {
        let fast = topology.withRetryDelays(seconds: 1)
        #expect(fast.stages.flatMap(\.retryQueues).allSatisfy { $0.delaySeconds == 1 })
        let retryNames = Set(fast.stages.flatMap { $0.retryQueues.map(\.queue) })
        #expect(retryNames.count == 3 + 6 * 2)
        for queue in fast.queues where retryNames.contains(queue.name) {
            #expect(queue.arguments["x-message-ttl"] == .int(1000))
        }
        #expect(try fast.stage(named: "trainer").queue == "pulse.trainer")
    }

    @Test func inconsistentTopologyIsRejected() {
        var broken = topology
        broken.bindings.removeAll { $0.routingKey == "pulse.training.start.v1" }
        broken.queues.removeAll { $0.name == "pulse.trainer.dlq" }
        let error = #expect(throws: MessagingError.self) { try broken.validate() }
        #expect(error?.code == .invalidTopology)
        #expect(error?.message.contains("pulse.training.start.v1") == true)
        #expect(error?.message.contains("pulse.trainer.dlq") == true)
    }

    @Test func unreadableFileIsInvalidTopology() {
        let missing = URL(fileURLWithPath: "/nonexistent/pulse.json")
        #expect { try Topology.load(from: missing) } throws: { ($0 as? MessagingError)?.code == .invalidTopology }
    }

    @Test func definitionsAreJSONWithEveryQueueExchangeAndBinding() throws {
        let data = try topology.rabbitMQDefinitions()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let queues = try #require(object["queues"] as? [[String: Any]])
        #expect(Set(queues.compactMap { $0["name"] as? String }) == Set(topology.queues.map(\.name)))
        #expect(queues.allSatisfy { $0["vhost"] as? String == "/" })
        let trainer = try #require(queues.first { $0["name"] as? String == "pulse.trainer" })
        let arguments = try #require(trainer["arguments"] as? [String: Any])
        #expect(arguments["x-delivery-limit"] as? Int == 5)
        #expect(arguments["x-queue-type"] as? String == "quorum")
        let exchanges = try #require(object["exchanges"] as? [[String: Any]])
        #expect(Set(exchanges.compactMap { $0["name"] as? String }) == ["pulse.commands", "pulse.events"])
        let bindings = try #require(object["bindings"] as? [[String: Any]])
        #expect(bindings.count == topology.bindings.count)
    }

    @Test func jsonRoundTrip() throws {
        let data = try JSONEncoder().encode(topology)
        #expect(try JSONDecoder().decode(Topology.self, from: data) == topology)
    }
}
