/// The verdict on a feature, the prediction or a whole window.
///
/// Feature verdicts follow the PSI convention (Siddiqi, *Credit Risk Scorecards*, and what Evidently and most
/// monitoring tools use): below 0.1 stable, 0.1 up to 0.25 moderate, 0.25 and above significant. A window
/// with fewer rows than the minimum gets no verdict on its statistics at all: `insufficientData`.
public enum DriftVerdict: String, Codable, Sendable, Equatable, Comparable {
    case insufficientData = "insufficient-data"
    case stable
    case moderate
    case significant

    /// PSI from which a shift is "moderate".
    public static let moderatePSI = 0.1
    /// PSI from which a shift is "significant".
    public static let significantPSI = 0.25

    public init(psi: Double) {
        self = psi >= Self.significantPSI ? .significant : psi >= Self.moderatePSI ? .moderate : .stable
    }

    /// Order of severity, `insufficientData` lowest: the overall verdict is the most severe one.
    private var rank: Int {
        switch self {
        case .insufficientData: 0
        case .stable: 1
        case .moderate: 2
        case .significant: 3
        }
    }

    public static func < (lhs: DriftVerdict, rhs: DriftVerdict) -> Bool { lhs.rank < rhs.rank }
}
