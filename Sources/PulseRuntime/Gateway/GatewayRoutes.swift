import Foundation
import PulseContracts
import PulseHTTP
import PulseMessaging
import PulseStorage

/// The gateway's HTTP API. Mutations become envelopes on the command bus and wait for the worker's reply;
/// queries are answered from PostgreSQL by the read model. Every error answers RFC 9457 problem+json.
/// Handlers run on libmicrohttpd's connection threads and block.
struct GatewayRoutes: Sendable {
    let bus: CommandBus
    let pool: ConnectionPool
    let metrics: MetricsRegistry
    let logger: Logger
    let defaultTenant: String
    let replyTimeoutSeconds: Double
    /// Seals datasource connection configs before they go on the broker.
    let sealer: SecretSealer
    let keys: IdempotencyKeys
    /// What the operator endpoints (`/admin/…`) need; they answer 403 while `PULSE_ADMIN_TOKEN` is unset.
    let operatorAccess: OperatorAccess
    private let readModel = ReadModel()

    init(
        bus: CommandBus, pool: ConnectionPool, metrics: MetricsRegistry, logger: Logger, defaultTenant: String,
        replyTimeoutSeconds: Double, sealer: SecretSealer, idempotencyKeyHours: Int, operatorAccess: OperatorAccess
    ) {
        self.bus = bus
        self.operatorAccess = operatorAccess
        keys = IdempotencyKeys(retentionHours: idempotencyKeyHours)
        self.sealer = sealer
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        self.defaultTenant = defaultTenant
        self.replyTimeoutSeconds = replyTimeoutSeconds
    }

    typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// Adds every route (not the health routes) to `router`.
    func install(on router: Router) {
        // The two generic paths.
        add(router, .POST, "/mutations/:name") { try mutation($0.pathParameters["name"] ?? "", body: try Self.body(of: $0), $0) }
        add(router, .POST, "/queries/:name") { try query($0.pathParameters["name"] ?? "", body: try Self.body(of: $0), $0) }
        add(router, .GET, "/operations") { _ in catalog() }
        add(router, .GET, "/operations/:messageId") { try operation($0) }
        add(router, .GET, "/openapi.yaml") { _ in .text(OpenAPIDocument.yaml, contentType: "application/yaml; charset=utf-8") }

        // Convenience endpoints: the same two paths with the payload taken from the body and the URL.
        mutation(router, "/datasources", Operations.registerDataSource)
        query(router, "/datasources", Operations.listDataSources) { _ in [:] }
        query(router, "/datasources/:id", Operations.getDataSource) { ["dataSourceId": .string($0["id"] ?? "")] }
        add(router, .POST, "/datasources/:id/validate") {
            try mutation(Operations.validateDataSource.rawValue, body: .object(["dataSourceId": .string($0.pathParameters["id"] ?? "")]), $0)
        }
        mutation(router, "/extractions", Operations.extractSQL)
        query(router, "/extractions/:id", Operations.getExtractionJob) { ["extractionId": .string($0["id"] ?? "")] }
        mutation(router, "/datasets/snapshot", Operations.createSnapshot)
        query(router, "/datasets/:id/versions/:version", Operations.getDatasetVersion) { parameters in
            let version = parameters["version"] ?? ""
            return ["datasetId": .string(parameters["id"] ?? ""), "version": Int(version).map { .number(Double($0)) } ?? .string(version)]
        }
        mutation(router, "/training-jobs", Operations.startTraining)
        query(router, "/models/:id", Operations.getModel) { ["modelId": .string($0["id"] ?? "")] }
        // `?window=N`: a number when it is one, else the text, which the payload's decoding refuses with its pointer.
        add(router, .GET, "/models/:name/performance") { request in
            var payload: [String: JSONValue] = ["modelName": .string(request.pathParameters["name"] ?? "")]
            if let window = request.query["window"] { payload["window"] = Int(window).map { .number(Double($0)) } ?? .string(window) }
            return try query(Operations.getModelPerformance.rawValue, body: .object(payload), request)
        }
        add(router, .POST, "/models/:id/evaluate") {
            try mutation(Operations.evaluateModel.rawValue, body: .object(["modelId": .string($0.pathParameters["id"] ?? "")]), $0)
        }
        add(router, .POST, "/models/:id/promote") { request in
            // The body holds the policy fields (optional).
            var payload: [String: JSONValue] = ["modelId": .string(request.pathParameters["id"] ?? "")]
            let policy = try Self.body(of: request)
            if policy != .object([:]) { payload["policy"] = policy }
            return try mutation(Operations.promoteModel.rawValue, body: .object(payload), request)
        }
        // The body holds the other fields (approver and note; targetModelId, reason and requestedBy).
        add(router, .POST, "/models/:id/approve") { try mutation(Operations.approveModel.rawValue, body: try Self.body(of: $0, adding: "modelId", $0.pathParameters["id"]), $0) }
        add(router, .POST, "/models/:id/reject") { try mutation(Operations.rejectModel.rawValue, body: try Self.body(of: $0, adding: "modelId", $0.pathParameters["id"]), $0) }
        add(router, .POST, "/models/:name/rollback") {
            try mutation(Operations.rollbackModel.rawValue, body: try Self.body(of: $0, adding: "modelName", $0.pathParameters["name"]), $0)
        }
        // The body holds the schedule's other fields (everyMinutes, windowSize, minimumRows, policy, retrain, enabled).
        add(router, .POST, "/models/:name/monitoring") {
            try mutation(Operations.scheduleMonitoring.rawValue, body: try Self.body(of: $0, adding: "modelName", $0.pathParameters["name"]), $0)
        }
        query(router, "/models/:name/monitoring", Operations.getMonitoring) { ["modelName": .string($0["name"] ?? "")] }
        add(router, .POST, "/models/:name/monitoring/run") {
            try mutation(Operations.runMonitoring.rawValue, body: .object(["modelName": .string($0.pathParameters["name"] ?? "")]), $0)
        }
        mutation(router, "/predictions", Operations.runPrediction)
        mutation(router, "/feedback", Operations.recordFeedback)
        mutation(router, "/drift/detect", Operations.detectDrift)
        mutation(router, "/retraining/check", Operations.checkRetraining)
        mutation(router, "/retraining/runs", Operations.runRetraining)
        query(router, "/retraining/runs/:id", Operations.getRetrainingRun) { ["runId": .string($0["id"] ?? "")] }
        query(router, "/lineage/predictions/:id", Operations.traceLineage) { ["predictionId": .string($0["id"] ?? "")] }
        installOperatorRoutes(on: router)
    }

