/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compat/event.c - the libevent 1.4 emulation (event.h, LIBEVENT EMULATION in ev(3)).
 *
 * Plain C on the public ev.h API only: this file is also the first C client of our ABI.
 * Every behaviour below reproduces what libev 4.33's emulation was observed to do (recorded
 * in doc/semantics.md §23, tested by t/libevent_emulation.c), including the places where it
 * differs from real libevent.
 *
 * How an event maps onto libev: struct event holds an io watcher (or, for EV_SIGNAL events,
 * a signal watcher in the same storage) and a timer watcher.  Their callbacks find the
 * struct event again from the watcher's address (the watchers are members of it), so the
 * watchers' `data` members stay untouched: they belong to the user, as in libev.
 *
 * The library is built with -fvisibility=hidden; only the event_* functions declared in
 * event.h are exported (the pragma below), everything else in this file is static.
 */
#include <stddef.h> /* offsetof */
#include "base/internal.h" /* ev_ng_realloc: memory through the user's allocator */

#include "ev.h"

#pragma GCC visibility push(default)
#ifdef EV_EVENT_H
# include EV_EVENT_H
#else
# include "event.h"
#endif
#pragma GCC visibility pop

#define LOOP(base) ((struct ev_loop *)(base))

/* The revents a libevent callback can receive.  libev adds bits libevent has no name for
 * (EV_ERROR, EV_CUSTOM, ...); they are dropped, so a bad fd reports EV_READ|EV_WRITE. */
#define DELIVERED_EVENTS (EV_READ | EV_WRITE | EV_TIMER | EV_SIGNAL)

/* The fd events of an io watcher (EV_PERSIST and EV_ET are libevent-only flags). */
#define IO_EVENTS (EV_READ | EV_WRITE)

/* The base event_set uses: set by event_init, never by event_base_new, and (as in libev)
 * not cleared by event_base_free. */
static struct event_base *current_base;

static ev_tstamp
tv_to_tstamp (const struct timeval *tv)
{
  return (ev_tstamp)tv->tv_sec + (ev_tstamp)tv->tv_usec * 1e-6;
}

static struct event *
event_of_iosig (void *w)
{
  return (struct event *)((char *)w - offsetof (struct event, iosig));
}

static struct event *
event_of_timer (ev_timer *w)
{
  return (struct event *)((char *)w - offsetof (struct event, to));
}

/* Invokes the user's callback.  ev_res is written first, so the callback (and whoever looks
 * afterwards) sees what was delivered. */
static void
deliver (struct event *ev, int revents)
{
  revents &= DELIVERED_EVENTS;
  ev->ev_res = revents;
  ev->ev_callback (ev->ev_fd, (short)revents, ev->ev_arg);
}

/* fd events: a non-persistent event is deleted (its timeout too) before the callback runs,
 * so the callback may add it again.  An error (EV_ERROR: libev has already stopped the
 * watcher, e.g. for a closed fd) deletes even a persistent event, so that ev_flags and
 * event_pending say it is gone. */
static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct event *ev = event_of_iosig (w);
  (void)loop;
  if ((revents & EV_ERROR) || !(ev->ev_events & EV_PERSIST))
    event_del (ev);
  deliver (ev, revents);
}

/* signals: the event stays added whether EV_PERSIST is set or not (libev 4.33 does this);
 * only an error deletes it. */
static void
signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  struct event *ev = event_of_iosig (w);
  (void)loop;
  if (revents & EV_ERROR)
    event_del (ev);
  deliver (ev, revents);
}

/* timeouts: the whole event is deleted, even with EV_PERSIST (libev 4.33 does this). */
static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  struct event *ev = event_of_timer (w);
  (void)loop;
  event_del (ev);
  deliver (ev, revents);
}

/* ---- bases ------------------------------------------------------------------------------- */

const char *
event_get_version (void)
{
#define EVENT_STR_(x) #x
#define EVENT_STR(x) EVENT_STR_ (x)
  return EVENT_STR (EV_VERSION_MAJOR) "." EVENT_STR (EV_VERSION_MINOR);
}

const char *
event_get_method (void)
{
  return "libev";
}

const char *
event_base_get_method (const struct event_base *base)
{
  (void)base;
  return "libev";
}

void *
event_init (void)
{
  /* the first call takes the default loop (so ev_default_loop users share it), later ones
   * get loops of their own */
  current_base = current_base ? event_base_new () : (struct event_base *)ev_default_loop (EVFLAG_AUTO);
  return current_base;
}

