import Foundation

/// Upload state of one request, kept in MHD's per-request pointer: created (retained) on the first access-handler
/// call, released by the request-completed callback. Not Sendable: MHD calls one request's callbacks on that
/// connection's own thread, one at a time.
final class PendingRequest {
    /// The body received so far.
    var body = Data()
    /// Set once the body passed the limit; later chunks are discarded, not buffered.
    var isTooLarge = false
    /// Bytes dropped since the body passed the limit.
    var discardedBytes = 0
}