    /// True when PostgreSQL answers and the broker connections are up.
    func isReady() -> Bool {
        guard bus.isReady else { return false }
        return (try? pool.withConnection { try $0.execute("SELECT 1") }) != nil
    }

    // MARK: - Mutations

    /// Builds and validates the envelope, publishes it and answers with the worker's reply (or 202).
    func mutation(_ name: String, body: JSONValue, _ request: HTTPRequest) throws -> HTTPResponse {
        let descriptor = try Self.descriptor(name, kind: .mutation)
        var validated = try makeEnvelope(descriptor, body: body, request)
        _ = try OperationCatalog.validate(validated)
        guard let key = validated.idempotencyKey else { return try publish(validated, request) }

        // The request hash covers the payload as the client sent it, before its secrets are sealed.
        let requestHash = IdempotentRequest.hash(name: validated.name, payload: validated.payload)
        validated.metadata.requestHash = requestHash
        let tenant = validated.tenantId
        let correlatedByDefault = validated.metadata.correlationId == validated.messageId
        validated.messageId = MessageID.forIdempotentRequest(key: key, tenant: tenant, requestHash: requestHash)
        if correlatedByDefault { validated.metadata.correlationId = validated.messageId }
        let claim = try pool.withConnection {
            try keys.claim(tenant: tenant, key: key, operation: validated.name, requestHash: requestHash, messageId: validated.messageId, on: $0)
        }
        switch claim {
        case .claimed(let messageId):
            validated.messageId = messageId
            return try publish(validated, request) { published in
                guard published else {
                    try pool.withConnection { try keys.releaseClaim(tenant: tenant, key: key, messageId: messageId, on: $0) }
                    return
                }
                // The broker has the command: failing to note that must not turn the answer into an error (the claim
                // stays pending, and the worker's completion overwrites it either way).
                do {
                    try pool.withConnection { try keys.markPublished(tenant: tenant, key: key, messageId: messageId, on: $0) }
                } catch {
                    logger.warning("could not mark an idempotency key published", ["error": "\(error)", "pulse.message_id": messageId])
                }
            }
        case .completed(let reply, let messageId):
            return Self.response(to: reply, messageId: messageId, extraHeaders: ["Idempotent-Replayed": "true"])
        case .inFlight(let messageId):
            return Self.problem(
                Problem.idempotencyKeyInFlight(key, messageId: messageId),
                headers: ["Retry-After": "1", "Location": "/operations/\(messageId)", "Pulse-Message-Id": messageId]
            )
        case .mismatch(let storedHash):
            throw Problem.idempotencyKeyReused(key, storedHash: storedHash, requestHash: requestHash)
        }
    }

