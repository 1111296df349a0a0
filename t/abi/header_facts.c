/* SPDX-License-Identifier: BSD-2-Clause */
/* t/abi/header_facts.c - prints the binary facts of libev 4.33's public headers, one
 * "kind name value" line each, for t/abi/header_facts.sh to compare between our headers,
 * Debian's libev-dev headers and the recorded t/abi/header-facts.expected.
 *
 * Why: a program compiled against libev 4.33's ev.h passes its watchers (by address) to our
 * library and reads their members itself (ev_is_active, w->fd, ...), so every size,
 * alignment and member offset, and every constant it bakes in (event bits, flags, backend
 * bits), must be exactly libev 4.33's.  The facts printed:
 *   size NAME n / align NAME n          sizeof / alignment of a type
 *   offset TYPE.MEMBER n                offsetof of every member
 *   msize TYPE.MEMBER n                 sizeof of every member
 *   signed TYPE.MEMBER 0|1              signedness of every integer member
 *   const NAME value                    value of every public constant
 *   macro NAME 0|1                      whether the name is a macro (a program may #ifdef it)
 * Only libev 4.33's API is probed: libev-ng's additions (EV_NG*, ev_ng_version) are not
 * facts of the contract and Debian's header lacks them.  Function signatures are not facts
 * here: t/abi/use_all.c and the abidiff/symbols tests cover them.
 *
 * Compiled as C and as C++ (the layouts must agree between the languages; the output must be
 * identical).  __alignof__ and __typeof__ are GNU spellings that gcc and clang accept in C89
 * and C++98 alike (C11 _Alignof and C++11 alignof are not both available in every mode).
 * With -DHEADER_FACTS_EVENT it probes event.h, the libevent 1.4 emulation header, instead:
 * event.h redefines some of ev.h's names (EV_TIMEOUT, EVLOOP_NONBLOCK, ...), so ev.h's own
 * facts are printed by a compilation without it; event.h's lines start with "event.". */
#include <stddef.h> /* offsetof: libev 4.33's ev.h does not include it */
#include <stdio.h>
#include <signal.h>
#include <sys/stat.h>
#include "ev.h"
#ifdef HEADER_FACTS_EVENT
# include "event.h"
#endif

