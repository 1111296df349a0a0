/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo.h - the TCP echo workload, shared by every library.
 *
 * The benchmark program is the server: it listens on 127.0.0.1 (ephemeral
 * port) and starts bench/echo-client (a separate raw-epoll process) that opens
 * C connections (arg c) and keeps one message of 64 bytes in flight on each,
 * `messages`/C times per connection, then closes them.  The server echoes
 * what it reads.  Timed from the first readable connection after all C
 * connections were accepted until the last one closed, per echoed message
 * (1e9 / value = messages per second).  (Not from the last accept: most
 * libraries register the connections accepted in one callback at the start
 * of the next iteration, so the region would hold as many registrations
 * as the last batch of accepts happened to have, which made callgrind's
 * echo/C=1000 move by 15% between runs.)  The client is stopped by its pid (SIGKILL) if the run exceeds its
 * time bound, and its exit status is checked.
 */
#ifndef BENCH_ECHO_H
#define BENCH_ECHO_H

#include "harness.h"

#include <sys/types.h>

#define ECHO_MSG_SIZE 64

struct echo_server
{
  int lfd, port, conns;
  long per_conn;
  pid_t client;
  long accepted, open;
  double echoed_bytes; /* while measuring */
  int measuring;      /* 1 in the region, 2 after it */
  struct region region;
  char label[32];
};

/* listener, client process, time bound; lfd is ready to be watched */
void echo_start (struct echo_server *s);
/* accept4 one pending connection (non-blocking), or -1 when none is left;
 * counts it with echo_accepted */
int echo_accept (struct echo_server *s);
/* a connection was accepted (by echo_accept or by the library itself) */
void echo_accepted (struct echo_server *s);
/* a connection is readable (called before its data is read): the first
 * call after the last connection was accepted begins the measured region */
static inline void
echo_readable (struct echo_server *s)
{
  if (!s->measuring && s->accepted == s->conns)
    {
      region_begin (&s->region, s->label);
      s->measuring = 1;
    }
}
/* a connection was closed; returns 1 when it was the last one (the region
 * has ended and the caller leaves its loop) */
int echo_closed (struct echo_server *s);
/* bytes echoed on a connection */
static inline void
echo_count (struct echo_server *s, long bytes)
{
  if (s->measuring == 1)
    s->echoed_bytes += (double)bytes;
}
/* read what is there and write it back (echo_readable first): 0 on
 * success, 1 when the peer closed (EOF or reset); the caller stops its
 * watcher and closes fd */
int echo_fd (struct echo_server *s, int fd);
/* waits for the client, checks its exit status, closes the listener unless
 * the library took it over (lfd set to -1) */
void echo_finish (struct echo_server *s);

#endif
