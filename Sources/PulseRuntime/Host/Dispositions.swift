import PulseConnectors
import PulseContracts
import PulseCore
import PulseML
import PulseMessaging
import PulseStorage

/// Maps any error to how the worker host treats it; each module's error already knows its own disposition.
enum Dispositions {
    static func of(_ error: any Error) -> FailureDisposition {
        switch error {
        case let error as any DispositionProviding: return error.failureDisposition
        case let error as StorageError: return FailureDisposition(rawValue: error.disposition.rawValue) ?? .deadLetter
        case let error as ConnectorError: return FailureDisposition(rawValue: error.disposition.rawValue) ?? .deadLetter
        case let error as MessagingError: return FailureDisposition(rawValue: error.disposition.rawValue) ?? .retry
        case let error as MLError: return FailureDisposition(rawValue: error.disposition.rawValue) ?? .deadLetter
        case is Problem: return .deadLetter
        default: return .deadLetter
        }
    }
}

/// A failure inside a stage that is neither bad input nor a library error (missing object, broken invariant).
public struct StageError: Error, CustomStringConvertible, DispositionProviding {
    public let message: String
    public let failureDisposition: FailureDisposition

    public init(_ message: String, disposition: FailureDisposition = .deadLetter) {
        self.message = message
        failureDisposition = disposition
    }

    public var description: String { message }
}
