#pragma once
#include <amqp.h>
#include <amqp_tcp_socket.h>

// amqp_login is variadic, which Swift cannot call: fixed-parameter wrappers for SASL PLAIN.
static inline amqp_rpc_reply_t pulse_amqp_login_plain(amqp_connection_state_t conn, const char *vhost,
                                                      int channel_max, int frame_max, int heartbeat,
                                                      const char *user, const char *password) {
    return amqp_login(conn, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

// Same as pulse_amqp_login_plain, with client properties (e.g. connection_name shown by the management UI).
static inline amqp_rpc_reply_t pulse_amqp_login_plain_with_properties(amqp_connection_state_t conn, const char *vhost,
                                                                      int channel_max, int frame_max, int heartbeat,
                                                                      const amqp_table_t *properties,
                                                                      const char *user, const char *password) {
    return amqp_login_with_properties(conn, vhost, channel_max, frame_max, heartbeat, properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}