struct event_base *
event_base_new (void)
{
  return (struct event_base *)ev_loop_new (EVFLAG_AUTO);
}

void
event_base_free (struct event_base *base)
{
  /* the default loop may still be used through ev.h, so it is never destroyed here */
  if (base && !ev_is_default_loop (LOOP (base)))
    ev_loop_destroy (LOOP (base));
}

/* ---- loops ------------------------------------------------------------------------------- */

int
event_base_loop (struct event_base *base, int flags)
{
  /* EVLOOP_* are EVRUN_* values; ev_run returns how many referenced watchers remain */
  return !ev_run (LOOP (base), flags);
}

int
event_base_dispatch (struct event_base *base)
{
  return event_base_loop (base, 0);
}

int
event_loop (int flags)
{
  return event_base_loop (current_base, flags);
}

int
event_dispatch (void)
{
  return event_loop (0);
}

static void
loopexit_cb (int revents, void *arg)
{
  (void)revents;
  ev_break ((struct ev_loop *)arg, EVBREAK_ONE);
}

int
event_base_loopexit (struct event_base *base, struct timeval *tv)
{
  /* a one-shot timer (not ev_break: a break outside ev_run would be forgotten by the next
   * ev_run); NULL means "in the next iteration" */
  ev_once (LOOP (base), -1, 0, tv ? tv_to_tstamp (tv) : 0., loopexit_cb, base);
  return 0;
}

int
event_loopexit (struct timeval *tv)
{
  return event_base_loopexit (current_base, tv);
}

/* ---- events ------------------------------------------------------------------------------ */

void
event_set (struct event *ev, int fd, short events, void (*cb) (int, short, void *), void *arg)
{
  if (events & EV_SIGNAL)
    ev_init (&ev->iosig.sig, signal_cb);
  else
    ev_init (&ev->iosig.io, io_cb);
  ev_init (&ev->to, timer_cb);

  ev->ev_base = current_base;
  ev->ev_callback = cb;
  ev->ev_arg = arg;
  ev->ev_fd = fd;
  ev->ev_events = events;
  ev->ev_pri = 0;
  ev->ev_res = 0;
  ev->ev_flags = EVLIST_INIT;
}

int
event_base_set (struct event_base *base, struct event *ev)
{
  ev->ev_base = base;
  return 0;
}

int
event_add (struct event *ev, struct timeval *tv)
{
  struct ev_loop *loop = LOOP (ev->ev_base);

  /* an io or signal watcher that is already running is left alone (its parameters cannot
   * change while it is active) */
  if (ev->ev_events & EV_SIGNAL)
    {
      if (!ev_is_active (&ev->iosig.sig))
        {
          ev_signal_set (&ev->iosig.sig, ev->ev_fd);
          ev_signal_start (loop, &ev->iosig.sig);
        }
      ev->ev_flags |= EVLIST_SIGNAL;
    }
  else if (ev->ev_events & IO_EVENTS)
    {
      if (!ev_is_active (&ev->iosig.io))
        {
          ev_io_set (&ev->iosig.io, ev->ev_fd, ev->ev_events & IO_EVENTS);
          ev_io_start (loop, &ev->iosig.io);
        }
      ev->ev_flags |= EVLIST_INSERTED;
    }

  if (tv)
    {
      /* ev_timer_again restarts the timeout from now whether it runs or not; it treats a
       * repeat of 0 as "stop", so a zero timeout becomes the smallest positive one */
      ev_tstamp after = tv_to_tstamp (tv);
      ev->to.repeat = after != 0. ? after : 1e-6;
      ev_timer_again (loop, &ev->to);
      ev->ev_flags |= EVLIST_TIMEOUT;
    }
  else
    {
      /* unlike libevent, adding without a timeout removes an earlier one */
      ev_timer_stop (loop, &ev->to);
      ev->ev_flags &= ~EVLIST_TIMEOUT;
    }

  /* set even when nothing was added (no fd events, no timeout), as libev 4.33 does */
  ev->ev_flags |= EVLIST_ACTIVE;
  return 0;
}

int
event_del (struct event *ev)
{
  struct ev_loop *loop = LOOP (ev->ev_base);

  /* stopping also forgets a pending invocation (from the loop or event_active), except for
   * a timeout that is not running: libev 4.33 only stops a running one */
  if (ev->ev_events & EV_SIGNAL)
    ev_signal_stop (loop, &ev->iosig.sig);
  else if (ev->ev_events & IO_EVENTS)
    ev_io_stop (loop, &ev->iosig.io);

  if (ev_is_active (&ev->to))
    ev_timer_stop (loop, &ev->to);

  ev->ev_flags = EVLIST_INIT;
  return 0;
}

