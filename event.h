/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event.h - the libevent 1.4 API, emulated on top of libev-ng (LIBEVENT EMULATION in ev(3)).
 *
 * Programs written for libevent 1.4 (event_set, event_add, event_dispatch, ...) compile
 * against this header and link with libev (-lev) instead of libevent.  Like libev 4.33's
 * emulation it is source compatible with libevent 1.4, not binary compatible: struct event
 * below is libev's layout (a libev watcher pair), not libevent's.
 *
 * What is supported (as in libev 4.33):
 *   - the members ev_base, ev_callback, ev_arg, ev_fd, ev_res and ev_events;
 *   - ev_flags and the EVLIST_* bits are maintained, but not exactly as libevent does:
 *     treat them as private (event_initialized() is the one reliable use);
 *   - priorities are accepted and ignored: every event runs at the same priority;
 *   - the event base that registered a signal receives it (in libevent: the newest base).
 * Differences from libevent worth knowing (they are libev's, kept for drop-in use):
 *   - event_add (ev, NULL) on an event with a timeout removes the timeout;
 *   - an expired timeout deletes the whole event, EV_PERSIST or not;
 *   - a signal event stays added after it fires, EV_PERSIST or not;
 *   - an fd or signal error (libev's EV_ERROR) deletes the event, EV_PERSIST or not;
 *   - event_active splits res: the EV_TIMEOUT part and the fd/signal part are two calls;
 *   - event_pending() stores the base's current time (ev_now) in *tv, not the expiry time;
 *   - the loop functions return 1 when no event is left, else 0 (also after loopexit).
 *
 * Plain C (gnu89 ... c11) and C++ (C++98 ... C++20).  EV_H may name another ev.h to include
 * (ev(3), PREPROCESSOR SYMBOLS/MACROS).
 */
#ifndef EVENT_H_
#define EVENT_H_

#ifdef EV_H
# include EV_H
#else
# include "ev.h"
#endif

/* struct timeval: MSVC has no <sys/time.h>, Winsock declares it there */
#if defined _WIN32 && !defined __MINGW32__
# include <winsock2.h>
#else
# include <sys/time.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The base an event belongs to.  Opaque: it is really a struct ev_loop. */
struct event_base;

/* What an event calls: (fd or signal number, what happened, the ev_arg given to event_set). */
typedef void (*event_callback_fn) (int, short, void *);

/* libevent's log hook type (see event_set_log_callback). */
typedef void (*event_log_cb) (int severity, const char *msg);

/* Event bits.  libevent's names keep libev's values: EV_READ, EV_WRITE and EV_SIGNAL are
 * ev.h's enumerators (the first two also defined to themselves here, as libev 4.33 does, so
 * that "#ifdef EV_READ" works as with libevent); EV_TIMEOUT is libev's EV_TIMER. */
#define EV_READ    EV_READ
#define EV_WRITE   EV_WRITE
#define EV_TIMEOUT EV_TIMER
#define EV_PERSIST 0x10 /* stay added after an io event fired (ignored for timeouts) */
#define EV_ET      0x20 /* edge triggered: accepted and ignored */

/* ev_flags bits (see the caveat above). */
#define EVLIST_TIMEOUT  0x01 /* a timeout was added */
#define EVLIST_INSERTED 0x02 /* an io event was added */
#define EVLIST_SIGNAL   0x04 /* a signal event was added */
#define EVLIST_ACTIVE   0x08 /* event_add was called (even if it added nothing) */
#define EVLIST_INTERNAL 0x10 /* unused by the emulation */
#define EVLIST_INIT     0x80 /* event_set has been called */

/* event_loop / event_base_loop flags: libev's ev_run flags */
#define EVLOOP_ONCE     EVRUN_ONCE   /* block until something happens, run it, return */
#ifndef EVLOOP_NONBLOCK
# define EVLOOP_NONBLOCK EVRUN_NOWAIT /* run what is ready, never block */
#endif
#ifndef EVLOOP_ONESHOT
# define EVLOOP_ONESHOT  EVRUN_ONCE
#endif

/* severities of libevent's log callback */
#define _EVENT_LOG_DEBUG 0
#define _EVENT_LOG_MSG   1
#define _EVENT_LOG_WARN  2
#define _EVENT_LOG_ERR   3

/* One libevent event: an io or signal watcher, a timeout watcher, and libevent's members.
 * The layout is libev 4.33's (144 bytes on x86-64). */
struct event
{
  /* [private] the io watcher (fd events) or the signal watcher (EV_SIGNAL events) */
  union
  {
    struct ev_io io;
    struct ev_signal sig;
  } iosig;
  struct ev_timer to;            /* [private] the timeout watcher */

  struct event_base *ev_base;    /* the base it is added to (set by event_set/event_base_set) */
  void (*ev_callback) (int, short, void *);
  void *ev_arg;
  int ev_fd;                     /* the fd, or the signal number for signal events */
  int ev_pri;                    /* stored by event_priority_set, otherwise unused */
  int ev_res;                    /* what the last callback invocation received */
  int ev_flags;                  /* EVLIST_* (see above) */
  short ev_events;               /* what event_set asked for: EV_READ, EV_WRITE, EV_SIGNAL, ... */
};

/* ---- the libevent 1.4 functions ------------------------------------------------------------ */

/* "4.33" and "libev": the emulating library, not a libevent version. */
const char *event_get_version (void);
const char *event_get_method (void);

/* The first call returns the default loop, later calls a new loop each; the result becomes
 * the current base, which event_set and the base-less functions below use. */
void *event_init (void);
/* A new loop (never the default loop); does not change the current base. */
struct event_base *event_base_new (void);
/* Destroys a base made by event_base_new or a later event_init; the default loop survives. */
void event_base_free (struct event_base *base);
const char *event_base_get_method (const struct event_base *base);

/* Runs the current base.  flags: 0, EVLOOP_ONCE or EVLOOP_NONBLOCK.  Returns 1 when no
 * event is left, 0 when events remain (for instance after event_loopexit). */
int event_loop (int flags);
int event_dispatch (void);                 /* event_loop (0) */
/* Leaves the loop once tv has passed (NULL: as soon as possible); always returns 0. */
int event_loopexit (struct timeval *tv);

int event_base_loop (struct event_base *base, int flags);
int event_base_dispatch (struct event_base *base);
int event_base_loopexit (struct event_base *base, struct timeval *tv);

/* Declared for source compatibility only: libev 4.33 does not provide it (no logging), so a
 * program that calls it fails to link, as it does against libev 4.33. */
void event_set_log_callback (event_log_cb cb);

/* Prepares ev for the current base: events is EV_READ and/or EV_WRITE (fd events), or
 * EV_SIGNAL (fd is the signal number), or 0 (a pure timeout), plus EV_PERSIST. */
void event_set (struct event *ev, int fd, short events, void (*cb) (int, short, void *), void *arg);
/* Moves a not added event to another base; returns 0. */
int event_base_set (struct event_base *base, struct event *ev);

/* Adds the event and (re)starts its timeout from now, or removes the timeout if tv is NULL.
 * Returns 0. */
int event_add (struct event *ev, struct timeval *tv);
/* Removes the event and its timeout; returns 0. */
int event_del (struct event *ev);
/* Calls the event's callback with res in the next loop iteration, added or not: once for
 * the EV_TIMEOUT part of res and once for its EV_READ/EV_WRITE/EV_SIGNAL part (ncalls is
 * ignored). */
void event_active (struct event *ev, int res, short ncalls);
/* Which of events (EV_TIMEOUT, EV_READ, EV_WRITE, EV_SIGNAL) the event is added for or has
 * a call waiting for; with such a timeout part and tv non-NULL, stores the base's ev_now in
 * *tv. */
int event_pending (struct event *ev, short events, struct timeval *tv);

/* Calls cb once, when fd is ready for events (EV_READ/EV_WRITE) or when tv has passed,
 * whichever comes first (tv NULL: no timeout).  Returns 0, or -1 without memory. */
int event_once (int fd, short events, void (*cb) (int, short, void *), void *arg, struct timeval *tv);
int event_base_once (struct event_base *base, int fd, short events, void (*cb) (int, short, void *), void *arg, struct timeval *tv);

/* Priorities are not supported: these return 0; event_priority_set only stores ev_pri. */
int event_priority_init (int npri);
int event_base_priority_init (struct event_base *base, int npri);
int event_priority_set (struct event *ev, int pri);

event_callback_fn event_get_callback (const struct event *ev);

/* ---- libevent's convenience macros ----------------------------------------------------------- */

#define EVENT_SIGNAL(ev)       ((int) (ev)->ev_fd)
#define EVENT_FD(ev)           ((int) (ev)->ev_fd)
#define event_initialized(ev)  ((ev)->ev_flags & EVLIST_INIT)

/* pure timeouts */
#define evtimer_add(ev,tv)       event_add (ev, tv)
#define evtimer_set(ev,cb,arg)   event_set (ev, -1, 0, cb, arg)
#define evtimer_del(ev)          event_del (ev)
#define evtimer_pending(ev,tv)   event_pending (ev, EV_TIMEOUT, tv)
#define evtimer_initialized(ev)  event_initialized (ev)

/* the libevent 1.x names of the evtimer_ macros */
#define timeout_add(ev,tv)       event_add (ev, tv)
#define timeout_set(ev,cb,arg)   event_set (ev, -1, 0, cb, arg)
#define timeout_del(ev)          event_del (ev)
#define timeout_pending(ev,tv)   event_pending (ev, EV_TIMEOUT, tv)
#define timeout_initialized(ev)  event_initialized (ev)

/* signals: persistent by default */
#define signal_add(ev,tv)        event_add (ev, tv)
#define signal_set(ev,sig,cb,arg) event_set (ev, sig, EV_SIGNAL | EV_PERSIST, cb, arg)
#define signal_del(ev)           event_del (ev)
#define signal_pending(ev,tv)    event_pending (ev, EV_SIGNAL, tv)
#define signal_initialized(ev)   event_initialized (ev)

#ifdef __cplusplus
}
#endif

#endif /* EVENT_H_ */
