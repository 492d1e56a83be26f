/// Where a model version stands in the registry. At most one `production` per model name. A production model
/// that was replaced by a promotion is `archived` (a rollback may bring it back); one taken out by a rollback is
/// `rolled-back` (a later rollback skips it).
public enum ModelStage: String, Codable, Sendable {
    case candidate, production, archived, rejected
    case rolledBack = "rolled-back"
}

public enum JobStatus: String, Codable, Sendable {
    case running, completed, failed
}