    /// Seals the envelope's secrets, publishes it and answers with the worker's reply (or 202). `settle` hears
    /// whether the broker confirmed the publish (an idempotency claim is marked or released).
    private func publish(_ validated: Envelope, _ request: HTTPRequest, settle: ((Bool) throws -> Void)? = nil) throws -> HTTPResponse {
        let envelope = try TransitSealing.sealingSecrets(of: validated, with: sealer)
        let waitSeconds: Double? = Self.prefersAsync(request) ? nil : replyTimeoutSeconds
        let reply: Reply?
        var confirmed = false
        do {
            reply = try bus.send(envelope, timeout: waitSeconds) {
                confirmed = true
                try settle?(true)
            }
        } catch {
            if !confirmed { try? settle?(false) }
            throw error
        }
        guard let reply else { return Self.accepted(envelope.messageId) }
        return Self.response(to: reply, messageId: envelope.messageId)
    }

    private static func response(to reply: Reply, messageId: String, extraHeaders: [String: String] = [:]) -> HTTPResponse {
        let headers = extraHeaders.merging(["Pulse-Message-Id": messageId]) { $1 }
        if let problem = reply.problem { return Self.problem(problem, headers: headers) }
        return .json(CanonicalJSON.data(reply.body ?? .object([:])), status: reply.status, headers: headers)
    }

    /// The body is either the payload or a whole envelope (`"protocol": "pulse"`) naming the same operation.
    private func makeEnvelope(_ descriptor: OperationDescriptor, body: JSONValue, _ request: HTTPRequest) throws -> Envelope {
        let tenantHeader = request.header("pulse-tenant")
        let keyHeader = request.header("idempotency-key")
        let traceparent = request.header("traceparent")
        var envelope: Envelope
        if Self.isEnvelope(body) {
            envelope = try body.decode(Envelope.self)
            var errors: [Problem.FieldError] = []
            if envelope.name != descriptor.name {
                errors.append(.init(pointer: "/name", detail: "must be '\(descriptor.name)', the operation in the URL"))
            }
            if let tenantHeader, tenantHeader != envelope.tenantId {
                errors.append(.init(pointer: "/tenantId", detail: "differs from the Pulse-Tenant header"))
            }
            if let keyHeader, let own = envelope.idempotencyKey, own != keyHeader {
                errors.append(.init(pointer: "/idempotencyKey", detail: "differs from the Idempotency-Key header"))
            }
            if !errors.isEmpty { throw Problem.invalidFields(errors) }
            if let keyHeader { envelope.idempotencyKey = keyHeader }
            if envelope.metadata.traceparent == nil { envelope.metadata.traceparent = traceparent }
        } else {
            let tenant = try tenant(of: request)
            envelope = Envelope(
                kind: descriptor.kind, name: descriptor.name, version: OperationNaming.version(of: descriptor.name) ?? 1,
                messageId: MessageID.make(),
                timestamp: Date(), idempotencyKey: keyHeader, tenantId: tenant, payload: body,
                metadata: Envelope.Metadata(traceparent: traceparent)
            )
        }
        if envelope.metadata.correlationId == nil { envelope.metadata.correlationId = envelope.messageId }
        try envelope.validate()
        return envelope
    }

