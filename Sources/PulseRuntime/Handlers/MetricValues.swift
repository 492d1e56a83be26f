import Foundation
import PulseContracts

/// The numeric members of a flat metrics object (`count` and `positives` included; rules name the others).
enum MetricValues {
    static func decode(_ text: String?) throws -> [String: Double] {
        guard let text else { throw StageError("a metrics column expected to hold an object is NULL") }
        guard case .object(let members) = try JSONValue.parse(Data(text.utf8)) else {
            throw StageError("a metrics column does not hold a JSON object")
        }
        return members.compactMapValues(\.doubleValue)
    }
}
