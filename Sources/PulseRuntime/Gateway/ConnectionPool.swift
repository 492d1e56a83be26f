import Dispatch
import Foundation
import PulseStorage
import Synchronization

/// A small pool of PostgreSQL connections for threads that each need one for a short while (the gateway's
/// HTTP handlers). Connections are created on demand up to `maximumConnections`; a caller beyond that waits
/// up to `acquireTimeoutSeconds`. A connection whose use failed with a connection-level error is dropped.
public final class ConnectionPool: Sendable {
    public struct Configuration: Sendable {
        public var url: String
        public var applicationName: String = "pulse"
        public var maximumConnections: Int = 8
        public var acquireTimeoutSeconds: Double = 30

        public init(url: String, applicationName: String = "pulse", maximumConnections: Int = 8, acquireTimeoutSeconds: Double = 30) {
            self.url = url
            self.applicationName = applicationName
            self.maximumConnections = max(1, maximumConnections)
            self.acquireTimeoutSeconds = acquireTimeoutSeconds
        }
    }

    private struct State: ~Copyable {
        var idle: [PostgresConnection] = []
        var closed = false
    }

    public let configuration: Configuration
    /// One permit per connection that may exist; a holder of a permit owns one connection (idle or new).
    private let permits: DispatchSemaphore
    private let state = Mutex(State())

    public init(configuration: Configuration) {
        self.configuration = configuration
        permits = DispatchSemaphore(value: configuration.maximumConnections)
    }

    /// Lends a connection to `body` on the calling thread (the connection is used by this thread only until
    /// `body` returns). Throws `StorageError.connectionFailed` when no connection can be had in time.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard permits.wait(timeout: .now() + configuration.acquireTimeoutSeconds) == .success else {
            throw StorageError(.connectionFailed, "no database connection became free within \(configuration.acquireTimeoutSeconds)s")
        }
        defer { permits.signal() }
        let pooled: PostgresConnection? = try state.withLock { state in
            if state.closed { throw StorageError(.connectionFailed, "the connection pool is closed") }
            return state.idle.popLast()
        }
        let connection = try pooled ?? PostgresConnection.connect(url: configuration.url, applicationName: configuration.applicationName)
        do {
            let result = try body(connection)
            giveBack(connection)
            return result
        } catch {
            if Self.isBroken(error) { connection.close() } else { giveBack(connection) }
            throw error
        }
    }

    /// Closes idle connections and refuses new loans; connections on loan are closed when returned.
    public func close() {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func giveBack(_ connection: PostgresConnection) {
        let keep = state.withLock { state in
            guard !state.closed else { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }

    /// Errors after which the connection must not be reused: the link broke or the server ended the session.
    private static func isBroken(_ error: any Error) -> Bool {
        guard let error = error as? StorageError else { return false }
        if error.code == .connectionFailed { return true }
        guard let state = error.sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}