#ifdef HEADER_FACTS_EVENT
# define PREFIX "event."
#else
# define PREFIX ""
#endif
#define FACT(kind, name, value) printf ("%s " PREFIX "%s %lld\n", (kind), (name), (long long) (value))
/* a type: its size and alignment */
#define TYPE(name, T) (FACT ("size", name, sizeof (T)), FACT ("align", name, __alignof__ (T)))
/* a member: its offset and size */
#define MEMBER(T, m) (FACT ("offset", #T "." #m, offsetof (T, m)), \
                      FACT ("msize", #T "." #m, sizeof (((T *) 0)->m)))
/* an integer member: also its signedness (int vs unsigned matters to a comparison) */
#define IMEMBER(T, m) (MEMBER (T, m), \
                       FACT ("signed", #T "." #m, (__typeof__ (((T *) 0)->m)) -1 < 0))
/* a constant: its value; "macro 1" when it is a macro that expands to something else than
 * its own name (an enumerator, or a macro defined to itself, gives 0: see MACRO_IFDEF) */
#define STR_(x) #x
#define XSTR_(x) STR_ (x)
#define CONST(name) (FACT ("const", #name, (name)), \
                     FACT ("macro", #name, strcmp_ (#name, XSTR_ (name)) != 0))

static int strcmp_ (const char *a, const char *b)
{
  while (*a && *a == *b)
    ++a, ++b;
  return (unsigned char) *a - (unsigned char) *b;
}

#ifndef HEADER_FACTS_EVENT
/* the members every watcher starts with (EV_WATCHER in ev(3)); priority exists because the
 * default EV_MINPRI != EV_MAXPRI */
#define WATCHER_MEMBERS(T) (IMEMBER (T, active), IMEMBER (T, pending), IMEMBER (T, priority), \
                            MEMBER (T, data), MEMBER (T, cb))

/* the typedef names must denote the struct tags (programs use both spellings); a mismatch
 * is a compile error in C++ and a warning in C */
static void typedefs_name_the_tags (void)
{
  ev_watcher *w = (struct ev_watcher *) 0; ev_watcher_list *wl = (struct ev_watcher_list *) 0;
  ev_watcher_time *wt = (struct ev_watcher_time *) 0; ev_io *io = (struct ev_io *) 0;
  ev_timer *t = (struct ev_timer *) 0; ev_periodic *p = (struct ev_periodic *) 0;
  ev_signal *sg = (struct ev_signal *) 0; ev_child *c = (struct ev_child *) 0;
  ev_stat *st = (struct ev_stat *) 0; ev_idle *id = (struct ev_idle *) 0;
  ev_prepare *pr = (struct ev_prepare *) 0; ev_check *ck = (struct ev_check *) 0;
  ev_fork *f = (struct ev_fork *) 0; ev_cleanup *cl = (struct ev_cleanup *) 0;
  ev_embed *e = (struct ev_embed *) 0; ev_async *a = (struct ev_async *) 0;
  ev_statdata *sd = (struct stat *) 0;
  (void) w; (void) wl; (void) wt; (void) io; (void) t; (void) p; (void) sg; (void) c;
  (void) st; (void) id; (void) pr; (void) ck; (void) f; (void) cl; (void) e; (void) a; (void) sd;
}

static void basic_types (void)
{
  TYPE ("ev_tstamp", ev_tstamp);
  FACT ("floating", "ev_tstamp", (ev_tstamp) 0.5 != 0);
  TYPE ("ev_statdata", ev_statdata);
  TYPE ("struct_stat", struct stat);     /* ev_statdata is lstat(2)'s struct stat */
  TYPE ("sig_atomic_t", sig_atomic_t);   /* the type of ev_async.sent */
}

static void watchers (void)
{
  TYPE ("ev_watcher", ev_watcher);
  WATCHER_MEMBERS (ev_watcher);

  TYPE ("ev_watcher_list", ev_watcher_list);
  WATCHER_MEMBERS (ev_watcher_list); MEMBER (ev_watcher_list, next);

  TYPE ("ev_watcher_time", ev_watcher_time);
  WATCHER_MEMBERS (ev_watcher_time); MEMBER (ev_watcher_time, at);

  TYPE ("ev_io", ev_io);
  WATCHER_MEMBERS (ev_io); MEMBER (ev_io, next); IMEMBER (ev_io, fd); IMEMBER (ev_io, events);

  TYPE ("ev_timer", ev_timer);
  WATCHER_MEMBERS (ev_timer); MEMBER (ev_timer, at); MEMBER (ev_timer, repeat);

  TYPE ("ev_periodic", ev_periodic);
  WATCHER_MEMBERS (ev_periodic); MEMBER (ev_periodic, at); MEMBER (ev_periodic, offset);
  MEMBER (ev_periodic, interval); MEMBER (ev_periodic, reschedule_cb);

  TYPE ("ev_signal", ev_signal);
  WATCHER_MEMBERS (ev_signal); MEMBER (ev_signal, next); IMEMBER (ev_signal, signum);

  TYPE ("ev_child", ev_child);
  WATCHER_MEMBERS (ev_child); MEMBER (ev_child, next); IMEMBER (ev_child, flags);
  IMEMBER (ev_child, pid); IMEMBER (ev_child, rpid); IMEMBER (ev_child, rstatus);

  TYPE ("ev_stat", ev_stat);
  WATCHER_MEMBERS (ev_stat); MEMBER (ev_stat, next); MEMBER (ev_stat, timer);
  MEMBER (ev_stat, interval); MEMBER (ev_stat, path); MEMBER (ev_stat, prev);
  MEMBER (ev_stat, attr); IMEMBER (ev_stat, wd);

  TYPE ("ev_idle", ev_idle);       WATCHER_MEMBERS (ev_idle);
  TYPE ("ev_prepare", ev_prepare); WATCHER_MEMBERS (ev_prepare);
  TYPE ("ev_check", ev_check);     WATCHER_MEMBERS (ev_check);
  TYPE ("ev_fork", ev_fork);       WATCHER_MEMBERS (ev_fork);
  TYPE ("ev_cleanup", ev_cleanup); WATCHER_MEMBERS (ev_cleanup);

  TYPE ("ev_embed", ev_embed);
  WATCHER_MEMBERS (ev_embed); MEMBER (ev_embed, other); MEMBER (ev_embed, io);
  MEMBER (ev_embed, prepare); MEMBER (ev_embed, check); MEMBER (ev_embed, timer);
  MEMBER (ev_embed, periodic); MEMBER (ev_embed, idle); MEMBER (ev_embed, fork);
  MEMBER (ev_embed, cleanup);

  TYPE ("ev_async", ev_async);
  WATCHER_MEMBERS (ev_async); IMEMBER (ev_async, sent);
}

/* the union a program may use to allocate "any watcher" */
typedef union ev_any_watcher any_watcher_;
#define ANY(m) (FACT ("offset", "ev_any_watcher." #m, offsetof (any_watcher_, m)), \
                FACT ("msize", "ev_any_watcher." #m, sizeof (((any_watcher_ *) 0)->m)))
static void any_watcher (void)
{
  TYPE ("ev_any_watcher", union ev_any_watcher);
  ANY (w); ANY (wl); ANY (io); ANY (timer); ANY (periodic); ANY (signal); ANY (child);
  ANY (stat); ANY (idle); ANY (prepare); ANY (check); ANY (fork); ANY (cleanup); ANY (embed);
  ANY (async);
}

static void constants (void)
{
  /* event bits */
  CONST (EV_UNDEF); CONST (EV_NONE); CONST (EV_READ); CONST (EV_WRITE); CONST (EV__IOFDSET);
  CONST (EV_IO); CONST (EV_TIMER); CONST (EV_TIMEOUT); CONST (EV_PERIODIC); CONST (EV_SIGNAL);
  CONST (EV_CHILD); CONST (EV_STAT); CONST (EV_IDLE); CONST (EV_PREPARE); CONST (EV_CHECK);
  CONST (EV_EMBED); CONST (EV_FORK); CONST (EV_CLEANUP); CONST (EV_ASYNC); CONST (EV_CUSTOM);
  CONST (EV_ERROR);
  /* loop flags */
  CONST (EVFLAG_AUTO); CONST (EVFLAG_NOENV); CONST (EVFLAG_FORKCHECK); CONST (EVFLAG_NOINOTIFY);
  CONST (EVFLAG_NOSIGFD); CONST (EVFLAG_SIGNALFD); CONST (EVFLAG_NOSIGMASK);
  CONST (EVFLAG_NOTIMERFD);
  /* backends */
  CONST (EVBACKEND_SELECT); CONST (EVBACKEND_POLL); CONST (EVBACKEND_EPOLL);
  CONST (EVBACKEND_KQUEUE); CONST (EVBACKEND_DEVPOLL); CONST (EVBACKEND_PORT);
  CONST (EVBACKEND_LINUXAIO); CONST (EVBACKEND_IOURING); CONST (EVBACKEND_ALL);
  CONST (EVBACKEND_MASK);
  /* ev_run and ev_break, and their libev 3 names (EV_COMPAT3) */
  CONST (EVRUN_NOWAIT); CONST (EVRUN_ONCE);
  CONST (EVBREAK_CANCEL); CONST (EVBREAK_ONE); CONST (EVBREAK_ALL);
  CONST (EVLOOP_NONBLOCK); CONST (EVLOOP_ONESHOT);
  CONST (EVUNLOOP_CANCEL); CONST (EVUNLOOP_ONE); CONST (EVUNLOOP_ALL);
  /* versions and priorities */
  CONST (EV_VERSION_MAJOR); CONST (EV_VERSION_MINOR);
  CONST (EV_MINPRI); CONST (EV_MAXPRI);
  /* the configuration defaults a program sees (they decide which members exist) */
  CONST (EV_FEATURES); CONST (EV_FEATURE_CODE); CONST (EV_FEATURE_DATA);
  CONST (EV_FEATURE_CONFIG); CONST (EV_FEATURE_API); CONST (EV_FEATURE_WATCHERS);
  CONST (EV_FEATURE_BACKENDS); CONST (EV_FEATURE_OS);
  CONST (EV_MULTIPLICITY); CONST (EV_COMPAT3); CONST (EV_PROTOTYPES);
  CONST (EV_PERIODIC_ENABLE); CONST (EV_STAT_ENABLE); CONST (EV_PREPARE_ENABLE);
  CONST (EV_CHECK_ENABLE); CONST (EV_IDLE_ENABLE); CONST (EV_FORK_ENABLE);
  CONST (EV_CLEANUP_ENABLE); CONST (EV_SIGNAL_ENABLE); CONST (EV_CHILD_ENABLE);
  CONST (EV_ASYNC_ENABLE); CONST (EV_EMBED_ENABLE); CONST (EV_WALK_ENABLE);
  CONST (EV_IO_ENABLE);
}

#else /* HEADER_FACTS_EVENT */
/* event.h defines EV_READ and EV_WRITE to themselves (so "#ifdef EV_READ" works as with
 * libevent): only #ifdef sees such a macro */
# ifdef EV_READ
#  define EVENT_READ_IS_MACRO 1
# else
#  define EVENT_READ_IS_MACRO 0
# endif
# ifdef EV_WRITE
#  define EVENT_WRITE_IS_MACRO 1
# else
#  define EVENT_WRITE_IS_MACRO 0
# endif
# ifdef EV_SIGNAL
#  define EVENT_SIGNAL_IS_MACRO 1
# else
#  define EVENT_SIGNAL_IS_MACRO 0
# endif

typedef struct event struct_event;
static void event_h (void)
{
  /* the callback types must be the ones libevent programs pass */
  event_callback_fn fn = (void (*) (int, short, void *)) 0;
  event_log_cb log = (void (*) (int, const char *)) 0;
  (void) fn; (void) log;

  TYPE ("struct_event", struct event);
  FACT ("offset", "struct_event.iosig", offsetof (struct_event, iosig));
  FACT ("msize", "struct_event.iosig", sizeof (((struct_event *) 0)->iosig));
  FACT ("offset", "struct_event.iosig.io", offsetof (struct_event, iosig.io));
  FACT ("offset", "struct_event.iosig.sig", offsetof (struct_event, iosig.sig));
  MEMBER (struct_event, to); MEMBER (struct_event, ev_base); MEMBER (struct_event, ev_callback);
  MEMBER (struct_event, ev_arg); IMEMBER (struct_event, ev_fd); IMEMBER (struct_event, ev_pri);
  IMEMBER (struct_event, ev_res); IMEMBER (struct_event, ev_flags); IMEMBER (struct_event, ev_events);

  FACT ("const", "EV_READ", EV_READ);     FACT ("macro", "EV_READ", EVENT_READ_IS_MACRO);
  FACT ("const", "EV_WRITE", EV_WRITE);   FACT ("macro", "EV_WRITE", EVENT_WRITE_IS_MACRO);
  FACT ("const", "EV_SIGNAL", EV_SIGNAL); FACT ("macro", "EV_SIGNAL", EVENT_SIGNAL_IS_MACRO);
  CONST (EV_TIMEOUT); CONST (EV_PERSIST); CONST (EV_ET);
  CONST (EVLIST_TIMEOUT); CONST (EVLIST_INSERTED); CONST (EVLIST_SIGNAL); CONST (EVLIST_ACTIVE);
  CONST (EVLIST_INTERNAL); CONST (EVLIST_INIT);
  CONST (EVLOOP_ONCE); CONST (EVLOOP_NONBLOCK); CONST (EVLOOP_ONESHOT);
  CONST (_EVENT_LOG_DEBUG); CONST (_EVENT_LOG_MSG); CONST (_EVENT_LOG_WARN);
  CONST (_EVENT_LOG_ERR);
}
#endif

int main (void)
{
#ifdef HEADER_FACTS_EVENT
  event_h ();
#else
  typedefs_name_the_tags ();
  basic_types ();
  watchers ();
  any_watcher ();
  constants ();
#endif
  return 0;
}
