internal import CXGBoost

/// Owns one XGBoost `DMatrixHandle`, built from a `DenseMatrix` (XGBoost copies the values).
///
/// Not Sendable: created, used and freed by the thread that trains or predicts.
final class DMatrixHandle {
    let raw: UnsafeMutableRawPointer

    private init(raw: UnsafeMutableRawPointer) {
        self.raw = raw
    }

    /// Copies `matrix` into a new XGBoost matrix; NaN is missing.
    static func make(_ matrix: DenseMatrix, threads: Int) throws -> DMatrixHandle {
        var handle: UnsafeMutableRawPointer?
        let status = matrix.values.withUnsafeBufferPointer { values in
            XGDMatrixCreateFromMat_omp(
                values.baseAddress, UInt64(matrix.rows), UInt64(matrix.columns), Float.nan, &handle, Int32(threads))
        }
        try check(status, "XGDMatrixCreateFromMat_omp")
        guard let handle else { throw MLError(.library, "XGBoost returned no matrix") }
        return DMatrixHandle(raw: handle)
    }

    /// Sets the training labels.
    func setLabels(_ labels: [Float]) throws {
        let status = labels.withUnsafeBufferPointer { buffer in
            XGDMatrixSetFloatInfo(raw, "label", buffer.baseAddress, UInt64(buffer.count))
        }
        try check(status, "XGDMatrixSetFloatInfo")
    }

    deinit {
        XGDMatrixFree(raw)
    }
}
