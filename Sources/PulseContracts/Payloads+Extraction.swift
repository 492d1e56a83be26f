/// `pulse.source.sql.extract.v1`: read an allowlisted view by cursor into the object store.
public struct ExtractSQL: Payload, Equatable {
    /// An optional second allowlisted view joined on a key (typically the labels).
    public struct Join: Codable, Sendable, Equatable {
        public var view: String
        public var key: String
        public var columns: [String]
        public init(view: String, key: String, columns: [String]) {
            self.view = view
            self.key = key
            self.columns = columns
        }
    }

    public var dataSourceId: String
    public var view: String
    public var cursorColumn: String
    public var keyColumn: String
    public var join: Join?
    /// Exclusive lower bound of the cursor (as PostgreSQL prints it); nil = from the start.
    public var after: String?
    /// Inclusive upper bound; nil = everything there is.
    public var upTo: String?
    /// Start after the highest cursor of this datasource+view's last completed extraction.
    public var incremental: Bool?
    /// Rows per object-store part.
    public var chunkRows: Int?

    public init(
        dataSourceId: String, view: String, cursorColumn: String, keyColumn: String, join: Join? = nil,
        after: String? = nil, upTo: String? = nil, incremental: Bool? = nil, chunkRows: Int? = nil
    ) {
        self.dataSourceId = dataSourceId
        self.view = view
        self.cursorColumn = cursorColumn
        self.keyColumn = keyColumn
        self.join = join
        self.after = after
        self.upTo = upTo
        self.incremental = incremental
        self.chunkRows = chunkRows
    }

    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !EntityID.isValid(dataSourceId, .dataSource) {
            errors.append(.init(pointer: pointer + "/dataSourceId", detail: "must be a datasource id (ds_…)"))
        }
        if !SourceIdentifier.isValidObjectName(view) { errors.append(.init(pointer: pointer + "/view", detail: SourceIdentifier.objectRule)) }
        for (field, value) in [("cursorColumn", cursorColumn), ("keyColumn", keyColumn)] where !SourceIdentifier.isValidPart(value) {
            errors.append(.init(pointer: pointer + "/" + field, detail: SourceIdentifier.columnRule))
        }
        if let join {
            if !SourceIdentifier.isValidObjectName(join.view) {
                errors.append(.init(pointer: pointer + "/join/view", detail: SourceIdentifier.objectRule))
            }
            if !SourceIdentifier.isValidPart(join.key) { errors.append(.init(pointer: pointer + "/join/key", detail: SourceIdentifier.columnRule)) }
            if join.columns.isEmpty { errors.append(.init(pointer: pointer + "/join/columns", detail: "must name at least one column")) }
            for (index, column) in join.columns.enumerated() where !SourceIdentifier.isValidPart(column) {
                errors.append(.init(pointer: pointer + "/join/columns/\(index)", detail: SourceIdentifier.columnRule))
            }
        }
        if incremental == true, after != nil {
            errors.append(.init(pointer: pointer + "/after", detail: "must be absent when incremental is true"))
        }
        if let chunkRows, !(1_000...5_000_000).contains(chunkRows) {
            errors.append(.init(pointer: pointer + "/chunkRows", detail: "must be between 1000 and 5000000"))
        }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

public struct ExtractionReference: Payload, Equatable {
    public var extractionId: String
    public init(extractionId: String) { self.extractionId = extractionId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(extractionId, .extraction), pointer + "/extractionId", "must be an extraction id (ext_…)")
    }
}

/// `pulse.dataset.snapshot.create.v1`: freeze the parts of completed extractions as the next dataset version.
public struct CreateSnapshot: Payload, Equatable {
    public var datasetName: String
    public var extractionIds: [String]

    public init(datasetName: String, extractionIds: [String]) {
        self.datasetName = datasetName
        self.extractionIds = extractionIds
    }

    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(datasetName), pointer + "/datasetName", "must be letters, digits and underscores (≤ 63)")
        try require(!extractionIds.isEmpty, pointer + "/extractionIds", "must name at least one extraction")
        for (index, id) in extractionIds.enumerated() {
            try require(EntityID.isValid(id, .extraction), pointer + "/extractionIds/\(index)", "must be an extraction id (ext_…)")
        }
        try require(Set(extractionIds).count == extractionIds.count, pointer + "/extractionIds", "must not repeat an extraction")
    }
}

public struct DatasetVersionReference: Payload, Equatable {
    public var datasetId: String
    public var version: Int
    public init(datasetId: String, version: Int) {
        self.datasetId = datasetId
        self.version = version
    }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(datasetId, .dataset), pointer + "/datasetId", "must be a dataset id (dset_…)")
        try require(version >= 1, pointer + "/version", "must be 1 or more")
    }
}
