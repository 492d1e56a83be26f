/// How to reach a PostgreSQL source. `description` hides the password.
public struct PostgresSourceConfiguration: Codable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String
    /// libpq's `sslmode` (disable, prefer, require, verify-full…); nil leaves libpq's default.
    public var sslmode: String?

    public init(host: String, port: Int = 5432, database: String, user: String, password: String, sslmode: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.sslmode = sslmode
    }

    /// A libpq keyword/value connection string; every value is single-quoted with `\` and `'` escaped.
    public func connectionURL() -> String {
        var pairs = [("host", host), ("port", String(port)), ("dbname", database), ("user", user), ("password", password)]
        if let sslmode { pairs.append(("sslmode", sslmode)) }
        return pairs.map { key, value in "\(key)='\(Self.escape(value))'" }.joined(separator: " ")
    }

    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)\(sslmode.map { "?sslmode=\($0)" } ?? "") (password hidden)"
    }

    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            if character == "\\" || character == "'" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
