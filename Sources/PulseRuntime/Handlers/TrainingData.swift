import Foundation
import PulseContracts
import PulseML
import PulseStorage

/// A dataset version turned into a feature matrix and labels, split by time (rows are in cursor order, so the
/// most recent share is the holdout — the honest split when the future drifts).
struct TrainingData {
    let manifest: DatasetManifest
    let columns: [ColumnDescription]
    let spec: FeatureSpec
    let matrix: DenseMatrix
    let labels: [Float]
    let split: (train: Range<Int>, holdout: Range<Int>)
    let droppedMissingLabel: Int
    /// The labelled rows as CSV fields, in cursor order.
    let rows: [[String?]]

    /// Loads a dataset version row for a training request; a version that does not exist is a 404 naming the field.
    static func manifest(datasetId: String, version: Int, tenant: String, on database: PostgresConnection) throws -> DatasetManifest {
        let result = try database.execute(
            "SELECT manifest::text AS manifest FROM dataset_versions WHERE dataset_id = $1 AND version = $2 AND tenant_id = $3",
            [datasetId, String(version), tenant]
        )
        guard let row = result.rows.first else {
            let dataset = try database.execute("SELECT 1 FROM datasets WHERE id = $1 AND tenant_id = $2", [datasetId, tenant])
            if dataset.rows.isEmpty { throw Problem.notFound("dataset \(datasetId)", pointer: "/payload/datasetId") }
            throw Problem.notFound("version \(version) of dataset \(datasetId)", pointer: "/payload/datasetVersion")
        }
        return try JSONColumn.decode(DatasetManifest.self, row["manifest"])
    }

    /// Columns not used as features: the row key, the cursor, the join key and joined columns (unless the request
    /// includes them), and the request's `exclude`; never the label.
    static func excluded(manifest: DatasetManifest, request: StartTraining) -> Set<String> {
        var excluded: Set<String> = [manifest.source.keyColumn, manifest.source.cursorColumn]
        if let join = manifest.source.join {
            excluded.insert(join.key)
            excluded.formUnion(join.columns)
        }
        excluded.subtract(request.include ?? [])
        excluded.formUnion(request.exclude ?? [])
        excluded.remove(request.label)
        return excluded
    }

    /// The row key of every holdout row, in cursor order (empty when the key column is not in the schema).
    var holdoutKeys: [String] {
        guard let index = columns.firstIndex(where: { $0.name == manifest.source.keyColumn }) else {
            return split.holdout.map { _ in "" }
        }
        return rows[split.holdout].map { index < $0.count ? $0[index] ?? "" : "" }
    }

    /// Reads and encodes the rows. With `spec` given (the champion's, or a model's own) it is used as is;
    /// otherwise it is inferred from the training rows.
    static func load(manifest: DatasetManifest, request: StartTraining, spec given: FeatureSpec? = nil, objects: any ObjectStore) throws -> TrainingData {
        let columns = manifest.columns.map { ColumnDescription(name: $0.name, kind: ColumnKind(rawValue: $0.type) ?? .text) }
        guard let labelIndex = columns.firstIndex(where: { $0.name == request.label }) else {
            throw Problem.invalidField(pointer: "/payload/label", detail: "'\(request.label)' is not a column of the dataset (columns: \(columns.map(\.name).joined(separator: ", ")))")
        }
        for (index, column) in (request.include ?? []).enumerated() where !columns.contains(where: { $0.name == column }) {
            throw Problem.invalidField(pointer: "/payload/include/\(index)", detail: "'\(column)' is not a column of the dataset")
        }
        let classification = (request.objective ?? "binary:logistic") == "binary:logistic"
        let timestamps = FeatureSpec.TimestampFeatures(rawValue: request.timestamps ?? "exclude") ?? .exclude
        var rows = try DatasetReader(objects: objects).rows(of: manifest)
        let before = rows.count
        rows.removeAll { $0.count <= labelIndex || $0[labelIndex] == nil }
        let fraction = request.holdoutFraction ?? 0.2
        let split = HoldoutSplit.byOrder(count: rows.count, holdoutFraction: fraction)
        guard split.train.count >= 10, split.holdout.count >= 10 else {
            throw Problem.invalidField(
                pointer: "/payload/datasetVersion",
                detail: "the dataset has \(rows.count) labelled rows; training needs at least 10 for training and 10 for the holdout"
            )
        }
        let spec = try given ?? FeatureSpec.infer(
            columns: columns, label: request.label, exclude: excluded(manifest: manifest, request: request),
            timestamps: timestamps, rows: rows[split.train]
        )
        var matrix = DenseMatrix(columns: spec.features.count)
        var labels: [Float] = []
        labels.reserveCapacity(rows.count)
        let encode = spec.makeRowEncoder(columns: columns)
        for row in rows {
            matrix.append(row: encode(row))
            guard let label = spec.parseLabel(row[labelIndex]), !classification || label == 0 || label == 1 else {
                let expected = classification ? "0/1 or true/false (binary:logistic)" : "a finite number (reg:squarederror)"
                throw Problem.invalidField(pointer: "/payload/label", detail: "a value in column \(request.label) is not a label: expected \(expected)")
            }
            labels.append(label)
        }
        return TrainingData(
            manifest: manifest, columns: columns, spec: spec, matrix: matrix, labels: labels, split: split,
            droppedMissingLabel: before - rows.count, rows: rows
        )
    }

    /// The same rows encoded with another model's feature spec (the champion, scored on the candidate's holdout).
    func holdout(encodedWith other: FeatureSpec) -> DenseMatrix {
        var matrix = DenseMatrix(columns: other.features.count)
        for row in rows[split.holdout] { matrix.append(row: other.encodeCSVRow(row, columns: columns)) }
        return matrix
    }
}
