import Foundation
internal import CXGBoost

/// A gradient-boosted tree model, trained and evaluated through XGBoost's C API.
///
/// `@unchecked Sendable`: every call on the handle runs under `lock`, so one thread at a time uses it,
/// and XGBoost's per-thread last error is read inside the same critical section.
public final class Booster: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let lock = NSLock()
    /// Threads used to build prediction matrices.
    private let threads: Int

    private init(handle: UnsafeMutableRawPointer, threads: Int) {
        self.handle = handle
        self.threads = threads
    }

    deinit {
        XGBoosterFree(handle)
    }

    /// The linked XGBoost version, such as "1.7.4".
    public static var libraryVersion: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        XGBoostVersion(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Trains a model; the same data and parameters give the same model bytes.
    ///
    /// Runs on the calling thread (blocking).
    /// - Parameters:
    ///   - features: one row per example; NaN is missing.
    ///   - labels: one per row; 0 or 1 for `binary:logistic`.
    ///   - progress: called with the number of finished rounds after each round.
    public static func train(
        features: DenseMatrix,
        labels: [Float],
        parameters: BoosterParameters,
        progress: ((Int) -> Void)? = nil
    ) throws -> Booster {
        let parameters = try parameters.validated()
        guard features.rows > 0, features.columns > 0 else {
            throw MLError(.invalidData, "training needs at least one row and one feature")
        }
        guard labels.count == features.rows else {
            throw MLError(.invalidData, "\(labels.count) labels for \(features.rows) rows", field: "labels")
        }
        guard labels.allSatisfy(\.isFinite) else {
            throw MLError(.invalidData, "labels must be finite numbers", field: "labels")
        }
        if parameters.objective == "binary:logistic", !labels.allSatisfy({ $0 == 0 || $0 == 1 }) {
            throw MLError(.invalidData, "binary:logistic needs labels 0 or 1", field: "labels")
        }

        let matrix = try DMatrixHandle.make(features, threads: parameters.threads)
        try matrix.setLabels(labels)
        let booster = try make(matrices: [matrix], threads: parameters.threads)
        try booster.lock.withLock {
            for (name, value) in parameters.xgboostParameters {
                try check(XGBoosterSetParam(booster.handle, name, value), "XGBoosterSetParam")
            }
            for round in 0..<parameters.rounds {
                try check(XGBoosterUpdateOneIter(booster.handle, Int32(round), matrix.raw), "XGBoosterUpdateOneIter")
                progress?(round + 1)
            }
        }
        return booster
    }

    /// Loads a model saved by `serializedJSON()` (or by any XGBoost ≥ 1.0 as JSON).
    /// - Parameter threads: threads for prediction.
    public static func load(json: Data, threads: Int = 2) throws -> Booster {
        guard !json.isEmpty else { throw MLError(.invalidModel, "the model file is empty") }
        let threads = min(max(threads, 1), 64)
        let booster = try make(matrices: [], threads: threads)
        try booster.lock.withLock {
            let status = json.withUnsafeBytes { bytes in
                XGBoosterLoadModelFromBuffer(booster.handle, bytes.baseAddress, UInt64(bytes.count))
            }
            do {
                try check(status, "XGBoosterLoadModelFromBuffer")
            } catch let error as MLError {
                throw MLError(.invalidModel, "the model file could not be loaded", underlying: error.underlying)
            }
            try check(XGBoosterSetParam(booster.handle, "nthread", String(threads)), "XGBoosterSetParam")
        }
        return booster
    }

    /// Predicts one value per row: probabilities for `binary:logistic`, values for regression.
    public func predict(_ features: DenseMatrix) throws -> [Float] {
        guard features.rows > 0 else { return [] }
        let matrix = try DMatrixHandle.make(features, threads: threads)
        let config = #"{"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false}"#
        return try lock.withLock {
            var shape: UnsafePointer<UInt64>?
            var dimensions: UInt64 = 0
            var result: UnsafePointer<Float>?
            try check(
                XGBoosterPredictFromDMatrix(handle, matrix.raw, config, &shape, &dimensions, &result),
                "XGBoosterPredictFromDMatrix")
            guard let shape, let result else { throw MLError(.library, "XGBoost returned no predictions") }
            let count = (0..<Int(dimensions)).reduce(1) { $0 * Int(shape[$1]) }
            guard count == features.rows else {
                throw MLError(.invalidModel, "the model gives \(count) outputs for \(features.rows) rows")
            }
            // The buffer belongs to XGBoost until the next call: copy it out now.
            return Array(UnsafeBufferPointer(start: result, count: count))
        }
    }

    /// The model in XGBoost's JSON format (`XGBoosterSaveModelToBuffer` with `{"format":"json"}`).
    public func serializedJSON() throws -> Data {
        try lock.withLock {
            var length: UInt64 = 0
            var bytes: UnsafePointer<CChar>?
            try check(
                XGBoosterSaveModelToBuffer(handle, #"{"format":"json"}"#, &length, &bytes), "XGBoosterSaveModelToBuffer")
            guard let bytes else { throw MLError(.library, "XGBoost returned no model bytes") }
            return Data(bytes: bytes, count: Int(length))
        }
    }

    private static func make(matrices: [DMatrixHandle], threads: Int) throws -> Booster {
        var handle: UnsafeMutableRawPointer?
        let raws: [UnsafeMutableRawPointer?] = matrices.map(\.raw)
        let status = raws.withUnsafeBufferPointer { buffer in
            XGBoosterCreate(buffer.baseAddress, UInt64(buffer.count), &handle)
        }
        try check(status, "XGBoosterCreate")
        guard let handle else { throw MLError(.library, "XGBoost returned no booster") }
        return Booster(handle: handle, threads: threads)
    }
}
