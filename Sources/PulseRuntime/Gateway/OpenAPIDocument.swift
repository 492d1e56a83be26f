/// The gateway's OpenAPI 3.1 document, served on `GET /openapi.yaml`: the content of `docs/openapi.yaml`, embedded
/// so the executable needs no file at run time (a test checks the two are identical).
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: Pulse gateway
  version: 1.0.0
  description: |
    HTTP ingress of Pulse. Mutations are published as protocol envelopes to the `pulse.commands` exchange and the
    gateway waits for the worker's reply (up to PULSE_REPLY_TIMEOUT_SECONDS, then 202 with a Location to poll).
    Queries are answered from PostgreSQL. Every error is RFC 9457 `application/problem+json`.
    The tenant comes from the `Pulse-Tenant` header (default: the configured default tenant).
servers:
  - url: http://127.0.0.1:8080
tags:
  - name: generic
  - name: datasources
  - name: extraction
  - name: datasets
  - name: models
  - name: serving
  - name: retraining
  - name: operations
  - name: operators

paths:
  /mutations/{name}:
    post:
      tags: [generic]
      summary: Send any mutation of the catalog
      description: The body is the payload object, or a whole envelope (`"protocol":"pulse"`) naming the same operation.
      parameters:
        - $ref: '#/components/parameters/OperationName'
        - $ref: '#/components/parameters/Tenant'
        - $ref: '#/components/parameters/IdempotencyKey'
        - $ref: '#/components/parameters/Prefer'
        - $ref: '#/components/parameters/Traceparent'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - type: object
                - $ref: '#/components/schemas/Envelope'
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '413': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /queries/{name}:
    post:
      tags: [generic]
      summary: Run any query of the catalog
      parameters:
        - $ref: '#/components/parameters/OperationName'
        - $ref: '#/components/parameters/Tenant'
      requestBody:
        content:
          application/json:
            schema: { type: object }
      responses:
        '200': { $ref: '#/components/responses/Document' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }

  /datasources:
    post:
      tags: [datasources]
      summary: Register a datasource (pulse.datasource.register.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/RegisterDataSource' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
    get:
      tags: [datasources]
      summary: List datasources (pulse.datasource.list.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }]
      responses:
        '200':
          description: The tenant's datasources, oldest first.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: { type: array, items: { $ref: '#/components/schemas/DataSource' } }
  /datasources/{id}:
    get:
      tags: [datasources]
      summary: Get a datasource (pulse.datasource.get.v1); the connection config is never returned
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }]
      responses:
        '200': { description: The datasource., content: { application/json: { schema: { $ref: '#/components/schemas/DataSource' } } } }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
  /datasources/{id}/validate:
    post:
      tags: [datasources]
      summary: Check the datasource's connection and allowlist (pulse.datasource.validate.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /extractions:
    post:
      tags: [extraction]
      summary: Extract an allowlisted view by cursor (pulse.source.sql.extract.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/ExtractSQL' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /extractions/{id}:
    get:
      tags: [extraction]
      summary: Get an extraction job (pulse.extraction-job.get.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }]
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /datasets/snapshot:
    post:
      tags: [datasets]
      summary: Freeze completed extractions as the next dataset version (pulse.dataset.snapshot.create.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/CreateSnapshot' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /datasets/{id}/versions/{version}:
    get:
      tags: [datasets]
      summary: Get a dataset version with its manifest (pulse.dataset.version.get.v1)
      parameters:
        - $ref: '#/components/parameters/Id'
        - { name: version, in: path, required: true, schema: { type: integer, minimum: 1 } }
        - $ref: '#/components/parameters/Tenant'
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /training-jobs:
    post:
      tags: [models]
      summary: Train a model from a dataset version (pulse.training.start.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/StartTraining' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{id}:
    get:
      tags: [models]
      summary: Get a model with its evaluations and promotions (pulse.model.get.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }]
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /models/{name}/performance:
    get:
      tags: [retraining]
      summary: Live performance of the production model of a name over its latest feedback (pulse.model.performance.get.v1)
      description: |
        The last `window` feedback rows (by the time they were recorded) joined to the model's predictions. For a
        classifier: AUC (absent unless both outcomes are present), accuracy, precision, recall, F1, log loss, Brier,
        the holdout AUC and the decay (holdout − live). For a regression model: rmse, mae, r2, holdoutRmse and
        rmseIncrease (live − holdout). Each prediction counts once, however often its outcome was sent.
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { name: window, in: query, schema: { type: integer, minimum: 1, maximum: 1000000, default: 1000 } }
        - { $ref: '#/components/parameters/Tenant' }
      responses:
        '200': { $ref: '#/components/responses/Document' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
  /models/{name}/monitoring:
    post:
      tags: [retraining]
      summary: Watch a model name on a timer (pulse.monitoring.schedule.v1)
      description: |
        Every `everyMinutes` the drift monitor measures drift on the latest window, records a retraining decision
        under `policy`, and with `retrain` (the default) starts a retraining run when the decision says so and no
        run is running. Setting a schedule again replaces it and makes it due at once; `enabled: false` pauses it.
        Several drift-monitor processes run each pass once (the due schedule is claimed with SKIP LOCKED); passes
        missed while none ran collapse into one.
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { $ref: '#/components/parameters/Tenant' }
        - { $ref: '#/components/parameters/IdempotencyKey' }
        - { $ref: '#/components/parameters/Prefer' }
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/ScheduleMonitoring' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
    get:
      tags: [retraining]
      summary: A model name's monitoring schedule, when it is next due and what its last pass did (pulse.monitoring.get.v1)
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { $ref: '#/components/parameters/Tenant' }
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /models/{name}/monitoring/run:
    post:
      tags: [retraining]
      summary: Run a model name's monitor now (pulse.monitoring.run.v1)
      description: |
        One pass: a drift report, a retraining decision and, when the name has a schedule with `retrain`, a run if
        the decision says so (without a schedule: the defaults, and no run). A name without a production model is
        answered `skipped`.
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { $ref: '#/components/parameters/Tenant' }
        - { $ref: '#/components/parameters/Prefer' }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{id}/evaluate:
    post:
      tags: [models]
      summary: Evaluate a model against the champion (pulse.model.evaluate.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{id}/promote:
    post:
      tags: [models]
      summary: Promote a model if it meets the policy (pulse.model.promote.v1)
      description: |
        Applies the policy to the model's latest evaluation. The reply is the recorded decision (`promoted`,
        `rejected`, or `awaiting-approval` with requireApproval) with every rule's numbers in `evidence.checks`.
        409 when the production model changed since the model was evaluated (recorded as decision `conflict`;
        evaluate it again), or when the model is not a candidate.
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { content: { application/json: { schema: { $ref: '#/components/schemas/PromotionPolicy' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{id}/approve:
    post:
      tags: [models]
      summary: Approve a candidate awaiting approval (pulse.model.approve.v1)
      description: |
        Promotes the candidate if the production model is still the one it was evaluated against; otherwise 409
        (recorded as decision `conflict`: evaluate and promote it again). 409 too when the model's latest decision
        is not `awaiting-approval`.
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/Review' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{id}/reject:
    post:
      tags: [models]
      summary: Reject a candidate awaiting approval (pulse.model.reject.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/Review' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /models/{name}/rollback:
    post:
      tags: [models]
      summary: Roll the production model of a name back to the previous one (pulse.model.rollback.v1)
      description: |
        The production model becomes `rolled-back`; the most recent earlier production model that is `archived`
        (or `targetModelId`, an earlier production model of the same name) becomes production again. Recorded as
        decision `rollback` on the restored model. 409 when there is no production model or nothing to roll back to.
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
        - { $ref: '#/components/parameters/Tenant' }
        - { $ref: '#/components/parameters/Prefer' }
      requestBody: { content: { application/json: { schema: { $ref: '#/components/schemas/Rollback' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /predictions:
    post:
      tags: [serving]
      summary: Score rows with the production model (pulse.prediction.run.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/RunPrediction' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /feedback:
    post:
      tags: [serving]
      summary: Record true outcomes of earlier predictions (pulse.feedback.record.v1)
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/RecordFeedback' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /drift/detect:
    post:
      tags: [retraining]
      summary: Compare live inputs with the reference profile (pulse.drift.detect.v1)
      description: |
        PSI (reference deciles, empty bins as 0.0001), KS (exact against the reference's distinct values when it kept
        at most 25,000 of them, else its 101-point quantile sketch, within 0.02) and Jensen–Shannon (base 2) per
        feature, and drift of the predictions. Verdicts per feature and overall: stable (PSI < 0.1), moderate
        (< 0.25), significant. A window under `minimumRows` is recorded with the verdict `insufficient-data`, its
        counts and no statistics.
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/DetectDrift' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /retraining/check:
    post:
      tags: [retraining]
      summary: Decide whether a model needs retraining (pulse.retraining.check.v1)
      description: |
        Records (and answers) a decision from drift, live performance, new rows at the source and the model's age,
        held back by the cooldown after the last run; every reason carries its value and threshold. Starts nothing.
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/CheckRetraining' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /retraining/runs:
    post:
      tags: [retraining]
      summary: Start a retraining run (pulse.retraining.run.v1)
      description: 409 while a run of the model is running, and within `cooldownHours` of the last run unless `force`.
      parameters: [{ $ref: '#/components/parameters/Tenant' }, { $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/Prefer' }]
      requestBody: { required: true, content: { application/json: { schema: { $ref: '#/components/schemas/RunRetraining' } } } }
      responses:
        '200': { $ref: '#/components/responses/Reply' }
        '202': { $ref: '#/components/responses/Accepted' }
        '400': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '409': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }
        '503': { $ref: '#/components/responses/Problem' }
  /retraining/runs/{id}:
    get:
      tags: [retraining]
      summary: Get a retraining run (pulse.retraining.run.get.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }]
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /lineage/predictions/{id}:
    get:
      tags: [operations]
      summary: Trace a prediction to the model, dataset version, extractions and datasources (pulse.lineage.trace.v1)
      parameters: [{ $ref: '#/components/parameters/Id' }, { $ref: '#/components/parameters/Tenant' }]
      responses: { '200': { $ref: '#/components/responses/Document' }, '404': { $ref: '#/components/responses/Problem' } }
  /operations:
    get:
      tags: [operations]
      summary: The operation catalog
      responses:
        '200':
          description: Every operation with its kind and owning stage (null for queries and events).
          content:
            application/json:
              schema:
                type: object
                required: [operations]
                properties:
                  operations:
                    type: array
                    items:
                      type: object
                      required: [name, kind, stage]
                      properties:
                        name: { type: string, examples: [pulse.training.start.v1] }
                        kind: { type: string, enum: [mutation, query, event] }
                        stage: { type: [string, 'null'] }
  /operations/{messageId}:
    get:
      tags: [operations]
      summary: What a worker answered to a message (from its inbox)
      parameters:
        - { name: messageId, in: path, required: true, schema: { type: string } }
        - $ref: '#/components/parameters/Tenant'
      responses:
        '200':
          description: The message was processed.
          content:
            application/json:
              schema:
                type: object
                required: [messageId, operation, status, replyStatus, reply, processedAt]
                properties:
                  messageId: { type: string }
                  operation: { type: string }
                  status: { type: string, const: processed }
                  replyStatus: { type: integer }
                  reply: { $ref: '#/components/schemas/Reply' }
                  processedAt: { type: string, format: date-time }
        '404': { $ref: '#/components/responses/Problem' }
  /openapi.yaml:
    get:
      tags: [operations]
      summary: This document
      responses:
        '200': { description: OpenAPI 3.1, content: { application/yaml: { schema: { type: string } } } }
  /livez:
    get:
      tags: [operations]
      summary: Liveness
      responses: { '200': { description: ok, content: { text/plain: { schema: { type: string } } } } }
  /readyz:
    get:
      tags: [operations]
      summary: Readiness (PostgreSQL answers and the broker connections are open)
      responses:
        '200': { description: ready, content: { text/plain: { schema: { type: string } } } }
        '503': { description: not ready, content: { text/plain: { schema: { type: string } } } }
  /metrics:
    get:
      tags: [operations]
      summary: Prometheus metrics, including pulse_gateway_requests_total{route,status}
      responses: { '200': { description: Prometheus text format 0.0.4, content: { text/plain: { schema: { type: string } } } } }
  /admin/dlq:
    get:
      tags: [operators]
      summary: How many messages each stage has parked in its dead-letter queue
      security: [{ operatorToken: [] }]
      responses:
        '200':
          description: Parked messages per stage.
          content:
            application/json:
              schema:
                type: object
                required: [parked]
                properties: { parked: { type: object, additionalProperties: { type: integer } } }
        '401': { $ref: '#/components/responses/Problem' }
        '403': { $ref: '#/components/responses/Problem' }
  /admin/dlq/{stage}:
    parameters:
      - $ref: '#/components/parameters/Stage'
    get:
      tags: [operators]
      summary: List a stage's parked messages (why, how often, when first and last, parked by the worker or the broker)
      security: [{ operatorToken: [] }]
      parameters:
        - { name: messageId, in: query, schema: { type: string } }
        - { name: operation, in: query, schema: { type: string } }
        - { name: tenant, in: query, schema: { type: string } }
        - { name: errorContains, in: query, schema: { type: string } }
      responses:
        '200':
          description: The parked messages that match.
          content:
            application/json:
              schema:
                type: object
                required: [messages]
                properties: { messages: { type: array, items: { $ref: '#/components/schemas/ParkedMessage' } } }
        '401': { $ref: '#/components/responses/Problem' }
        '403': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
    delete:
      tags: [operators]
      summary: Purge every parked message of the stage
      security: [{ operatorToken: [] }]
      responses:
        '200':
          description: How many were deleted.
          content: { application/json: { schema: { type: object, properties: { purged: { type: integer } } } } }
        '401': { $ref: '#/components/responses/Problem' }
        '403': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
  /admin/dlq/{stage}/{messageId}:
    get:
      tags: [operators]
      summary: One parked message with its envelope (password members masked)
      security: [{ operatorToken: [] }]
      parameters:
        - $ref: '#/components/parameters/Stage'
        - { name: messageId, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: The message.
          content:
            application/json:
              schema:
                type: object
                properties: { message: { $ref: '#/components/schemas/ParkedMessage' }, envelope: { type: [object, 'null'] } }
        '401': { $ref: '#/components/responses/Problem' }
        '403': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
  /admin/dlq/{stage}/replay:
    post:
      tags: [operators]
      summary: Move matching parked messages back to the stage queue, message ids kept (so idempotency still holds)
      security: [{ operatorToken: [] }]
      parameters:
        - $ref: '#/components/parameters/Stage'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              description: Every given condition must hold; `all` replays everything. An empty selection is 422.
              properties:
                messageIds: { type: array, items: { type: string } }
                operation: { type: string }
                tenant: { type: string }
                errorContains: { type: string }
                all: { type: boolean }
      responses:
        '200':
          description: How many moved.
          content: { application/json: { schema: { type: object, properties: { replayed: { type: integer } } } } }
        '401': { $ref: '#/components/responses/Problem' }
        '403': { $ref: '#/components/responses/Problem' }
        '404': { $ref: '#/components/responses/Problem' }
        '422': { $ref: '#/components/responses/Problem' }

components:
  securitySchemes:
    operatorToken:
      type: http
      scheme: bearer
      description: The gateway's PULSE_ADMIN_TOKEN. Without it configured the operator endpoints answer 403.
  parameters:
    Stage:
      name: stage
      in: path
      required: true
      schema: { type: string, enum: [extractor, snapshotter, trainer, evaluator, promoter, scorer, drift-monitor] }
    OperationName:
      name: name
      in: path
      required: true
      schema: { type: string, pattern: '^pulse(\.[a-z0-9-]+)+\.v[1-9][0-9]*$' }
    Id:
      name: id
      in: path
      required: true
      schema: { type: string }
    Tenant:
      name: Pulse-Tenant
      in: header
      schema: { type: string, pattern: '^[a-z0-9_-]{1,64}$' }
    IdempotencyKey:
      name: Idempotency-Key
      in: header
      description: |
        Makes a mutation safe to retry. Keys are per tenant and kept at least 24 hours after their last change.
        The same key with the same request (operation + payload, hashed as SHA-256 of their canonical JSON before
        secrets are sealed) returns the stored result with `Idempotent-Replayed: true`; with a different request
        it is 422 naming both request hashes; while the first request is still in flight it is 409 with
        `Retry-After` and a `Location` to poll. Concurrent requests with one key do the work once.
      schema: { type: string, pattern: '^[A-Za-z0-9._:-]{1,200}$' }
    Prefer:
      name: Prefer
      in: header
      description: '`respond-async` answers 202 at once without waiting for the worker.'
      schema: { type: string }
    Traceparent:
      name: traceparent
      in: header
      description: W3C trace context, carried in the envelope metadata and the AMQP headers.
      schema: { type: string }

  responses:
    Reply:
      description: The worker's reply body; the `Pulse-Message-Id` header names the message.
      headers:
        Pulse-Message-Id: { schema: { type: string } }
      content:
        application/json:
          schema: { type: object }
    Accepted:
      description: Published; the worker has not answered yet. Poll the Location.
      headers:
        Location: { schema: { type: string, examples: [/operations/msg_01a23d576b8f4aae199771b1b68b] } }
        Pulse-Message-Id: { schema: { type: string } }
      content:
        application/json:
          schema: { $ref: '#/components/schemas/Accepted' }
    Document:
      description: The requested document.
      content:
        application/json:
          schema: { type: object }
    Problem:
      description: An RFC 9457 problem.
      content:
        application/problem+json:
          schema: { $ref: '#/components/schemas/Problem' }

  schemas:
    ParkedMessage:
      type: object
      required: [parkedBy, replays, bytes]
      properties:
        messageId: { type: [string, 'null'] }
        operation: { type: [string, 'null'] }
        tenant: { type: [string, 'null'] }
        parkedBy:
          type: string
          enum: [worker, broker]
          description: '`broker`: the stage queue''s delivery limit parked it (its worker died or stopped on it every time).'
        error: { type: [string, 'null'] }
        attempts: { type: [integer, 'null'] }
        firstFailedAt: { type: [string, 'null'], format: date-time }
        lastFailedAt: { type: [string, 'null'], format: date-time }
        replays: { type: integer }
        bytes: { type: integer }
    Problem:
      type: object
      required: [type, title, status, detail]
      properties:
        type: { type: string, format: uri, examples: [https://pulse.dev/problems/validation] }
        title: { type: string }
        status: { type: integer, minimum: 400, maximum: 599 }
        detail: { type: string }
        instance: { type: string }
        errors:
          type: array
          items:
            type: object
            required: [pointer, detail]
            properties:
              pointer: { type: string, description: JSON Pointer (RFC 6901) into the request, examples: [/payload/name] }
              detail: { type: string }
    Accepted:
      type: object
      required: [messageId, status]
      properties:
        messageId: { type: string }
        status: { type: string, const: accepted }
    Reply:
      type: object
      required: [status]
      properties:
        status: { type: integer }
        body: {}
        problem: { $ref: '#/components/schemas/Problem' }
    Envelope:
      type: object
      required: [protocol, kind, name, version, messageId, timestamp, tenantId, payload, metadata]
      properties:
        protocol: { type: string, const: pulse }
        kind: { type: string, enum: [mutation, query, event] }
        name: { type: string }
        version: { type: integer, minimum: 1 }
        messageId: { type: string, pattern: '^[A-Za-z0-9._:-]{1,200}$' }
        timestamp: { type: string, format: date-time }
        idempotencyKey: { type: string }
        tenantId: { type: string, pattern: '^[a-z0-9_-]{1,64}$' }
        payload: { type: object }
        metadata:
          type: object
          properties:
            correlationId: { type: string }
            causationId: { type: string }
            traceparent: { type: string }
    DataSource:
      type: object
      required: [dataSourceId, name, kind, allowlist, status]
      properties:
        dataSourceId: { type: string, examples: [ds_0190a1b2c3d4e5f60718293a4b5c6d7e] }
        name: { type: string }
        kind: { type: string, const: postgres }
        allowlist: { type: array, items: { type: string } }
        status: { type: string, enum: [registered, valid, invalid] }
        validation: { type: [object, 'null'] }
        createdAt: { type: string, format: date-time }
        updatedAt: { type: string, format: date-time }
    RegisterDataSource:
      type: object
      required: [name, connection, allowlist]
      properties:
        name: { type: string, minLength: 1, maxLength: 100 }
        kind: { type: string, const: postgres, default: postgres }
        connection:
          type: object
          required: [host, port, database, user, password]
          properties:
            host: { type: string }
            port: { type: integer, minimum: 1, maximum: 65535 }
            database: { type: string }
            user: { type: string }
            password: { type: string, writeOnly: true }
            sslmode: { type: string }
        allowlist: { type: array, minItems: 1, items: { type: string, examples: [public.flights_v] } }
    ExtractSQL:
      type: object
      required: [dataSourceId, view, cursorColumn, keyColumn]
      properties:
        dataSourceId: { type: string }
        view: { type: string }
        cursorColumn: { type: string }
        keyColumn: { type: string }
        join:
          type: object
          required: [view, key, columns]
          properties:
            view: { type: string }
            key: { type: string }
            columns: { type: array, minItems: 1, items: { type: string } }
        after: { type: string, description: exclusive lower cursor bound }
        upTo: { type: string, description: inclusive upper cursor bound }
        incremental: { type: boolean }
        chunkRows: { type: integer, minimum: 1000, maximum: 5000000 }
    CreateSnapshot:
      type: object
      required: [datasetName, extractionIds]
      properties:
        datasetName: { type: string }
        extractionIds: { type: array, minItems: 1, items: { type: string } }
    StartTraining:
      type: object
      required: [datasetId, datasetVersion, modelName, label]
      properties:
        datasetId: { type: string }
        datasetVersion: { type: integer, minimum: 1 }
        modelName: { type: string }
        label: { type: string }
        algorithm:
          type: string
          enum: [xgboost, logistic-regression]
          default: xgboost
          description: logistic-regression is liblinear's L2-regularised logistic regression (solver L2R_LR, bias 1).
        objective:
          type: string
          enum: ["binary:logistic", "reg:squarederror"]
          default: "binary:logistic"
          description: binary:logistic needs 0/1 or true/false labels; reg:squarederror (xgboost only) any finite number.
        exclude: { type: array, items: { type: string }, description: Columns to leave out of the features. }
        include:
          type: array
          items: { type: string }
          description: Columns left out by default (row key, cursor, join key, joined columns) to use as features.
        timestamps:
          type: string
          enum: [exclude, parts]
          default: exclude
          description: parts turns each timestamp or date column into its UTC hour, ISO day of week and month.
        holdoutFraction: { type: number, minimum: 0.05, maximum: 0.5 }
        parameters:
          type: object
          description: rounds … lambda apply to xgboost; c and eps to logistic-regression.
          properties:
            rounds: { type: integer, minimum: 1, maximum: 5000 }
            maxDepth: { type: integer, minimum: 1, maximum: 20 }
            learningRate: { type: number, exclusiveMinimum: 0, maximum: 1 }
            seed: { type: integer, minimum: 0, maximum: 2147483647 }
            subsample: { type: number, exclusiveMinimum: 0, maximum: 1 }
            colsampleByTree: { type: number, exclusiveMinimum: 0, maximum: 1 }
            minChildWeight: { type: number, minimum: 0 }
            lambda: { type: number, minimum: 0 }
            c: { type: number, exclusiveMinimum: 0, default: 1, description: Inverse regularisation strength (liblinear C). }
            eps: { type: number, exclusiveMinimum: 0, default: 0.0001, description: liblinear's stopping tolerance. }
    PromotionPolicy:
      type: object
      additionalProperties: false
      description: |
        Rules on the metric names of the evaluation (higher is better: auc, accuracy, precision, recall, f1, r2;
        lower is better: logLoss, brier, rmse, mae). Defaults: minimums {auc: 0.6} for a classifier (none for a
        regressor), compareOn auc (rmse for a regressor), maxRegression 0, requireApproval false.
        minAuc and maxAucRegression are the first version's fields, kept as aliases of minimums.auc and of
        compareOn auc + maxRegression.
      properties:
        minimums:
          type: object
          description: 'Floors for higher-is-better metrics, e.g. {"auc": 0.7}.'
          propertyNames: { enum: [auc, accuracy, precision, recall, f1, r2] }
          additionalProperties: { type: number }
        maximums:
          type: object
          description: 'Ceilings for lower-is-better metrics, e.g. {"logLoss": 0.6}.'
          propertyNames: { enum: [logLoss, brier, rmse, mae] }
          additionalProperties: { type: number, minimum: 0 }
        compareOn:
          type: string
          description: The metric compared with the champion's on the candidate's holdout.
          enum: [auc, accuracy, precision, recall, f1, r2, logLoss, brier, rmse, mae]
        maxRegression: { type: number, minimum: 0, description: "How far, in compareOn's units, the candidate may fall behind the champion." }
        requireApproval: { type: boolean, description: "A passing candidate waits for POST /models/{id}/approve." }
        minAuc: { type: number, minimum: 0, maximum: 1, deprecated: true }
        maxAucRegression: { type: number, minimum: 0, maximum: 1, deprecated: true }
    Review:
      type: object
      required: [approver]
      properties:
        approver: { type: string, minLength: 1, maxLength: 200, description: "Who decides (recorded with the decision)." }
        note: { type: string, maxLength: 2000 }
    Rollback:
      type: object
      properties:
        targetModelId: { type: string, description: "An earlier production model of the same name (default: the previous one)." }
        reason: { type: string, maxLength: 2000 }
        requestedBy: { type: string, maxLength: 200 }
    RunPrediction:
      type: object
      required: [modelName, rows]
      properties:
        modelName: { type: string }
        rows:
          type: array
          minItems: 1
          maxItems: 10000
          items:
            type: object
            required: [features]
            properties:
              key: { type: string }
              features: { type: object }
    RecordFeedback:
      type: object
      required: [items]
      properties:
        items:
          type: array
          minItems: 1
          maxItems: 50000
          items:
            type: object
            required: [predictionId, outcome]
            properties:
              predictionId: { type: string }
              outcome: { type: number }
    DetectDrift:
      type: object
      required: [modelName]
      properties:
        modelName: { type: string }
        windowSize: { type: integer, minimum: 1, maximum: 1000000, default: 50000 }
        minimumRows: { type: integer, minimum: 1, maximum: 1000000, default: 100, description: 'not more than windowSize' }
    CheckRetraining:
      type: object
      required: [modelName]
      properties:
        modelName: { type: string }
        policy: { $ref: '#/components/schemas/RetrainingPolicy' }
    RetrainingPolicy:
      type: object
      description: Thresholds; each one left out takes its default.
      properties:
        psiThreshold: { type: number, exclusiveMinimum: 0, maximum: 10, default: 0.25 }
        maxAucDecay: { type: number, minimum: 0, maximum: 1, default: 0.05 }
        maxRmseIncrease: { type: number, minimum: 0, maximum: 10, default: 0.1, description: 'regression models: allowed (live − holdout RMSE) / holdout RMSE' }
        minFeedback: { type: integer, minimum: 1, default: 200, description: 'not more than feedbackWindow' }
        feedbackWindow: { type: integer, minimum: 1, maximum: 1000000, default: 1000 }
        minNewRows: { type: integer, minimum: 1, default: 1000 }
        maxModelAgeHours: { type: number, exclusiveMinimum: 0, maximum: 87600, default: 168 }
        cooldownHours: { type: number, minimum: 0, maximum: 8760, default: 6 }
    ScheduleMonitoring:
      type: object
      required: [everyMinutes]
      properties:
        everyMinutes: { type: integer, minimum: 1, maximum: 10080 }
        windowSize: { type: integer, minimum: 1, maximum: 1000000, default: 50000 }
        minimumRows: { type: integer, minimum: 1, maximum: 1000000, default: 100, description: 'not more than windowSize' }
        policy: { $ref: '#/components/schemas/RetrainingPolicy' }
        retrain: { type: boolean, default: true, description: start a retraining run when the decision says so }
        enabled: { type: boolean, default: true }
    ModelName:
      type: object
      required: [modelName]
      properties:
        modelName: { type: string }
    RunRetraining:
      type: object
      required: [modelName]
      properties:
        modelName: { type: string }
        reason: { type: string, maxLength: 500 }
        force: { type: boolean, default: false, description: start within the cooldown (never while a run is running) }
        cooldownHours: { type: number, minimum: 0, maximum: 8760, default: 6 }
"""#
}