    // MARK: - Queries

    /// Validates the payload (or a whole query envelope) and answers from PostgreSQL.
    func query(_ name: String, body: JSONValue, _ request: HTTPRequest) throws -> HTTPResponse {
        let descriptor = try Self.descriptor(name, kind: .query)
        var tenant = try tenant(of: request)
        var payload = body
        if Self.isEnvelope(body) {
            let envelope = try body.decode(Envelope.self)
            try envelope.validate()
            _ = try OperationCatalog.validate(envelope)
            guard envelope.name == descriptor.name else {
                throw Problem.invalidField(pointer: "/name", detail: "must be '\(descriptor.name)', the operation in the URL")
            }
            if let header = request.header("pulse-tenant"), header != envelope.tenantId {
                throw Problem.invalidField(pointer: "/tenantId", detail: "differs from the Pulse-Tenant header")
            }
            tenant = envelope.tenantId
            payload = envelope.payload
        }
        try descriptor.validatePayload(payload)
        guard ReadModel.canAnswer(name) else {
            throw Problem(type: "https://pulse.dev/problems/not-implemented", title: "Not implemented", status: 501,
                          detail: "the gateway cannot answer \(name) yet")
        }
        let document = try pool.withConnection { try readModel.answer(name, payload: payload, tenant: tenant, on: $0) }
        return .json(CanonicalJSON.data(document))
    }

    /// `GET /operations`: the catalog.
    private func catalog() -> HTTPResponse {
        let items = OperationCatalog.all.map { descriptor -> JSONValue in
            .object([
                "name": .string(descriptor.name), "kind": .string(descriptor.kind.rawValue),
                "stage": descriptor.stage.map { .string($0.rawValue) } ?? .null,
            ])
        }
        return .json(CanonicalJSON.data(.object(["operations": .array(items)])))
    }

    /// `GET /operations/:messageId`: the worker's stored reply, from the inbox.
    private func operation(_ request: HTTPRequest) throws -> HTTPResponse {
        let messageId = request.pathParameters["messageId"] ?? ""
        let tenant = try tenant(of: request)
        let notProcessed = Problem(
            type: "https://pulse.dev/problems/not-processed", title: "Not processed yet", status: 404,
            detail: "message \(Identifier.isSafe(messageId, maxLength: 200) ? messageId : "(invalid id)") has not been processed yet"
        )
        guard Identifier.isSafe(messageId, maxLength: 200) else { throw notProcessed }
        let document = try pool.withConnection { try readModel.processedOperation(messageId: messageId, tenant: tenant, on: $0) }
        guard let document else { throw notProcessed }
        return .json(CanonicalJSON.data(document))
    }

    // MARK: - Plumbing

