#pragma once
#include <sys/types.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>

/// Starts a daemon bound to `address` (never NULL) with one thread per connection.
/// `MHD_start_daemon` is variadic, so Swift calls this fixed-arity wrapper instead.
/// `context` is passed to both the access handler and the request-completed callback.
static inline struct MHD_Daemon *pulse_mhd_start(unsigned int flags,
                                                 uint16_t port,
                                                 const struct sockaddr *address,
                                                 MHD_AccessHandlerCallback handler,
                                                 MHD_RequestCompletedCallback completed,
                                                 void *context,
                                                 size_t connection_memory_limit,
                                                 unsigned int connection_timeout_seconds) {
    return MHD_start_daemon(flags, port, NULL, NULL, handler, context,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, context,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_END);
}

/// The port the daemon listens on (useful when it was started with port 0); 0 if unknown.
static inline uint16_t pulse_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}
