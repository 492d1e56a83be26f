import Foundation

/// A tenant's id: lowercase, short, safe in object-store keys and headers.
public enum TenantID {
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

/// Entity ids: a type prefix plus a time-sortable part (milliseconds, 12 hex digits) and a random or derived part.
/// An entity created by a message derives its id from tenant + message id (+ a purpose), so a redelivered
/// message creates nothing new.
public struct EntityID: Sendable, Hashable {
    public enum Prefix: String, Sendable, CaseIterable {
        case dataSource = "ds", extraction = "ext", dataset = "dset", datasetVersion = "dsv", trainingJob = "train",
            model = "model", evaluation = "eval", promotion = "promo", prediction = "pred", feedback = "fb",
            drift = "drift", retraining = "retrain", message = "msg", run = "run"
    }

    /// Derived from a message: the same tenant, message id and purpose always give the same id.
    public static func derived(_ prefix: Prefix, tenant: String, messageId: String, timestamp: String, purpose: String = "") -> String {
        head(prefix, timestamp: timestamp) + derivedPart(prefix, tenant: tenant, messageId: messageId, purpose: purpose)
    }

    /// `count` derived ids whose purposes are "0", "1", … (one per row of a batch): the timestamp is parsed once.
    public static func derivedSeries(_ prefix: Prefix, tenant: String, messageId: String, timestamp: String, count: Int) -> [String] {
        let head = head(prefix, timestamp: timestamp)
        return (0..<count).map { head + derivedPart(prefix, tenant: tenant, messageId: messageId, purpose: String($0)) }
    }

    /// The prefix and the time part of the message's timestamp.
    private static func head(_ prefix: Prefix, timestamp: String) -> String {
        let millis = Timestamp.parse(timestamp).map { UInt64(max(0, $0.timeIntervalSince1970 * 1000)) } ?? 0
        return "\(prefix.rawValue)_\(timePart(millis))"
    }

    private static func derivedPart(_ prefix: Prefix, tenant: String, messageId: String, purpose: String) -> Substring {
        SHA256.hex(of: "\(tenant)\u{1f}\(messageId)\u{1f}\(prefix.rawValue)\u{1f}\(purpose)").prefix(16)
    }

    /// A fresh random id.
    public static func random(_ prefix: Prefix, now: Date = Date()) -> String {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let random = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(prefix.rawValue)_\(timePart(millis))\(random)"
    }

    /// True when `text` looks like an id with this prefix (used to reject garbage before a lookup).
    public static func isValid(_ text: String, _ prefix: Prefix) -> Bool {
        let head = prefix.rawValue.utf8.count + 1
        let bytes = text.utf8
        guard bytes.count == head + 28, text.hasPrefix(prefix.rawValue + "_") else { return false }
        // Bytes, not Characters: feedback requests check tens of thousands of ids.
        return bytes.dropFirst(head).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func timePart(_ millis: UInt64) -> String {
        let hex = String(millis, radix: 16)
        return String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}

public enum MessageID {
    public static func make() -> String { EntityID.random(.message) }

    /// The message id of a request with an idempotency key: derived from the tenant, the key and the request hash,
    /// so every retry of the request carries the same id (a client that lost the first answer can poll
    /// `/operations/{id}`), and a key reused for another request once it expired gets a new one.
    public static func forIdempotentRequest(key: String, tenant: String, requestHash: String) -> String {
        "msg_idem_" + SHA256.hex(of: "\(tenant)\u{1f}\(key)\u{1f}\(requestHash)").prefix(32)
    }
}