    /// Registers a handler counted in `pulse_gateway_requests_total{route,status}` (route = the pattern).
    func add(_ router: Router, _ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let routes = self
        router.add(method, pattern) { request in
            let started = ContinuousClock.now
            var response: HTTPResponse
            do {
                response = try handler(request)
            } catch {
                response = routes.errorResponse(error, request)
            }
            let elapsed = ContinuousClock.now - started
            routes.metrics.counter(
                "pulse_gateway_requests_total", help: "HTTP requests answered by the gateway.",
                labels: ["route": pattern, "status": String(response.status)]
            ).increment()
            routes.metrics.histogram(
                "pulse_gateway_request_duration_seconds", help: "Time to answer an HTTP request.", labels: ["route": pattern]
            ).observe(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            return response
        }
    }

    private func mutation<Body>(_ router: Router, _ pattern: String, _ operation: OperationName<Body>) {
        add(router, .POST, pattern) { try mutation(operation.rawValue, body: try Self.body(of: $0), $0) }
    }

    private func query<Body>(
        _ router: Router, _ pattern: String, _ operation: OperationName<Body>,
        _ payload: @escaping @Sendable ([String: String]) -> [String: JSONValue]
    ) {
        add(router, .GET, pattern) { try query(operation.rawValue, body: .object(payload($0.pathParameters)), $0) }
    }

    /// Maps any error to a problem response; anything unrecognised is a bare 500 and a log line.
    private func errorResponse(_ error: any Error, _ request: HTTPRequest) -> HTTPResponse {
        let unavailable = ["Retry-After": "5"]
        switch error {
        case var problem as Problem:
            problem.instance = problem.instance ?? request.path
            return Self.problem(problem)
        case let error as StorageError where error.code == .connectionFailed:
            logger.warning("database unavailable", ["error": error.description, "http.path": request.path])
            return Self.problem(Problem.unavailable("the database is unavailable; try again later"), headers: unavailable)
        case let error as MessagingError where error.code == .unroutable:
            logger.error("command unroutable", ["error": error.description, "http.path": request.path])
            return Self.problem(Problem.unavailable("no worker queue is bound for this operation"), headers: unavailable)
        case let error as MessagingError:
            logger.warning("broker unavailable", ["error": error.description, "http.path": request.path])
            return Self.problem(Problem.unavailable("the message broker is unavailable; try again later"), headers: unavailable)
        case let error as GatewayError where error.code == .stopped:
            return Self.problem(Problem.unavailable("the gateway is shutting down"), headers: unavailable)
        default:
            logger.error("request failed", ["error": String(describing: error), "http.path": request.path])
            return Self.problem(Problem.internalError())
        }
    }

    private func tenant(of request: HTTPRequest) throws -> String {
        let tenant = request.header("pulse-tenant") ?? defaultTenant
        guard TenantID.isValid(tenant) else {
            throw Problem(
                type: "https://pulse.dev/problems/invalid-tenant", title: "Invalid tenant", status: 400,
                detail: "the Pulse-Tenant header must be 1-64 characters of lowercase letters, digits, '-' or '_'"
            )
        }
        return tenant
    }

    private static func descriptor(_ name: String, kind: Envelope.Kind) throws -> OperationDescriptor {
        guard let descriptor = OperationCatalog.descriptor(named: name) else { throw Problem.unknownOperation(name) }
        guard descriptor.kind != kind else { return descriptor }
        switch descriptor.kind {
        case .query: throw Problem.invalidField(pointer: "/name", detail: "\(name) is a query: use POST /queries/\(name)")
        case .mutation: throw Problem.invalidField(pointer: "/name", detail: "\(name) is a mutation: use POST /mutations/\(name)")
        case .event: throw Problem.invalidField(pointer: "/name", detail: "\(name) is an event: workers publish events, the gateway does not accept them")
        }
    }

    /// The parsed body; an empty body is `{}`.
    static func body(of request: HTTPRequest) throws -> JSONValue {
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([:]) }
        return try JSONValue.parse(request.body)
    }

    /// The body (a JSON object, or nothing) with a field taken from the URL.
    static func body(of request: HTTPRequest, adding field: String, _ value: String?) throws -> JSONValue {
        guard case .object(var members) = try body(of: request) else {
            throw Problem.invalidField(pointer: "", detail: "must be a JSON object")
        }
        members[field] = .string(value ?? "")
        return .object(members)
    }

    private static func isEnvelope(_ body: JSONValue) -> Bool {
        body["protocol"] != nil
    }

    /// `Prefer: respond-async` (RFC 7240) asks for 202 at once.
    private static func prefersAsync(_ request: HTTPRequest) -> Bool {
        guard let prefer = request.header("prefer") else { return false }
        return prefer.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async" }
    }

    private static func accepted(_ messageId: String) -> HTTPResponse {
        .json(
            CanonicalJSON.data(.object(["messageId": .string(messageId), "status": .string("accepted")])), status: 202,
            headers: ["Location": "/operations/\(messageId)", "Pulse-Message-Id": messageId]
        )
    }

    /// An RFC 9457 body with every member of `problem` (including `errors[].pointer`).
    static func problem(_ problem: Problem, headers: [String: String] = [:]) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(problem)) ?? Data("{\"status\":\(problem.status)}".utf8)
        var headers = headers
        headers["Content-Type"] = "application/problem+json"
        return HTTPResponse(status: problem.status, headers: headers, body: body)
    }
}
