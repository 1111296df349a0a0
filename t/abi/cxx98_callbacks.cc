/* SPDX-License-Identifier: BSD-2-Clause */
/* t/abi/cxx98_callbacks.cc - a C++98 program that hands plain functions (no exception
 * specification) to the four places ev.h declares a callback pointer with EV_NOEXCEPT:
 * ev_set_allocator, ev_set_syserr_cb, ev_set_loop_release_cb and a periodic's
 * reschedule_cb.  libev 4.33's ev.h compiles it (its EV_NOEXCEPT is empty before C++11);
 * t/abi/cxx98_callbacks.sh checks that ours does too, with every C++98 compiler here.
 * Compiled only (-fsyntax-only), never run. */
#include "ev.h"
#include <stdlib.h>

static void *
plain_alloc (void *p, long n)
{
  return realloc (p, (size_t)n);
}

static void
plain_syserr (const char *msg)
{
  (void)msg;
}

static ev_tstamp
plain_reschedule (ev_periodic *w, ev_tstamp now)
{
  (void)w;
  return now + 1.;
}

static void
plain_release (struct ev_loop *loop)
{
  (void)loop;
}

static void
plain_acquire (struct ev_loop *loop)
{
  (void)loop;
}

int
main ()
{
  ev_set_allocator (plain_alloc);
  ev_set_syserr_cb (plain_syserr);
  struct ev_loop *loop = ev_default_loop (0);
  ev_set_loop_release_cb (loop, plain_release, plain_acquire);
  ev_periodic p;
  ev_periodic_init (&p, 0, 0., 0., plain_reschedule);
  p.reschedule_cb = plain_reschedule;
  return 0;
}
