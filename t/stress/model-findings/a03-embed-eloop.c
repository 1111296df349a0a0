/* SPDX-License-Identifier: BSD-2-Clause */
/* libev 4.33 aborts, libev-ng does not (t/stress/model.c only embeds a loop into one of a
 * lower index): loop A embeds B, the embed watcher is stopped (A's epoll set keeps B's fd
 * until A runs again), then B embeds A and runs: epoll_ctl says ELOOP.
 *   libev 4.33:  ev_epoll.c:134: epoll_modify: Assertion `("libev: I/O watcher with invalid
 *                fd found in epoll_ctl", errno != EBADF && errno != ELOOP && errno != EINVAL)'
 *                failed.
 * Status: libev aborts
 * Expect: ok */
#include <ev.h>
#include <stdio.h>

int
main (void)
{
  struct ev_loop *a = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  struct ev_loop *b = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_embed ab, ba;
  ev_embed_init (&ab, 0, b);
  ev_embed_start (a, &ab);
  ev_run (a, EVRUN_NOWAIT);
  ev_embed_stop (a, &ab);
  ev_embed_init (&ba, 0, a);
  ev_embed_start (b, &ba);
  ev_run (b, EVRUN_NOWAIT);
  printf ("ok\n");
  return 0;
}
