/* SPDX-License-Identifier: BSD-2-Clause */
/* libuv.h - what the libuv workloads share.  Descriptor workloads (pipes,
 * ping-pong, loop) use uv_poll_t, which makes the same read/write calls as
 * the other libraries; the TCP echo server uses libuv's own streams. */
#ifndef BENCH_LIBUV_H
#define BENCH_LIBUV_H

#include <uv.h>

/* uv_loop_init, checked */
void bench_uv_loop (uv_loop_t *loop);
/* close every handle still open, run the close callbacks, uv_loop_close;
 * dies if the loop cannot be closed (a leaked handle) */
void bench_uv_loop_close (uv_loop_t *loop);

#define UVCHECK(call) do { int uvcheck_rc_ = (call); if (uvcheck_rc_ < 0) die ("%s: %s", #call, uv_strerror (uvcheck_rc_)); } while (0)

#endif
