/// What a worker answers to a request that carried `reply_to` (and what the inbox keeps for duplicates):
/// an HTTP-like status with either a result body or a problem.
public struct Reply: Codable, Sendable, Equatable {
    public var status: Int
    public var body: JSONValue?
    public var problem: Problem?

    public init(status: Int = 200, body: JSONValue) {
        self.status = status
        self.body = body
        self.problem = nil
    }

    public init(problem: Problem) {
        self.status = problem.status
        self.body = nil
        self.problem = problem
    }
}
