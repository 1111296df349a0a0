/* SPDX-License-Identifier: BSD-2-Clause */
/* libev.h - what the libev workloads share.  They are built against our
 * ev.h; the same binary runs against libev 4.33 or libev-ng. */
#ifndef BENCH_LIBEV_H
#define BENCH_LIBEV_H

#include "ev.h"

/* a new epoll loop (every library in the comparison uses epoll);
 * EVFLAG_NOENV so that LIBEV_FLAGS cannot change the backend; plus the
 * flags in BENCH_LIBEV_FLAGS, if set (bench/README.md) */
struct ev_loop *bench_ev_loop (void);

#endif
