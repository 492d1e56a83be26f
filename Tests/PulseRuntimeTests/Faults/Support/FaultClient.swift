import Foundation
import PulseContracts
import PulseRuntime
import Synchronization

/// One operation a client handed to Pulse, and what the client saw of it.
struct Submission: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case prediction, feedback, extraction, snapshot, training

        /// The operation the gateway route of this kind publishes.
        var operation: String {
            switch self {
            case .prediction: Operations.runPrediction.rawValue
            case .feedback: Operations.recordFeedback.rawValue
            case .extraction: Operations.extractSQL.rawValue
            case .snapshot: Operations.createSnapshot.rawValue
            case .training: Operations.startTraining.rawValue
            }
        }
    }

    let kind: Kind
    /// The Idempotency-Key; the same in the reference run and the disturbed run, and with the same bodies so are the
    /// message ids.
    let key: String
    var messageId: String
    /// The stage whose inbox records the operation.
    let stage: Stage
    /// Rows the operation must leave: predictions in the request, feedback items; 1 for an entity.
    let expectedRows: Int
    /// For feedback: the message id of the prediction request it gives outcomes for.
    var reference: String?
    /// For feedback sent through the gateway: the prediction request's Idempotency-Key (the reference run gave that
    /// request another message id: its body differs in the ids that earlier steps minted).
    var referenceKey: String? = nil
    /// Answered 200/202 by the gateway (or confirmed by the broker).
    var accepted = false
    /// Sends, including retries after a 5xx or a broken connection.
    var attempts = 0
    var sentAt = Date()
    var acceptedAt: Date?
    /// When the client had the worker's reply (the 200, or `GET /operations/{id}` after a 202).
    var answeredAt: Date?
    /// The worker's reply came back with the request (200), not by polling after a 202.
    var repliedThroughGateway = false
    /// The last HTTP status and the start of the body (for failure messages).
    var lastAnswer: String?
}

/// A client of the gateway that does what a careful producer does during an outage: a 5xx without a worker's
/// answer, a broken connection or a 409 (key in flight) is retried with the SAME Idempotency-Key until accepted;
/// a 202 is followed by polling `GET /operations/{id}` for the worker's stored reply.
/// Every submission is recorded for the audit. Safe to use from several threads.
final class FaultClient: Sendable {
    let tenant: String
    /// How long one operation may take, retries and waiting for the reply included.
    let patienceSeconds: Double
    private let http: GatewayClient
    private let ledger = Mutex<[Submission]>([])
    /// Set by `finish()`: load threads still running (a test that failed early) give up at once.
    private let closed = Atomic(false)

    init(stack: FaultStack, patienceSeconds: Double = 120) {
        tenant = FaultBaseline.tenant
        self.patienceSeconds = patienceSeconds
        http = GatewayClient(port: stack.gateway.port)
    }

    var submissions: [Submission] { ledger.withLock { $0 } }

