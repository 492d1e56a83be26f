/// How a worker treats a failure: try again later through the retry tiers, park the message in the dead-letter
/// queue with its reason, or stop the process (configuration or programming error).
public enum FailureDisposition: String, Sendable {
    case retry, deadLetter, fatal
}

/// Errors that know how they should be treated (after swift-kafka-client's `isRetriable`).
public protocol DispositionProviding: Error {
    var failureDisposition: FailureDisposition { get }
}
