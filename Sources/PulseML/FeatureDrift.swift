/// How far one feature (or the prediction) has moved from its reference distribution.
public struct FeatureDrift: Codable, Sendable, Equatable {
    public let name: String
    /// Population stability index over the reference bins (missing values are one more bin).
    public let psi: Double
    /// Two-sample KS statistic against the reference's percentile sketch (accurate to about 0.01);
    /// numeric features and the prediction only.
    public let ks: Double?
    /// Jensen–Shannon divergence, base 2 (0…1); categorical features only.
    public let jensenShannon: Double?
    /// "none", "moderate" (PSI ≥ 0.1) or "significant" (PSI ≥ 0.25).
    public let level: String

    public init(name: String, psi: Double, ks: Double?, jensenShannon: Double?, level: String? = nil) {
        self.name = name
        self.psi = psi
        self.ks = ks
        self.jensenShannon = jensenShannon
        self.level = level ?? Self.level(psi: psi)
    }

    /// The level for a PSI: "significant" from 0.25, "moderate" from 0.1, else "none".
    public static func level(psi: Double) -> String {
        psi >= 0.25 ? "significant" : psi >= 0.1 ? "moderate" : "none"
    }
}
