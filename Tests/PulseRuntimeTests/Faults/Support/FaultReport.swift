import Foundation
import Synchronization

/// The closing figures: one line per scenario, printed and appended to `PULSE_FAULT_REPORT` (ops/test.sh prints
/// that file at the end), or to a file in the temporary directory when it is not set.
enum FaultReport {
    private static let lock = Mutex(())

    /// `faults` says what was done; `recovery` how long the system took to come back after each fault.
    static func record(_ scenario: String, _ figures: FaultFigures, faults: String, recovery: String) {
        let line = "\(scenario.padding(toLength: 22, withPad: " ", startingAt: 0)) \(figures) | \(faults) | recovery: \(recovery)"
        print("fault report: \(line)")
        let path = FaultEnvironment.reportPath
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("pulse-fault-report.txt").path
        lock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            handle.write(Data((line + "\n").utf8))
        }
    }

    /// "0.42 s"
    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }

    /// "n=20 median 0.61 s, max 1.90 s" over several recoveries.
    static func summary(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "n/a" }
        let sorted = values.sorted()
        return "n=\(sorted.count) median \(seconds(sorted[sorted.count / 2])), max \(seconds(sorted[sorted.count - 1]))"
    }
}
