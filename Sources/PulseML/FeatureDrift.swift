/// How far one feature (or the prediction) has moved from its reference distribution.
public struct FeatureDrift: Codable, Sendable, Equatable {
    enum CodingKeys: String, CodingKey {
        case name, psi, ks, ksExact, jensenShannon, windowCount, verdict
    }

    public let name: String
    /// Population stability index over the reference bins (missing values are one more bin).
    public let psi: Double
    /// Two-sample KS statistic sup |F_reference − F_window| (scipy.stats.ks_2samp's statistic); numeric
    /// features and the prediction only. Exact when the reference kept its distinct values (`ksExact`),
    /// otherwise against the reference's 101-point quantile sketch (within 0.02 of the exact value).
    public let ks: Double?
    /// Whether `ks` is the exact two-sample statistic (false: from the quantile sketch).
    public let ksExact: Bool?
    /// Jensen–Shannon divergence, base 2 (0…1; scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2);
    /// categorical features only.
    public let jensenShannon: Double?
    /// Rows of the window that have a value for this feature.
    public let windowCount: Int
    /// From the PSI: "stable" (< 0.1), "moderate" (0.1 to < 0.25) or "significant" (≥ 0.25).
    public let verdict: DriftVerdict

    public init(
        name: String, psi: Double, ks: Double? = nil, ksExact: Bool? = nil, jensenShannon: Double? = nil, windowCount: Int = 0
    ) {
        self.name = name
        self.psi = psi
        self.ks = ks
        self.ksExact = ksExact
        self.jensenShannon = jensenShannon
        self.windowCount = windowCount
        self.verdict = DriftVerdict(psi: psi)
    }
}

extension FeatureDrift {
    /// The verdict is derived from the PSI, so entries recorded before it existed (with `level`) decode too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name), psi: try container.decode(Double.self, forKey: .psi),
            ks: try container.decodeIfPresent(Double.self, forKey: .ks), ksExact: try container.decodeIfPresent(Bool.self, forKey: .ksExact),
            jensenShannon: try container.decodeIfPresent(Double.self, forKey: .jensenShannon),
            windowCount: try container.decodeIfPresent(Int.self, forKey: .windowCount) ?? 0)
    }
}
