/// Every operation Pulse knows, with its kind, payload type and owning stage.
public enum Operations {
    // Mutations
    public static let registerDataSource = OperationName<RegisterDataSource>("pulse.datasource.register.v1", kind: .mutation, stage: .extractor)
    public static let validateDataSource = OperationName<DataSourceReference>("pulse.datasource.validate.v1", kind: .mutation, stage: .extractor)
    public static let extractSQL = OperationName<ExtractSQL>("pulse.source.sql.extract.v1", kind: .mutation, stage: .extractor)
    public static let createSnapshot = OperationName<CreateSnapshot>("pulse.dataset.snapshot.create.v1", kind: .mutation, stage: .snapshotter)
    public static let startTraining = OperationName<StartTraining>("pulse.training.start.v1", kind: .mutation, stage: .trainer)
    public static let evaluateModel = OperationName<ModelReference>("pulse.model.evaluate.v1", kind: .mutation, stage: .evaluator)
    public static let promoteModel = OperationName<PromoteModel>("pulse.model.promote.v1", kind: .mutation, stage: .promoter)
    public static let approveModel = OperationName<ReviewModel>("pulse.model.approve.v1", kind: .mutation, stage: .promoter)
    public static let rejectModel = OperationName<ReviewModel>("pulse.model.reject.v1", kind: .mutation, stage: .promoter)
    public static let rollbackModel = OperationName<RollbackModel>("pulse.model.rollback.v1", kind: .mutation, stage: .promoter)
    public static let runPrediction = OperationName<RunPrediction>("pulse.prediction.run.v1", kind: .mutation, stage: .scorer)
    public static let recordFeedback = OperationName<RecordFeedback>("pulse.feedback.record.v1", kind: .mutation, stage: .driftMonitor)
    public static let detectDrift = OperationName<DetectDrift>("pulse.drift.detect.v1", kind: .mutation, stage: .driftMonitor)
    public static let checkRetraining = OperationName<CheckRetraining>("pulse.retraining.check.v1", kind: .mutation, stage: .driftMonitor)
    public static let runRetraining = OperationName<RunRetraining>("pulse.retraining.run.v1", kind: .mutation, stage: .driftMonitor)
    public static let scheduleMonitoring = OperationName<ScheduleMonitoring>("pulse.monitoring.schedule.v1", kind: .mutation, stage: .driftMonitor)
    public static let runMonitoring = OperationName<RunMonitoring>("pulse.monitoring.run.v1", kind: .mutation, stage: .driftMonitor)

    // Queries (answered by the gateway from PostgreSQL)
    public static let getDataSource = OperationName<DataSourceReference>("pulse.datasource.get.v1", kind: .query, stage: nil)
    public static let listDataSources = OperationName<EmptyPayload>("pulse.datasource.list.v1", kind: .query, stage: nil)
    public static let getExtractionJob = OperationName<ExtractionReference>("pulse.extraction-job.get.v1", kind: .query, stage: nil)
    public static let traceLineage = OperationName<TraceLineage>("pulse.lineage.trace.v1", kind: .query, stage: nil)
    public static let getModel = OperationName<ModelReference>("pulse.model.get.v1", kind: .query, stage: nil)
    public static let getDatasetVersion = OperationName<DatasetVersionReference>("pulse.dataset.version.get.v1", kind: .query, stage: nil)
    public static let getRetrainingRun = OperationName<RetrainingRunReference>("pulse.retraining.run.get.v1", kind: .query, stage: nil)
    public static let getModelPerformance = OperationName<GetModelPerformance>("pulse.model.performance.get.v1", kind: .query, stage: nil)
    public static let getMonitoring = OperationName<MonitoringReference>("pulse.monitoring.get.v1", kind: .query, stage: nil)

