import Foundation
import PulseContracts
import Synchronization

/// One JSON object per line on stdout: a constant message plus dotted metadata keys
/// (`pulse.stage`, `pulse.message_id`, `pulse.tenant`, `pulse.correlation_id`, …).
public struct Logger: Sendable {
    public enum Level: String, Sendable { case debug, info, warning, error }

    public let label: String
    public var metadata: [String: String]

    public init(label: String, metadata: [String: String] = [:]) {
        self.label = label
        self.metadata = metadata
    }

    public func with(_ extra: [String: String]) -> Logger {
        Logger(label: label, metadata: metadata.merging(extra) { _, new in new })
    }

    public func debug(_ message: String, _ extra: [String: String] = [:]) { log(.debug, message, extra) }
    public func info(_ message: String, _ extra: [String: String] = [:]) { log(.info, message, extra) }
    public func warning(_ message: String, _ extra: [String: String] = [:]) { log(.warning, message, extra) }
    public func error(_ message: String, _ extra: [String: String] = [:]) { log(.error, message, extra) }

    private static let minimumLevel: Level = ProcessInfo.processInfo.environment["PULSE_LOG_LEVEL"].flatMap(Level.init(rawValue:)) ?? .info
    private static let outputLock = Mutex(())

    private func log(_ level: Level, _ message: String, _ extra: [String: String]) {
        guard Self.rank(level) >= Self.rank(Self.minimumLevel) else { return }
        var fields: [String: String] = metadata.merging(extra) { _, new in new }
        fields["ts"] = Timestamp.format(Date())
        fields["level"] = level.rawValue
        fields["logger"] = label
        fields["msg"] = message
        let object = JSONValue.object(fields.mapValues { JSONValue.string($0) })
        var line = CanonicalJSON.data(object)
        line.append(0x0A)
        Self.outputLock.withLock { _ in FileHandle.standardOutput.write(line) }
    }

    private static func rank(_ level: Level) -> Int {
        switch level {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }
}
