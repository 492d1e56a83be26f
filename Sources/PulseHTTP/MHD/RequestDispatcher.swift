internal import CMicroHTTPD
import Foundation

/// Turns libmicrohttpd's access-handler calls into `HTTPRequest`s for a `Router`. The daemon reaches it through an
/// unretained context pointer; `MHDDaemon` keeps it alive until the daemon has stopped. Immutable, so Sendable.
final class RequestDispatcher: Sendable {
    private let router: Router
    private let maxBodyBytes: Int
    /// How much of an over-limit chunked body is read and dropped, so its client still gets the 413.
    private static let discardAllowance = 4 << 20

    init(router: Router, maxBodyBytes: Int) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
    }

    /// One access-handler call. The first call for a request only sets up state (or answers at once when the
    /// declared body is too large); calls with data accumulate it; the last call (no data) runs the handler.
    func access(
        connection: OpaquePointer,
        url: String,
        method: String,
        uploadData: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let stored = requestContext.pointee else {
            let pending = PendingRequest()
            requestContext.pointee = Unmanaged.passRetained(pending).toOpaque()
            guard HTTPMethod(rawValue: method) != nil else {
                return queue(.problem(status: 501, title: "Not Implemented", detail: "Method \(method) is not supported."), on: connection)
            }
            if let declared = Self.lookup(connection, .HEADER_KIND, "Content-Length").flatMap(Int.init) {
                // Too large: answer before reading the body; MHD then closes the connection instead of reading it.
                guard declared <= maxBodyBytes else { return queue(tooLarge(), on: connection) }
                pending.body.reserveCapacity(max(0, declared))
            }
            return .YES
        }
        let pending = Unmanaged<PendingRequest>.fromOpaque(stored).takeUnretainedValue()

        let size = uploadDataSize.pointee
        if size > 0 {
            uploadDataSize.pointee = 0
            if pending.isTooLarge || pending.body.count + size > maxBodyBytes {
                // A chunked body with no declared length: MHD cannot answer mid-upload, so drop what comes and
                // answer 413 once the upload ends; a client that keeps sending past the allowance is cut off.
                pending.isTooLarge = true
                pending.body = Data()
                pending.discardedBytes += size
                return pending.discardedBytes > Self.discardAllowance ? .NO : .YES
            }
            if let uploadData {
                pending.body.append(UnsafeRawPointer(uploadData).assumingMemoryBound(to: UInt8.self), count: size)
            }
            return .YES
        }

        if pending.isTooLarge { return queue(tooLarge(), on: connection) }
        guard let httpMethod = HTTPMethod(rawValue: method) else { return .NO }
        let request = HTTPRequest(
            method: httpMethod,
            path: url,
            query: Dictionary(Self.values(connection, .GET_ARGUMENT_KIND), uniquingKeysWith: { _, last in last }),
            headers: Dictionary(Self.values(connection, .HEADER_KIND), uniquingKeysWith: { first, next in first + ", " + next }),
            body: pending.body
        )
        pending.body = Data()
        return queue(router.handle(request), on: connection)
    }

    private func tooLarge() -> HTTPResponse {
        .problem(
            status: 413,
            title: "Content Too Large",
            detail: "The request body is larger than the limit of \(maxBodyBytes) bytes."
        )
    }

    /// Sends `response` (copied into MHD) once the access handler returns.
    private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        let created: OpaquePointer? = response.body.withUnsafeBytes { buffer in
            MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse = created else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers where name.lowercased() != "content-length" {
            // MHD refuses names or values with CR/LF; such a header is dropped rather than failing the response.
            _ = MHD_add_response_header(mhdResponse, name, value)
        }
        let status = (100...599).contains(response.status) ? UInt32(response.status) : 500
        return MHD_queue_response(connection, status, mhdResponse)
    }

    private static func lookup(_ connection: OpaquePointer, _ kind: MHD_ValueKind, _ key: String) -> String? {
        MHD_lookup_connection_value(connection, kind, key).map { String(cString: $0) }
    }

    /// Every key/value of one kind (headers, query arguments), in arrival order; a missing value is "".
    private static func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
        final class Collector { var pairs: [(String, String)] = [] }
        let collector = Collector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(connection, kind, { context, _, key, value in
                guard let context, let key else { return .YES }
                let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
                return .YES
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.pairs
    }
}
