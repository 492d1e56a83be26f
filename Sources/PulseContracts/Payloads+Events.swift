public struct DataSourceEvent: Payload, Equatable {
    public var dataSourceId: String
    public var status: String
    public init(dataSourceId: String, status: String) {
        self.dataSourceId = dataSourceId
        self.status = status
    }
}

public struct ExtractionEvent: Payload, Equatable {
    public var extractionId: String
    public var dataSourceId: String
    public var status: String
    public var rowCount: Int?
    public var cursorMin: String?
    public var cursorMax: String?
    public var reason: String?
    /// Set when the extraction belongs to a retraining run, so the next stage continues it.
    public var runId: String?
    public init(
        extractionId: String, dataSourceId: String, status: String, rowCount: Int? = nil, cursorMin: String? = nil,
        cursorMax: String? = nil, reason: String? = nil, runId: String? = nil
    ) {
        self.extractionId = extractionId
        self.dataSourceId = dataSourceId
        self.status = status
        self.rowCount = rowCount
        self.cursorMin = cursorMin
        self.cursorMax = cursorMax
        self.reason = reason
        self.runId = runId
    }
}

public struct SnapshotEvent: Payload, Equatable {
    public var datasetId: String
    public var datasetVersion: Int
    public var contentHash: String
    public var rowCount: Int
    public var runId: String?
    public init(datasetId: String, datasetVersion: Int, contentHash: String, rowCount: Int, runId: String? = nil) {
        self.datasetId = datasetId
        self.datasetVersion = datasetVersion
        self.contentHash = contentHash
        self.rowCount = rowCount
        self.runId = runId
    }
}

public struct ModelEvent: Payload, Equatable {
    public var modelId: String
    public var modelName: String
    public var reason: String?
    public var runId: String?
    public init(modelId: String, modelName: String, reason: String? = nil, runId: String? = nil) {
        self.modelId = modelId
        self.modelName = modelName
        self.reason = reason
        self.runId = runId
    }
}

public struct FeedbackEvent: Payload, Equatable {
    public var recorded: Int
    public var duplicates: Int
    public init(recorded: Int, duplicates: Int) {
        self.recorded = recorded
        self.duplicates = duplicates
    }
}

public struct DriftEvent: Payload, Equatable {
    public var reportId: String
    public var modelName: String
    /// The largest feature PSI.
    public var maxPsi: Double
    /// The report's verdict (features and the prediction) and the prediction's own PSI: outputs can drift while
    /// every input stays stable.
    public var verdict: String?
    public var predictionPsi: Double?
    public init(reportId: String, modelName: String, maxPsi: Double, verdict: String? = nil, predictionPsi: Double? = nil) {
        self.reportId = reportId
        self.modelName = modelName
        self.maxPsi = maxPsi
        self.verdict = verdict
        self.predictionPsi = predictionPsi
    }
}

public struct RetrainingEvent: Payload, Equatable {
    public var runId: String
    public var modelName: String
    public var status: String
    public var extract: ExtractSQL?
    public var reason: String?
    public init(runId: String, modelName: String, status: String, extract: ExtractSQL? = nil, reason: String? = nil) {
        self.runId = runId
        self.modelName = modelName
        self.status = status
        self.extract = extract
        self.reason = reason
    }
}
