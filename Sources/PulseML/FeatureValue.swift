/// One input value of a feature, as it arrives in a prediction request or a dataset row.
public enum FeatureValue: Sendable, Equatable {
    case number(Double)
    case text(String)
    case bool(Bool)
    case missing
}
