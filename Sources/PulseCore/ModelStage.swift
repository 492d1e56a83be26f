/// Where a model version stands in the registry. At most one `production` per model name.
public enum ModelStage: String, Codable, Sendable {
    case candidate, production, archived, rejected
}

public enum JobStatus: String, Codable, Sendable {
    case running, completed, failed
}