void
event_active (struct event *ev, int res, short ncalls)
{
  struct ev_loop *loop = LOOP (ev->ev_base);
  (void)ncalls; /* ignored: one call per part of res */

  /* each part goes to the watcher whose callback handles it; the timeout part is queued
   * first, so the fd/signal part runs first (libev runs a priority's queue newest first) */
  if (res & EV_TIMEOUT)
    ev_feed_event (loop, &ev->to, res & EV_TIMEOUT);
  if (res & (IO_EVENTS | EV_SIGNAL))
    ev_feed_event (loop, &ev->iosig, res & (IO_EVENTS | EV_SIGNAL));
}

/* A watcher counts while it is started, and also while an invocation waits (an expired
 * timeout, an event_active activation), as in libev 4.33. */
static int
watched_or_due (void *w)
{
  return ev_is_active (w) || ev_is_pending (w);
}

int
event_pending (struct event *ev, short events, struct timeval *tv)
{
  short revents = 0;

  if (ev->ev_events & EV_SIGNAL)
    {
      if (watched_or_due (&ev->iosig.sig))
        revents |= EV_SIGNAL;
    }
  else if (ev->ev_events & IO_EVENTS)
    {
      if (watched_or_due (&ev->iosig.io))
        revents |= ev->ev_events & IO_EVENTS;
    }

  if (watched_or_due (&ev->to))
    {
      revents |= EV_TIMEOUT;
      if (tv)
        {
          /* libev 4.33 reports the loop's current time here, not libevent's expiry time;
           * kept, since programs built against libev see exactly this value */
          ev_tstamp now = ev_now (LOOP (ev->ev_base));
          tv->tv_sec = (time_t)now;
          tv->tv_usec = (__typeof__ (tv->tv_usec))((now - (ev_tstamp)tv->tv_sec) * 1e6);
        }
    }

  return events & revents;
}

/* ---- one-shot events ------------------------------------------------------------------- */

/* What event_base_once's callback needs besides ev_once's (revents, arg). */
struct once_closure
{
  void (*cb) (int, short, void *);
  void *arg;
  int fd;
};

static void
once_cb (int revents, void *arg)
{
  /* freed before the callback runs, so a callback that never returns (longjmp, C++
   * exception) leaks nothing */
  struct once_closure c = *(struct once_closure *)arg;
  ev_ng_realloc (arg, 0);
  c.cb (c.fd, (short)(revents & DELIVERED_EVENTS), c.arg);
}

int
event_base_once (struct event_base *base, int fd, short events, void (*cb) (int, short, void *), void *arg, struct timeval *tv)
{
  struct once_closure *c;

  /* nothing to wait for: the callback could never run (libev 4.33 allocates and leaks
   * here; the result is the same without the leak) */
  if (fd < 0 && !tv)
    return 0;

  /* from the allocator of ev_set_allocator, like all memory of the library (running out
   * of it aborts, as everywhere in libev) */
  c = (struct once_closure *)ev_ng_realloc (NULL, (long)sizeof *c);
  c->cb = cb;
  c->arg = arg;
  c->fd = fd;

  /* As in libev 4.33, fd is watched whenever it is >= 0, with the fd events of `events`
   * only: a signal number or an fd without EV_READ/EV_WRITE is watched for nothing and
   * keeps the loop alive until the timeout (or forever without one). */
  ev_once (LOOP (base), fd, events & IO_EVENTS, tv ? tv_to_tstamp (tv) : -1., once_cb, c);
  return 0;
}

int
event_once (int fd, short events, void (*cb) (int, short, void *), void *arg, struct timeval *tv)
{
  return event_base_once (current_base, fd, events, cb, arg, tv);
}

/* ---- priorities and accessors ---------------------------------------------------------- */

/* libev's emulation has no priorities: the calls succeed and change nothing (ev_pri is only
 * stored, every watcher keeps priority 0). */
int
event_priority_init (int npri)
{
  (void)npri;
  return 0;
}

int
event_base_priority_init (struct event_base *base, int npri)
{
  (void)base;
  (void)npri;
  return 0;
}

int
event_priority_set (struct event *ev, int pri)
{
  ev->ev_pri = pri;
  return 0;
}

event_callback_fn
event_get_callback (const struct event *ev)
{
  return ev->ev_callback;
}
