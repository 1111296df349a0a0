/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/tcp.h - the two socket helpers the example servers share.
 *
 * Nothing here is libev: these are the plain POSIX steps every event-driven
 * server takes before it can hand a descriptor to an ev_io watcher.
 */
#ifndef EXAMPLES_TCP_H
#define EXAMPLES_TCP_H

/* Puts fd into non-blocking mode.  Returns 0, or -1 with errno set.
 *
 * Why: libev tells you a descriptor *was* ready, not that it still is when
 * your callback runs (another process may have taken the connection, or the
 * kernel may report readiness spuriously).  A blocking read() or accept() at
 * that point would freeze the whole loop; a non-blocking one just fails
 * with EAGAIN and the watcher fires again later.  ev(3) asks for this. */
int tcp_set_nonblocking (int fd);

/* Creates a non-blocking TCP socket listening on 127.0.0.1:port (port 0 asks
 * the kernel for a free, "ephemeral" port).  Stores the port really bound in
 * *bound_port.  Returns the socket, or -1 after printing why to stderr. */
int tcp_listen_loopback (unsigned port, unsigned *bound_port);

/* Parses a port number ("0" .. "65535").  Returns 0, or -1 if arg is not one. */
int tcp_parse_port (const char *arg, unsigned *port);

#endif
