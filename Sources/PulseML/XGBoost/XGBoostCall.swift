internal import CXGBoost

/// Turns an XGBoost C status into an `MLError`.
///
/// XGBoost keeps its last error per thread: this must run on the thread that made the failing call,
/// right after it, which is why every call goes through it inline.
func check(_ status: Int32, _ operation: StaticString, file: String = #fileID, line: Int = #line) throws {
    guard status != 0 else { return }
    let detail = XGBGetLastError().map { String(cString: $0) } ?? "no detail"
    throw MLError(.library, "XGBoost \(operation) failed", underlying: detail, file: file, line: line)
}
