import Dispatch
import Foundation
import Glibc
import Synchronization

/// A loopback TCP forwarder for fault tests: clients connect to `127.0.0.1:port`, bytes flow unchanged to the
/// upstream address. `cut()` makes the upstream look stopped to whoever goes through the proxy (the listener and
/// every live connection are closed, so new connects are refused), `restore()` listens again on the same port.
/// `cutAfterDownstreamBytes(_:)` arms the same cut at a byte position of what clients receive. Other clients of the
/// upstream are not disturbed.
///
/// Plain threads: one accept thread per listening period, two pump threads per connection (one per direction).
/// Sockets are shut down by `cut()` but closed only by the thread that owns them, so a descriptor number is never
/// reused while another thread may still use it.
final class TCPFaultProxy: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String

        /// `what` failed with the current `errno`.
        init(_ what: String, errno code: Int32 = errno) {
            description = "TCPFaultProxy: \(what) failed: \(String(cString: strerror(code)))"
        }
    }

    /// The port clients connect to (loopback only); the same after `restore()`.
    let port: UInt16
    private let upstreamHost: String
    private let upstreamPort: UInt16

    /// One listening period: its socket, and a signal that its accept thread has closed it and returned.
    private final class Listener: Sendable {
        let socket: Int32
        let closed = DispatchSemaphore(value: 0)
        init(socket: Int32) { self.socket = socket }
    }

    /// One forwarded connection; the last of its two pumps to finish closes both sockets.
    private final class Link: Sendable {
        let client: Int32
        let upstream: Int32
        let runningPumps = Atomic(2)
        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }

        func shutDown() {
            Glibc.shutdown(client, Int32(SHUT_RDWR))
            Glibc.shutdown(upstream, Int32(SHUT_RDWR))
        }
    }

    private struct State {
        var listener: Listener?
        var links: [ObjectIdentifier: Link] = [:]
    }

    private let state = Mutex(State())
    private let accepted = Atomic(0)
    private let forwardedDownstream = Atomic(0)
    private let cutCount = Atomic(0)
    /// Bytes still to forward downstream before an armed cut; nil = none armed.
    private let downstreamBudget = Mutex<Int?>(nil)
    /// Bytes per second from the upstream to clients; 0 = as fast as they come.
    private let downstreamLimit = Atomic(0)

    /// Listens on an ephemeral loopback port and forwards to `upstreamHost:upstreamPort` (an IPv4 literal).
    init(upstreamHost: String = "127.0.0.1", upstreamPort: UInt16) throws {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        let socket = try Self.listen(on: 0)
        port = try Self.localPort(of: socket)
        let listener = Listener(socket: socket)
        state.withLock { $0.listener = listener }
        startAccepting(listener)
    }

    /// Connections accepted so far (they prove a client really went through the proxy).
    var acceptedConnections: Int { accepted.load(ordering: .relaxed) }

    /// Connections currently forwarded.
    var liveConnections: Int { state.withLock { $0.links.count } }

    /// Bytes forwarded from the upstream to clients so far (what a client read through the proxy).
    var downstreamBytes: Int { forwardedDownstream.load(ordering: .relaxed) }

    /// How often the proxy was cut while listening (by `cut()` or by an armed cut).
    var cuts: Int { cutCount.load(ordering: .relaxed) }

    /// Arms a cut at a byte position: once `bytes` more bytes have gone downstream the proxy cuts as `cut()` does,
    /// in the middle of a message if that is where the count ends. Unlike a cut from outside, the client has read
    /// exactly those bytes, however far ahead of it the upstream was.
    func cutAfterDownstreamBytes(_ bytes: Int) {
        downstreamBudget.withLock { $0 = max(0, bytes) }
    }

    /// Slows every connection's upstream → client direction to about `bytesPerSecond` (0 lifts the limit), so a
    /// long read (an extraction) is still in progress when a test acts.
    func limitDownstream(bytesPerSecond: Int) {
        downstreamLimit.store(max(0, bytesPerSecond), ordering: .relaxed)
    }

    /// Stops listening and closes every live connection. When it returns, a connect to `port` is refused.
    func cut() {
        // Under the lock: the owners close their sockets under it too, so none is closed (and its number reused) yet.
        let listener = state.withLock { state -> Listener? in
            defer { state.listener = nil }
            if state.listener != nil { cutCount.add(1, ordering: .relaxed) }
            // Wakes the blocked accept(); the accept thread then closes the socket.
            if let listener = state.listener { Glibc.shutdown(listener.socket, Int32(SHUT_RDWR)) }
            state.links.values.forEach { $0.shutDown() }
            return state.listener
        }
        _ = listener?.closed.wait(timeout: .now() + 10)
    }

    /// Listens on `port` again (after `cut()`); a no-op while listening.
    func restore() throws {
        let listener = try state.withLock { state -> Listener? in
            guard state.listener == nil else { return nil }
            state.listener = Listener(socket: try Self.listen(on: port))
            return state.listener
        }
        if let listener { startAccepting(listener) }
    }

    /// Cuts, then waits (bounded) for the pump threads to finish.
    func close() {
        cut()
        let deadline = Date().addingTimeInterval(10)
        while liveConnections > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    // MARK: - Threads

    private func startAccepting(_ listener: Listener) {
        let thread = Thread { [self] in acceptLoop(listener) }
        thread.name = "tcp-fault-proxy-accept"
        thread.start()
    }

    private func acceptLoop(_ listener: Listener) {
        defer {
            Glibc.close(listener.socket)
            listener.closed.signal()
        }
        while true {
            let client = accept(listener.socket, nil, nil)
            guard client >= 0 else {
                let code = errno
                // Only cut() ends this loop (its shutdown makes accept() fail with EINVAL), so the socket is
                // closed after that shutdown, never before.
                if state.withLock({ $0.listener !== listener }) { return }
                if code != EINTR { Thread.sleep(forTimeInterval: 0.01) }
                continue
            }
            accepted.add(1, ordering: .relaxed)
            guard let upstream = try? Self.connect(to: upstreamHost, port: upstreamPort) else {
                Glibc.close(client)  // the client sees the upstream's refusal as a closed connection
                continue
            }
            let link = Link(client: client, upstream: upstream)
            let live = state.withLock { state -> Bool in
                // cut() may have run since accept() returned: then this connection must not live on.
                guard state.listener === listener else { return false }
                state.links[ObjectIdentifier(link)] = link
                return true
            }
            guard live else {
                Glibc.close(client)
                Glibc.close(upstream)
                continue
            }
            startPump(link, from: client, to: upstream, downstream: false, name: "tcp-fault-proxy-up")
            startPump(link, from: upstream, to: client, downstream: true, name: "tcp-fault-proxy-down")
        }
    }

    private func startPump(_ link: Link, from source: Int32, to destination: Int32, downstream: Bool, name: String) {
        let thread = Thread { [self] in
            pump(from: source, to: destination, downstream: downstream)
            // The second pump to finish owns the close.
            if link.runningPumps.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                state.withLock { state in
                    state.links[ObjectIdentifier(link)] = nil
                    Glibc.close(link.client)
                    Glibc.close(link.upstream)
                }
            }
        }
        thread.name = name
        thread.start()
    }

    /// Copies bytes until the source ends or fails; passes the end on as a half-close, a failure as a full one.
    /// Downstream, an armed cut limits what is forwarded and then cuts.
    private func pump(from source: Int32, to destination: Int32, downstream: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let limit = downstream ? downstreamLimit.load(ordering: .relaxed) : 0
            // Under a limit, small reads paced by sleeping: about `limit` bytes a second get through.
            let size = limit > 0 ? min(buffer.count, max(1, limit / 20)) : buffer.count
            let received = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, size, 0) }
            if received > 0, limit > 0 { Thread.sleep(forTimeInterval: Double(received) / Double(limit)) }
            if received < 0, errno == EINTR { continue }
            guard received > 0 else {
                Glibc.shutdown(destination, Int32(received == 0 ? SHUT_WR : SHUT_RDWR))
                if received < 0 { Glibc.shutdown(source, Int32(SHUT_RDWR)) }
                return
            }
            var allowed = received
            var cutAfterwards = false
            if downstream {
                downstreamBudget.withLock { budget in
                    guard let left = budget else { return }
                    if received >= left {
                        allowed = left
                        budget = nil
                        cutAfterwards = true
                    } else {
                        budget = left - received
                    }
                }
            }
            guard Self.forward(buffer, count: allowed, from: source, to: destination) else { return }
            if downstream { forwardedDownstream.add(allowed, ordering: .relaxed) }
            if cutAfterwards {
                cut()
                return
            }
        }
    }

    /// Sends the first `count` bytes of `buffer`; false (both sockets shut down) when the destination failed.
    private static func forward(_ buffer: [UInt8], count: Int, from source: Int32, to destination: Int32) -> Bool {
        var offset = 0
        while offset < count {
            let sent = buffer.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE for the test process.
                return send(destination, base + offset, count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else {
                Glibc.shutdown(source, Int32(SHUT_RDWR))
                Glibc.shutdown(destination, Int32(SHUT_RDWR))
                return false
            }
            offset += sent
        }
        return true
    }

    // MARK: - Sockets

    private static func listen(on port: UInt16) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket") }
        // Connections the proxy closed linger in TIME_WAIT on this port; they must not block restore().
        var one: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = try Self.address("127.0.0.1", port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(socket, 64) == 0 else {
            let failure = Failure("listening on 127.0.0.1:\(port)")
            Glibc.close(socket)
            throw failure
        }
        return socket
    }

    private static func connect(to host: String, port: UInt16) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket") }
        var address = try Self.address(host, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let failure = Failure("connecting to \(host):\(port)")
            Glibc.close(socket)
            throw failure
        }
        return socket
    }

    private static func address(_ host: String, port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw Failure("parsing the IPv4 address '\(host)'", errno: EINVAL)
        }
        return address
    }

    private static func localPort(of socket: Int32) throws -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard found == 0 else {
            let failure = Failure("getsockname")
            Glibc.close(socket)
            throw failure
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
