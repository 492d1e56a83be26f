internal import CMicroHTTPD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Owns one running `MHD_Daemon` (internal polling thread + one thread per connection, so blocking handlers never
/// stall other connections). The daemon reaches `dispatcher` through an unretained context pointer; this object keeps
/// the dispatcher alive and stops the daemon — which joins every connection thread — before it is released.
///
/// `@unchecked Sendable`: `handle` is immutable until `shutdown()`, which its single owner (`HTTPServer`) calls once,
/// after taking the daemon out of its mutex; MHD itself is safe to stop from any thread.
final class MHDDaemon: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let dispatcher: RequestDispatcher
    /// The port the daemon is bound to.
    let port: UInt16

    /// Per-connection memory pool (headers and the read buffer that carries upload chunks).
    private static let connectionMemoryLimit = 128 << 10

    private init(handle: OpaquePointer, dispatcher: RequestDispatcher, port: UInt16) {
        self.handle = handle
        self.dispatcher = dispatcher
        self.port = port
    }

    deinit { shutdown() }

    /// Binds `host:port` (port 0 picks a free port) and starts serving.
    static func start(
        host: String,
        port: UInt16,
        connectionTimeoutSeconds: Int,
        dispatcher: RequestDispatcher
    ) throws(HTTPServerError) -> MHDDaemon {
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_AUTO.rawValue
        var storage = sockaddr_storage()
        let literal = host == "localhost" ? "127.0.0.1" : host
        let parsed: Bool
        if literal.contains(":") {
            flags |= MHD_USE_IPv6.rawValue
            parsed = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    address.pointee.sin6_family = sa_family_t(AF_INET6)
                    address.pointee.sin6_port = port.bigEndian
                    return inet_pton(AF_INET6, literal, &address.pointee.sin6_addr) == 1
                }
            }
        } else {
            parsed = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    address.pointee.sin_family = sa_family_t(AF_INET)
                    address.pointee.sin_port = port.bigEndian
                    return inet_pton(AF_INET, literal, &address.pointee.sin_addr) == 1
                }
            }
        }
        guard parsed else { throw HTTPServerError(.invalidConfiguration, "Host \(host) is not an IP address.") }

        let context = Unmanaged.passUnretained(dispatcher).toOpaque()
        let started: OpaquePointer? = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                pulse_mhd_start(
                    flags,
                    port,
                    address,
                    { context, connection, url, method, _, uploadData, uploadDataSize, requestContext in
                        guard let context, let connection, let url, let method, let uploadDataSize, let requestContext else {
                            return .NO
                        }
                        return Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue().access(
                            connection: connection,
                            url: String(cString: url),
                            method: String(cString: method),
                            uploadData: uploadData,
                            uploadDataSize: uploadDataSize,
                            requestContext: requestContext
                        )
                    },
                    { _, _, requestContext, _ in
                        // Release the per-request state retained by the first access-handler call.
                        guard let requestContext, let stored = requestContext.pointee else { return }
                        Unmanaged<PendingRequest>.fromOpaque(stored).release()
                        requestContext.pointee = nil
                    },
                    context,
                    connectionMemoryLimit,
                    UInt32(clamping: connectionTimeoutSeconds)
                )
            }
        }
        guard let handle = started else {
            let reason = String(cString: strerror(errno))
            throw HTTPServerError(.bindFailed, "Could not listen on \(host):\(port).", underlying: reason)
        }
        let bound = pulse_mhd_bound_port(handle)
        return MHDDaemon(handle: handle, dispatcher: dispatcher, port: bound == 0 ? port : bound)
    }

    /// Stops accepting, closes every connection and joins their threads. Idempotent.
    func shutdown() {
        guard let handle else { return }
        self.handle = nil
        MHD_stop_daemon(handle)
    }
}