    // Events
    public static let dataSourceRegistered = OperationName<DataSourceEvent>("pulse.datasource.registered.v1", kind: .event, stage: nil)
    public static let dataSourceValidated = OperationName<DataSourceEvent>("pulse.datasource.validated.v1", kind: .event, stage: nil)
    public static let extractionCompleted = OperationName<ExtractionEvent>("pulse.extraction.completed.v1", kind: .event, stage: nil)
    public static let extractionFailed = OperationName<ExtractionEvent>("pulse.extraction.failed.v1", kind: .event, stage: nil)
    public static let snapshotCreated = OperationName<SnapshotEvent>("pulse.dataset.snapshot.created.v1", kind: .event, stage: nil)
    public static let trainingCompleted = OperationName<ModelEvent>("pulse.training.completed.v1", kind: .event, stage: nil)
    public static let modelEvaluated = OperationName<ModelEvent>("pulse.model.evaluated.v1", kind: .event, stage: nil)
    public static let modelPromoted = OperationName<ModelEvent>("pulse.model.promoted.v1", kind: .event, stage: nil)
    public static let modelRejected = OperationName<ModelEvent>("pulse.model.rejected.v1", kind: .event, stage: nil)
    /// The production model stepped back: `modelId` is production again, `reason` says which one it replaced and why.
    public static let modelRolledBack = OperationName<ModelEvent>("pulse.model.rolled-back.v1", kind: .event, stage: nil)
    public static let feedbackRecorded = OperationName<FeedbackEvent>("pulse.feedback.recorded.v1", kind: .event, stage: nil)
    public static let driftDetected = OperationName<DriftEvent>("pulse.drift.detected.v1", kind: .event, stage: nil)
    public static let retrainingRequested = OperationName<RetrainingEvent>("pulse.retraining.requested.v1", kind: .event, stage: nil)
    public static let retrainingCompleted = OperationName<RetrainingEvent>("pulse.retraining.completed.v1", kind: .event, stage: nil)
}

public enum OperationCatalog {
    public static let all: [OperationDescriptor] = [
        Operations.registerDataSource.descriptor, Operations.validateDataSource.descriptor,
        Operations.extractSQL.descriptor, Operations.createSnapshot.descriptor, Operations.startTraining.descriptor,
        Operations.evaluateModel.descriptor, Operations.promoteModel.descriptor, Operations.runPrediction.descriptor,
        Operations.recordFeedback.descriptor, Operations.detectDrift.descriptor, Operations.checkRetraining.descriptor,
        Operations.runRetraining.descriptor, Operations.scheduleMonitoring.descriptor, Operations.runMonitoring.descriptor,
        Operations.approveModel.descriptor, Operations.rejectModel.descriptor, Operations.rollbackModel.descriptor,
        Operations.getDataSource.descriptor, Operations.listDataSources.descriptor, Operations.getExtractionJob.descriptor,
        Operations.traceLineage.descriptor, Operations.getModel.descriptor, Operations.getDatasetVersion.descriptor,
        Operations.getRetrainingRun.descriptor, Operations.getModelPerformance.descriptor, Operations.getMonitoring.descriptor,
        Operations.dataSourceRegistered.descriptor, Operations.dataSourceValidated.descriptor,
        Operations.extractionCompleted.descriptor, Operations.extractionFailed.descriptor,
        Operations.snapshotCreated.descriptor, Operations.trainingCompleted.descriptor,
        Operations.modelEvaluated.descriptor, Operations.modelPromoted.descriptor, Operations.modelRejected.descriptor,
        Operations.modelRolledBack.descriptor,
        Operations.feedbackRecorded.descriptor, Operations.driftDetected.descriptor,
        Operations.retrainingRequested.descriptor, Operations.retrainingCompleted.descriptor,
    ]

    private static let byName: [String: OperationDescriptor] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func descriptor(named name: String) -> OperationDescriptor? { byName[name] }

    /// Validates an envelope against the catalog: known name, matching kind, valid payload.
    public static func validate(_ envelope: Envelope) throws(Problem) -> OperationDescriptor {
        let descriptor = try resolve(envelope)
        try descriptor.validatePayload(envelope.payload)
        return descriptor
    }

    /// Checks the name and kind only. For a worker whose handler decodes (and so validates) the payload anyway
    /// with `Envelope.payload(as:)`: a 5,000-row prediction need not be decoded twice.
    public static func resolve(_ envelope: Envelope) throws(Problem) -> OperationDescriptor {
        guard let descriptor = byName[envelope.name] else { throw Problem.unknownOperation(envelope.name) }
        guard descriptor.kind == envelope.kind else {
            throw Problem.invalidField(pointer: "/kind", detail: "\(envelope.name) is a \(descriptor.kind.rawValue), not a \(envelope.kind.rawValue)")
        }
        return descriptor
    }
}