    /// The message id of the operation submitted under `key` (waiting a little for a submission another thread is
    /// just starting); "" when there is none.
    func messageId(forKey key: String) -> String {
        let deadline = Date().addingTimeInterval(10)
        repeat {
            if let id = ledger.withLock({ $0.first { $0.key == key }?.messageId }) { return id }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return ""
    }

    /// The id the gateway gives a request with an idempotency key (`MessageID.forIdempotentRequest`): the same in
    /// the reference run and the disturbed run, which send the same bodies under the same keys.
    func gatewayMessageId(_ kind: Submission.Kind, key: String, body: String) -> String {
        let payload = (try? JSONValue.parse(Data(body.utf8))) ?? .null
        let hash = IdempotentRequest.hash(name: kind.operation, payload: payload)
        return MessageID.forIdempotentRequest(key: key, tenant: tenant, requestHash: hash)
    }

    /// Submits one operation and returns the worker's reply body once there is one (nil when the operation was
    /// refused, failed, or no reply came within the patience).
    @discardableResult
    func submit(
        _ kind: Submission.Kind, stage: Stage, path: String, key: String, body: String, expectedRows: Int = 1, referenceKey: String? = nil
    ) -> [String: Any]? {
        let index = ledger.withLock { ledger in
            var submission = Submission(
                kind: kind, key: key, messageId: gatewayMessageId(kind, key: key, body: body), stage: stage, expectedRows: expectedRows,
                reference: referenceKey.map { key in ledger.first { $0.key == key }?.messageId ?? "" }
            )
            submission.referenceKey = referenceKey
            ledger.append(submission)
            return ledger.count - 1
        }
        let deadline = Date().addingTimeInterval(patienceSeconds)
        while Date() < deadline, !closed.load(ordering: .relaxed) {
            ledger.withLock { $0[index].attempts += 1 }
            let response: GatewayClient.Response
            do {
                response = try http.send("POST", path, headers: ["Pulse-Tenant": tenant, "Idempotency-Key": key], body: body)
            } catch {
                Thread.sleep(forTimeInterval: 0.25)  // the gateway is there; a broken connection is worth another try
                continue
            }
            ledger.withLock { $0[index].lastAnswer = "\(response.status) \(response.text.prefix(300))" }
            // A worker's answer carries the message id; a 5xx without one is the gateway saying "not now".
            let fromWorker = response.header("Pulse-Message-Id") != nil
            switch response.status {
            case 200...299 where response.status != 202, 400...599 where fromWorker:
                let now = Date()
                ledger.withLock {
                    $0[index].accepted = true
                    $0[index].acceptedAt = $0[index].acceptedAt ?? now
                    if response.status < 300 {
                        $0[index].answeredAt = now
                        $0[index].repliedThroughGateway = true
                    }
                }
                return response.status < 300 ? try? FaultJSON.object(response.body) : nil
            case 202:
                let now = Date()
                ledger.withLock {
                    $0[index].accepted = true
                    $0[index].acceptedAt = $0[index].acceptedAt ?? now
                }
                guard let reply = awaitReply(gatewayMessageId(kind, key: key, body: body), until: deadline) else { return nil }
                ledger.withLock { $0[index].answeredAt = Date() }
                return reply
            case 409, 500...599:
                Thread.sleep(forTimeInterval: 0.25)
            default:
                return nil  // refused at the edge (bad request): not accepted
            }
        }
        return nil
    }

    /// Submits with `Prefer: respond-async` (202 at once) and returns once accepted, without waiting for the work.
    @discardableResult
    func submitAsync(_ kind: Submission.Kind, stage: Stage, path: String, key: String, body: String, expectedRows: Int = 1) -> Bool {
        let index = ledger.withLock { ledger in
            ledger.append(Submission(kind: kind, key: key, messageId: gatewayMessageId(kind, key: key, body: body), stage: stage, expectedRows: expectedRows, reference: nil))
            return ledger.count - 1
        }
        let deadline = Date().addingTimeInterval(patienceSeconds)
        while Date() < deadline, !closed.load(ordering: .relaxed) {
            ledger.withLock { $0[index].attempts += 1 }
            let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": key, "Prefer": "respond-async"]
            if let response = try? http.send("POST", path, headers: headers, body: body) {
                ledger.withLock { $0[index].lastAnswer = "\(response.status) \(response.text.prefix(300))" }
                if response.status == 202 || (200..<300).contains(response.status) {
                    let now = Date()
                    ledger.withLock {
                        $0[index].accepted = true
                        $0[index].acceptedAt = now
                    }
                    return true
                }
                if response.status != 409, response.status < 500 { return false }
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        return false
    }

    /// Polls `GET /operations/{messageId}` (the worker's stored reply) until it is there; nil when the reply is a
    /// problem or never comes. A 404 means "not processed yet"; a 5xx or a broken connection is tried again.
    private func awaitReply(_ messageId: String, until deadline: Date) -> [String: Any]? {
        while Date() < deadline, !closed.load(ordering: .relaxed) {
            if let response = try? http.send("GET", "/operations/\(messageId)", headers: ["Pulse-Tenant": tenant]),
               response.status == 200, let document = try? FaultJSON.object(response.body) {
                guard let status = document["replyStatus"] as? Int, status < 300 else { return nil }
                return (document["reply"] as? [String: Any])?["body"] as? [String: Any]
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    /// Stops every submission in progress. The URL session is left to the process: a load thread of a test that
    /// failed early may still be inside a request, and an invalidated session traps.
    func finish() { closed.store(true, ordering: .relaxed) }
}

/// Runs jobs on `clients` threads (each job may submit several chained operations). The test thread stays free to
/// inject faults meanwhile, then calls `wait()`. Jobs come from a list, or from a function of their index until
/// `stop()` (then `started` says how many ran, so a reference run can replay exactly those).
final class LoadRun: Sendable {
    private let next: @Sendable (Int) -> (@Sendable () -> Void)?
    private let nextIndex = Mutex(0)
    private let finished = DispatchGroup()
    private let stopRequested = Atomic(false)

    convenience init(clients: Int, jobs: [@Sendable () -> Void]) {
        self.init(clients: clients) { jobs.indices.contains($0) ? jobs[$0] : nil }
    }

    init(clients: Int, job: @escaping @Sendable (Int) -> (@Sendable () -> Void)?) {
        next = job
        for index in 0..<clients {
            finished.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                while !stopRequested.load(ordering: .relaxed), let job = take() { job() }
            }
            thread.name = "fault-load-\(index)"
            thread.start()
        }
    }

    private func take() -> (@Sendable () -> Void)? {
        nextIndex.withLock { index in
            guard let job = next(index) else { return nil }
            index += 1
            return job
        }
    }

    /// Jobs handed to a client so far.
    var started: Int { nextIndex.withLock { $0 } }

    /// True once every client thread is done.
    var isFinished: Bool { finished.wait(timeout: .now()) == .success }

    /// Lets the jobs in hand finish and starts no more.
    func stop() { stopRequested.store(true, ordering: .relaxed) }

    /// Blocks until every client thread is done (or `seconds` pass: false).
    @discardableResult
    func wait(seconds: Double = 300) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }
}
