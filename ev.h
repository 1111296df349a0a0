/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ev.h - the public C interface of libev-ng.
 *
 * libev-ng is a reimplementation of the libev 4.33 event loop.  This header is
 * written from the libev manual (ev(3)) and from the recorded ABI facts of
 * libev 4.33 on Linux x86-64; it is source and binary compatible with it:
 * every struct layout, constant, macro and prototype below is part of the
 * contract that programs built against libev 4.33 rely on.
 *
 * Access rules of the watcher members follow the manual's wording:
 *   [read-only]   the library writes it, you may read it
 *   [read-write]  you may change it at any time
 *   [no-modify]   set it through the *_set macros while the watcher is stopped
 *   [private]     the library's own bookkeeping, do not touch
 *
 * This header is plain C (c89 ... gnu2x) and C++ (C++98 ... C++23) and must
 * stay free of warnings under -Wall -Wextra -Wpedantic -Wstrict-aliasing=2,
 * with gcc and clang (t/abi/header_warnings.sh):
 * the macros that work on "any watcher" therefore never type-pun a watcher
 * through a foreign struct type (see "generic watcher access" below).
 */
#ifndef EV_H_
#define EV_H_

#ifdef __cplusplus
# define EV_CPP(x) x
/* Nothing before C++11, as in libev 4.33: with throw () there, a plain
 * function would not convert to the callback pointers declared with it
 * (ev_set_allocator, ev_set_syserr_cb, ev_set_loop_release_cb, a periodic's
 * reschedule_cb), and C++98 programs that compile with libev's ev.h must
 * compile with this one. */
# if __cplusplus >= 201103L
#  define EV_NOEXCEPT noexcept
# else
#  define EV_NOEXCEPT
# endif
#else
# define EV_CPP(x)
# define EV_NOEXCEPT
#endif
/* the libev 4.2x name of EV_NOEXCEPT */
#define EV_THROW EV_NOEXCEPT

EV_CPP(extern "C" {)

/*==========================================================================*/
/* configuration a user may set before including this header                */
/*==========================================================================*/

/* EV_FEATURES: bit set of broad feature groups, all on by default (the two
 * speed/size bits are off when the compiler optimises for size). */
#ifndef EV_FEATURES
# if defined __OPTIMIZE_SIZE__
#  define EV_FEATURES 0x7c
# else
#  define EV_FEATURES 0x7f
# endif
#endif

#define EV_FEATURE_CODE     ((EV_FEATURES) &  1)
#define EV_FEATURE_DATA     ((EV_FEATURES) &  2)
#define EV_FEATURE_CONFIG   ((EV_FEATURES) &  4)
#define EV_FEATURE_API      ((EV_FEATURES) &  8)
#define EV_FEATURE_WATCHERS ((EV_FEATURES) & 16)
#define EV_FEATURE_BACKENDS ((EV_FEATURES) & 32)
#define EV_FEATURE_OS       ((EV_FEATURES) & 64)

/* priorities: "full API configuration" gives the five levels -2 .. 2 */
#ifndef EV_MINPRI
# define EV_MINPRI (EV_FEATURE_CONFIG ? -2 : 0)
#endif
#ifndef EV_MAXPRI
# define EV_MAXPRI (EV_FEATURE_CONFIG ? +2 : 0)
#endif

/* several loops, each function taking the loop as its first argument */
#ifndef EV_MULTIPLICITY
# define EV_MULTIPLICITY EV_FEATURE_CONFIG
#endif

/* the optional watcher types (I/O and timers always exist) */
#ifndef EV_PERIODIC_ENABLE
# define EV_PERIODIC_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_STAT_ENABLE
# define EV_STAT_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_PREPARE_ENABLE
# define EV_PREPARE_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CHECK_ENABLE
# define EV_CHECK_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_IDLE_ENABLE
# define EV_IDLE_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_FORK_ENABLE
# define EV_FORK_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CLEANUP_ENABLE
# define EV_CLEANUP_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_SIGNAL_ENABLE
# define EV_SIGNAL_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CHILD_ENABLE
# ifdef _WIN32
#  define EV_CHILD_ENABLE 0
# else
#  define EV_CHILD_ENABLE EV_FEATURE_WATCHERS
# endif
#endif
#ifndef EV_ASYNC_ENABLE
# define EV_ASYNC_ENABLE EV_FEATURE_WATCHERS
#endif
/* a child watcher is built on a signal watcher for SIGCHLD (as in libev) */
#if EV_CHILD_ENABLE && !EV_SIGNAL_ENABLE
# undef EV_SIGNAL_ENABLE
# define EV_SIGNAL_ENABLE 1
#endif
#ifndef EV_EMBED_ENABLE
# define EV_EMBED_ENABLE EV_FEATURE_WATCHERS
#endif
/* ev_walk is announced by libev's manual (and never built by libev 4.33); libev-ng implements
 * it, and ev_dump, as extensions (EV_NG_FEATURE_WALK): defining EV_WALK_ENABLE to 1 declares them */
#ifndef EV_WALK_ENABLE
# define EV_WALK_ENABLE 0
#endif

/* libev 3.x names (EVLOOP_*, EVUNLOOP_*, ev_loop(), ev_unloop(), ...) */
#ifndef EV_COMPAT3
# define EV_COMPAT3 1
#endif

/* 0 declares the types and constants only (for wrappers of your own) */
#ifndef EV_PROTOTYPES
# define EV_PROTOTYPES 1
#endif

/*==========================================================================*/
/* basic types                                                              */
/*==========================================================================*/

#ifndef EV_TSTAMP_T
# define EV_TSTAMP_T double
#endif
/* a point in time or a duration, in seconds */
typedef EV_TSTAMP_T ev_tstamp;

#include <stddef.h> /* offsetof, size_t */
#include <string.h> /* memcpy, for the generic watcher accessors */
#if EV_WALK_ENABLE
# include <stdio.h> /* FILE, for ev_dump */
#endif

/* an integer that a signal handler or another thread may set */
#ifndef EV_ATOMIC_T
# include <signal.h>
# define EV_ATOMIC_T sig_atomic_t volatile
#endif

#if EV_STAT_ENABLE
# include <sys/stat.h>
/* what ev_stat reports: the result of lstat(2), on Windows of _stati64, as in libev */
# ifdef _WIN32
typedef struct _stati64 ev_statdata;
# else
typedef struct stat ev_statdata;
# endif
#endif

/*==========================================================================*/
/* the loop parameter macros (MACRO MAGIC in ev(3))                         */
/*==========================================================================*/

#if EV_MULTIPLICITY
struct ev_loop;
# define EV_P  struct ev_loop *loop        /* parameter: the only one  */
# define EV_P_ EV_P,                       /* parameter: more follow   */
# define EV_A  loop                        /* argument: the only one   */
# define EV_A_ EV_A,                       /* argument: more follow    */
# define EV_DEFAULT_UC  ev_default_loop_uc_ ()  /* default loop, must exist */
# define EV_DEFAULT_UC_ EV_DEFAULT_UC,
# define EV_DEFAULT  ev_default_loop (0)        /* default loop, created on demand */
# define EV_DEFAULT_ EV_DEFAULT,
#else
# define EV_P void
# define EV_P_
# define EV_A
# define EV_A_
# define EV_DEFAULT
# define EV_DEFAULT_
# define EV_DEFAULT_UC
# define EV_DEFAULT_UC_
# undef EV_EMBED_ENABLE
# define EV_EMBED_ENABLE 0
#endif

/* the definition of inline functions in this header.  `inline' is a keyword
 * only from C99 (and in C++); in C89/gnu89 modes a bare `inline' is an error
 * (-std=c89) or a -Wpedantic "extension used" warning (clang -std=gnu89), so
 * GCC and clang get their reserved spelling __inline__ there, which they
 * accept silently in every mode, and other C89 compilers get plain `static'
 * (same semantics, just no inlining hint).  A user may still predefine it. */
#ifndef EV_INLINE
# if defined __cplusplus || (defined __STDC_VERSION__ && __STDC_VERSION__ >= 199901L)
#  define EV_INLINE static inline
# elif defined __GNUC__
#  define EV_INLINE static __inline__
# else
#  define EV_INLINE static
# endif
#endif

/* how the library's functions are declared.  EV_API_STATIC is for a program
 * that compiles the core into itself (ev(3) EMBEDDING): libev-ng's core is a
 * C++ file of its own beside the program's C files, so its functions cannot
 * be static; they are hidden instead, which keeps them out of the program's
 * exported symbols all the same. */
#ifndef EV_API_DECL
# ifdef EV_API_STATIC
#  if defined __GNUC__ || defined __clang__
#   define EV_API_DECL extern __attribute__ ((__visibility__ ("hidden")))
#  else
#   error "EV_API_STATIC: libev-ng needs a compiler with hidden visibility (GCC or clang) to keep the core's functions out of the program's symbols"
#  endif
# else
#  define EV_API_DECL extern
# endif
#endif

/*==========================================================================*/
/* constants                                                                */
/*==========================================================================*/

#define EV_VERSION_MAJOR 4
#define EV_VERSION_MINOR 33

/* libev-ng's own release number (NEWS; README "Versions").  The ABI stays libev 4.33's
 * (the two macros above, libev.so.4); this counts libev-ng's releases: the patch level for
 * fixes, the minor for new opt-in extensions, the major for a change that could break a
 * program using an extension.  EV_NG is defined by libev-ng's ev.h only, so a program can
 * test at compile time what it is built against; ev_ng_version () says at run time which
 * library it runs on. */
#define EV_NG 1
#define EV_NG_VERSION_MAJOR 1
#define EV_NG_VERSION_MINOR 1
#define EV_NG_VERSION_PATCH 0
#define EV_NG_VERSION "1.1.0"
/* one number for comparisons: 10000 * major + 100 * minor + patch */
#define EV_NG_VERSION_NUMBER (EV_NG_VERSION_MAJOR * 10000 + EV_NG_VERSION_MINOR * 100 + EV_NG_VERSION_PATCH)

/* libev-ng's extensions (ev(3) LIBEV-NG EXTENSIONS).  Each is opt-in: a program that asks
 * for none sees libev 4.33's behaviour.  Each has a feature macro, defined to 1 when this
 * header has it.  The loop flags are bits that libev 4.33 ignores, so a program passing
 * one still runs (without the extension) on the real libev. */
#define EV_NG_FEATURE_PRECISE_TIMERS 1
#define EVFLAG_NG_PRECISE_TIMERS 0x04000000U /* sub-millisecond waits on every backend */
#define EV_NG_FEATURE_MONOTONIC_CLOCK 1
#define EV_NG_FEATURE_NEVER_EARLY 1
#define EVFLAG_NG_NEVER_EARLY 0x08000000U /* timers count from the clock at their start */
#define EV_NG_FEATURE_ANY_LOOP 1
#define EVFLAG_NG_ANY_LOOP 0x40000000U /* signals shared by several loops, ev_child in any loop */
#define EV_NG_FEATURE_REAP_OWN 1
#define EVFLAG_NG_REAP_OWN 0x80000000U /* the default loop reaps only the children it watches */
#define EV_NG_FEATURE_EXCLUSIVE 1
#define EV_NG_FEATURE_WALK 1 /* ev_walk and ev_dump, declared with EV_WALK_ENABLE */
#define EV_NG_EXCLUSIVE 0x40 /* ev_io events: wake one of the loops waiting on the fd (epoll) */
#define EV_NG_FEATURE_DEBUG 1
#define EVFLAG_NG_DEBUG 0x10000000U /* debug mode: report misused watchers and loops, then abort */
#define EV_NG_FEATURE_METRICS 1
#define EVFLAG_NG_METRICS 0x20000000U /* count what the loop does: ev_metrics_get */
#define EV_NG_FEATURE_BOOTTIME 1
#define EVFLAG_NG_BOOTTIME 0x00040000U /* ev_timer counts the time the system was suspended */
#define EV_NG_FEATURE_WATCHDOG 1 /* ev_watchdog_start, declared: it fails; see ev-watchdog(1) */
#define EV_NG_FEATURE_PROBES 1   /* static probes (USDT) in the library, where it was built with them */
/* A backend bit inside EVBACKEND_MASK that libev 4.33 has no backend for: alone it gets no
 * loop there (as here off Windows); EVBACKEND_NG_AFD | EVBACKEND_SELECT runs on select there. */
#define EV_NG_FEATURE_AFD 1
#define EVBACKEND_NG_AFD 0x00000100U /* Windows: IOCTL_AFD_POLL, for many sockets; ask for it */
#define EV_NG_FEATURE_POST 1     /* ev_ng_post: any thread hands a function to the loop's thread */
#define EV_NG_FEATURE_STREAM 1   /* ev_ng_stream, ev_ng_accept: the loop does a socket's I/O */

/* event bits: what a watcher waits for and what its callback receives */
enum {
  EV_UNDEF    = (int)0xFFFFFFFF, /* guaranteed never to be delivered */
  EV_NONE     =        0x00,     /* no events */
  EV_READ     =        0x01,     /* ev_io: the fd is readable */
  EV_WRITE    =        0x02,     /* ev_io: the fd is writable */
  EV__IOFDSET =        0x80,     /* internal: the fd was (re)set by ev_io_set */
  EV_IO       =     EV_READ,     /* alias for type-specific names */
  EV_TIMER    =  0x00000100,     /* ev_timer expired */
#if EV_COMPAT3
  EV_TIMEOUT  =    EV_TIMER,     /* libev 3 name of EV_TIMER */
#endif
  EV_PERIODIC =  0x00000200,     /* ev_periodic triggered */
  EV_SIGNAL   =  0x00000400,     /* ev_signal: the signal arrived */
  EV_CHILD    =  0x00000800,     /* ev_child: the child changed state */
  EV_STAT     =  0x00001000,     /* ev_stat: the path's attributes changed */
  EV_IDLE     =  0x00002000,     /* ev_idle: nothing else to do */
  EV_PREPARE  =  0x00004000,     /* ev_prepare: the loop is about to block */
  EV_CHECK    =  0x00008000,     /* ev_check: the loop has just blocked */
  EV_EMBED    =  0x00010000,     /* ev_embed: the embedded loop needs attention */
  EV_FORK     =  0x00020000,     /* ev_fork: the loop was told about a fork */
  EV_CLEANUP  =  0x00040000,     /* ev_cleanup: the loop is being destroyed */
  EV_ASYNC    =  0x00080000,     /* ev_async: ev_async_send was called */
  EV_CUSTOM   =  0x01000000,     /* free for the user's own ev_feed_event use */
  EV_ERROR    = (int)0x80000000  /* an error: the watcher has been stopped */
};

/* flags of ev_default_loop and ev_loop_new */
enum {
  EVFLAG_AUTO       = 0x00000000U, /* the default: nothing special */
  EVFLAG_NOENV      = 0x01000000U, /* ignore the LIBEV_FLAGS environment variable */
  EVFLAG_FORKCHECK  = 0x02000000U, /* notice a fork by comparing getpid() */
  EVFLAG_NOINOTIFY  = 0x00100000U, /* ev_stat must poll, never use inotify */
#if EV_COMPAT3
  EVFLAG_NOSIGFD    = 0,           /* libev 3 name, no effect */
#endif
  EVFLAG_SIGNALFD   = 0x00200000U, /* receive signals through signalfd(2) */
  EVFLAG_NOSIGMASK  = 0x00400000U, /* see ev(3): libev 4.33 semantics kept */
  EVFLAG_NOTIMERFD  = 0x00800000U  /* do not watch for clock jumps with a timerfd */
};

/* backends (the kernel interface that waits for events) */
enum {
  EVBACKEND_SELECT   = 0x00000001U, /* select(2), everywhere */
  EVBACKEND_POLL     = 0x00000002U, /* poll(2), everywhere but Windows */
  EVBACKEND_EPOLL    = 0x00000004U, /* Linux epoll(7) */
  EVBACKEND_KQUEUE   = 0x00000008U, /* BSD kqueue (never available on Linux) */
  EVBACKEND_DEVPOLL  = 0x00000010U, /* Solaris 8 /dev/poll (never available) */
  EVBACKEND_PORT     = 0x00000020U, /* Solaris 10 event ports (never available) */
  EVBACKEND_LINUXAIO = 0x00000040U, /* Linux AIO (not implemented by libev-ng) */
  EVBACKEND_IOURING  = 0x00000080U, /* Linux io_uring (5.1; not recommended, ask for it) */
  EVBACKEND_ALL      = 0x000000FFU, /* every backend bit */
  EVBACKEND_MASK     = 0x0000FFFFU  /* the backend part of a flags word */
};

/* ev_run flags */
enum {
  EVRUN_NOWAIT = 1, /* one iteration, never block */
  EVRUN_ONCE   = 2  /* one iteration, block until something happens */
};

/* ev_break modes */
enum {
  EVBREAK_CANCEL = 0, /* undo an earlier ev_break */
  EVBREAK_ONE    = 1, /* leave the innermost ev_run */
  EVBREAK_ALL    = 2  /* leave every nested ev_run */
};

/*==========================================================================*/
/* watchers (ANATOMY OF A WATCHER in ev(3))                                 */
/*==========================================================================*/

/* the priority member exists only when there is more than one priority */
#ifndef EV_DECL_PRIORITY
# if EV_MINPRI == EV_MAXPRI
#  define EV_DECL_PRIORITY
# else
#  define EV_DECL_PRIORITY int priority;
# endif
#endif

/* members every watcher carries for its owner; must end in ';' */
#ifndef EV_COMMON
# define EV_COMMON void *data;
#endif

/* how the callback member is declared, and how it is called */
#ifndef EV_CB_DECLARE
# define EV_CB_DECLARE(type) void (*cb)(EV_P_ struct type *w, int revents);
#endif
#ifndef EV_CB_INVOKE
# define EV_CB_INVOKE(watcher,revents) (watcher)->cb (EV_A_ (watcher), (revents))
#endif

/* the head shared by all watcher types:
 *   active   [read-only] non-zero while started (the library's own index)
 *   pending  [read-only] non-zero while an event waits for the callback
 *   priority [read-write while stopped] EV_MINPRI .. EV_MAXPRI
 *   data     [read-write] yours, never touched by the library
 *   cb       [read-write] the callback */
#define EV_WATCHER(type)     \
  int active;                \
  int pending;               \
  EV_DECL_PRIORITY           \
  EV_COMMON                  \
  EV_CB_DECLARE (type)

/* a watcher kept in a singly linked list by the library (next: [private]) */
#define EV_WATCHER_LIST(type) \
  EV_WATCHER (type)           \
  struct ev_watcher_list *next;

/* a watcher kept in a time-ordered heap (at: [read-only] while active) */
#define EV_WATCHER_TIME(type) \
  EV_WATCHER (type)           \
  ev_tstamp at;

/* the generic views of a watcher, used by the generic functions */
typedef struct ev_watcher
{
  EV_WATCHER (ev_watcher)
} ev_watcher;

typedef struct ev_watcher_list
{
  EV_WATCHER_LIST (ev_watcher_list)
} ev_watcher_list;

typedef struct ev_watcher_time
{
  EV_WATCHER_TIME (ev_watcher_time)
} ev_watcher_time;

/* readiness of a file descriptor: EV_READ and/or EV_WRITE */
typedef struct ev_io
{
  EV_WATCHER_LIST (ev_io)

  int fd;     /* [no-modify] the file descriptor */
  int events; /* [no-modify] EV_READ | EV_WRITE, plus EV__IOFDSET until started */
} ev_io;

/* a relative timeout, optionally repeating (EV_TIMER) */
typedef struct ev_timer
{
  EV_WATCHER_TIME (ev_timer)

  ev_tstamp repeat; /* [read-write] seconds between repeats, 0 = once */
} ev_timer;

/* a wall-clock based timer (EV_PERIODIC) */
typedef struct ev_periodic
{
  EV_WATCHER_TIME (ev_periodic)

  ev_tstamp offset;   /* [read-write] */
  ev_tstamp interval; /* [read-write] */
  ev_tstamp (*reschedule_cb)(struct ev_periodic *w, ev_tstamp now) EV_NOEXCEPT; /* [read-write] */
} ev_periodic;

/* a POSIX signal (EV_SIGNAL) */
typedef struct ev_signal
{
  EV_WATCHER_LIST (ev_signal)

  int signum; /* [no-modify] */
} ev_signal;

/* a child process changed state (EV_CHILD); default loop only */
typedef struct ev_child
{
  EV_WATCHER_LIST (ev_child)

  int flags;   /* [private] bit 0: also report stops and continues */
  int pid;     /* [no-modify] the pid to watch, 0 for any child */
  int rpid;    /* [read-write] the pid that changed state */
  int rstatus; /* [read-write] its status, as waitpid(2) reports it */
} ev_child;

#if EV_STAT_ENABLE
/* the attributes of a path changed (EV_STAT) */
typedef struct ev_stat
{
  EV_WATCHER_LIST (ev_stat)

  ev_timer timer;     /* [private] the polling timer */
  ev_tstamp interval; /* [no-modify] polling interval, 0 = a suitable default */
  const char *path;   /* [no-modify] the path (must stay valid while active) */
  ev_statdata prev;   /* [read-only] the attributes before the last change */
  ev_statdata attr;   /* [read-only] the current attributes (st_nlink 0: missing) */

  int wd;             /* [private] inotify watch descriptor, or -1/-2 */
} ev_stat;
#endif

/* runs when nothing else of equal or higher priority is pending (EV_IDLE) */
typedef struct ev_idle
{
  EV_WATCHER (ev_idle)
} ev_idle;

/* runs just before the loop blocks (EV_PREPARE) */
typedef struct ev_prepare
{
  EV_WATCHER (ev_prepare)
} ev_prepare;

/* runs just after the loop has blocked (EV_CHECK) */
typedef struct ev_check
{
  EV_WATCHER (ev_check)
} ev_check;

/* runs in the next iteration after a fork was announced (EV_FORK) */
typedef struct ev_fork
{
  EV_WATCHER (ev_fork)
} ev_fork;

/* runs when the loop is destroyed (EV_CLEANUP) */
typedef struct ev_cleanup
{
  EV_WATCHER (ev_cleanup)
} ev_cleanup;

#if EV_EMBED_ENABLE
/* an embedded watcher needs the watcher types it is built from */
# undef EV_PREPARE_ENABLE
# define EV_PREPARE_ENABLE 1
# define EV_IO_ENABLE 1

/* another loop's backend has events (EV_EMBED) */
typedef struct ev_embed
{
  EV_WATCHER (ev_embed)

  struct ev_loop *other; /* [no-modify] the embedded loop */
  ev_io io;              /* [private] */
  ev_prepare prepare;    /* [private] */
  ev_check check;        /* [unused] */
  ev_timer timer;        /* [unused] */
  ev_periodic periodic;  /* [unused] */
  ev_idle idle;          /* [unused] */
  ev_fork fork;          /* [private] */
  ev_cleanup cleanup;    /* [unused] */
} ev_embed;
#endif

#if EV_ASYNC_ENABLE
/* woken from another thread or a signal handler (EV_ASYNC) */
typedef struct ev_async
{
  EV_WATCHER (ev_async)

  EV_ATOMIC_T sent; /* [private] non-zero from ev_async_send until noticed */
} ev_async;

# define ev_async_pending(w) (+(w)->sent)
#endif

/* a union big enough for any watcher; as in libev's header, a watcher type left out
 * (EV_*_ENABLE 0) stays declared and counted here, but for stat, embed and async */
union ev_any_watcher
{
  struct ev_watcher w;
  struct ev_watcher_list wl;

  struct ev_io io;
  struct ev_timer timer;
  struct ev_periodic periodic;
  struct ev_signal signal;
  struct ev_child child;
#if EV_STAT_ENABLE
  struct ev_stat stat;
#endif
  struct ev_idle idle;
  struct ev_prepare prepare;
  struct ev_check check;
  struct ev_fork fork;
  struct ev_cleanup cleanup;
#if EV_EMBED_ENABLE
  struct ev_embed embed;
#endif
#if EV_ASYNC_ENABLE
  struct ev_async async;
#endif
};

/* libev-ng only (LIBEV_NG_1.0, EV_NG_FEATURE_METRICS): what a loop did, counted while metrics are
 * on (EVFLAG_NG_METRICS, or ev_metrics_enable).  Set size to sizeof (struct ev_metrics) before
 * calling ev_metrics_get: later releases only append members, fill no more than size bytes and
 * set size to the bytes they filled, so a program built with this header keeps working. */
#define EV_METRICS_PRIORITIES 5 /* time_callbacks[priority + 2]: priorities -2 .. 2 */
struct ev_metrics
{
  size_t size;                  /* in: sizeof (struct ev_metrics); out: the bytes filled */
  ev_tstamp elapsed;            /* seconds since metrics were switched on or reset */
  unsigned long iterations;     /* loop iterations (polls), as ev_iteration counts them */
  ev_tstamp time_blocked;       /* seconds in polls that could block (timeout > 0) */
  ev_tstamp time_callbacks[EV_METRICS_PRIORITIES]; /* seconds invoking callbacks, per priority */
  ev_tstamp time_invoke_cb;     /* seconds in the ev_set_invoke_pending_cb callback */
  unsigned long poll_events;    /* watcher events the polls queued: poll_events / iterations */
  unsigned long poll_events_max; /* most queued by one poll */
  unsigned long pending_max;    /* most watchers pending when an invocation pass began */
  ev_tstamp lag_max;            /* seconds: latest the loop came back to a due ev_timer */
  ev_tstamp lag_total;          /* sum of the lags, one per iteration that found a timer due */
  unsigned long lag_count;      /* number of those iterations */
};

/* libev-ng only (LIBEV_NG_1.1, EV_NG_FEATURE_POST): a function and its argument that a loop
 * calls in its own thread (ev(3) "Posting work to a loop"), for ev_ng_post_owned, which
 * queues one the caller owns and which a signal handler may call.  Set it up with
 * ev_ng_post_node_init (or zero it); the ev_ng_ members belong to the library. */
struct ev_ng_post_node
{
  struct ev_ng_post_node *ev_ng_next; /* private: the queue's link */
  void (*cb)(EV_P_ void *arg);       /* [read-write] while not queued */
  void *arg;                          /* [read-write] while not queued */
  int ev_ng_state;                    /* private: queued or not */
};
#define ev_ng_post_node_init(node,cb_,arg_) \
  do { (node)->ev_ng_next = 0; (node)->cb = (cb_); (node)->arg = (arg_); (node)->ev_ng_state = 0; } while (0)

/* libev-ng only (LIBEV_NG_1.1, EV_NG_FEATURE_STREAM; ev(3) "Streams: the loop does the I/O"):
 * a connected stream socket whose I/O the loop does.  The callback gets EV_READ when bytes
 * arrived (ev_ng_stream_recv hands them over), EV_WRITE (with EV_WRITE in events) when the send
 * queue drained, EV_ERROR with err when the connection failed (the watcher is stopped then).
 * Not a member of union ev_any_watcher, which keeps libev 4.33's size. */
typedef struct ev_ng_stream
{
  EV_WATCHER (ev_ng_stream)

  int fd;            /* [read-only] the connected socket */
  int events;        /* [read-only] EV_READ to receive, EV_WRITE to be told the queue drained */
  int err;           /* [read-only] the error number of the last EV_ERROR, else 0 */
  size_t queued;     /* [read-only] bytes queued to send and not sent yet */
  size_t limit;      /* [read-write while inactive] most bytes queued; 0: 4 MiB */
  void *ev_ng_state; /* [private] */
} ev_ng_stream;

/* ev_ng_stream_send_ref's completion: the bytes at data, of which sent reached the kernel; err is 0
 * when all were sent, ECANCELED when the watcher was stopped first, else the connection's error */
typedef void (*ev_ng_send_done) (EV_P_ ev_ng_stream *w, const void *data, size_t sent, int err);

/* libev-ng only (LIBEV_NG_1.1, EV_NG_FEATURE_STREAM): a listening stream socket whose connections
 * the loop accepts.  The callback gets EV_READ when connections wait (ev_ng_accept_take hands
 * them over), EV_ERROR with err when the socket failed (the watcher is stopped then). */
typedef struct ev_ng_accept
{
  EV_WATCHER (ev_ng_accept)

  int fd;            /* [read-only] the listening socket */
  int err;           /* [read-only] the error number of the last EV_ERROR, else 0 */
  void *ev_ng_state; /* [private] */
} ev_ng_accept;

/* libev-ng only (LIBEV_NG_1.0, EV_NG_FEATURE_WATCHDOG): what the watchdog found (ev(3) "Watchdog"),
 * declared for the programs written for ev_watchdog_start, which no longer calls back. */
enum {
  EV_WATCHDOG_SLOW_CALLBACK = 1, /* a callback ran longer than the threshold (it has returned) */
  EV_WATCHDOG_STILL_RUNNING = 2, /* a callback has been running for 20 thresholds (5 s at least) */
  EV_WATCHDOG_TIMER_LAG     = 3  /* the loop's wait ended later than its earliest timer by more */
};
struct ev_watchdog_report
{
  size_t size;             /* sizeof (struct ev_watchdog_report) of the library that made it */
  int kind;                /* EV_WATCHDOG_* */
  struct ev_loop *loop;
  void *watcher;           /* the watcher whose callback it was (0 for a timer lag) */
  int events;              /* the events it was called with (EV_READ, EV_TIMER, ...): its type */
  int priority;
  void *cb;                /* the callback's address */
  const char *symbol;      /* its name from the symbol table of its file, or 0 */
  const char *module;      /* that file, or 0 */
  unsigned long offset;    /* the callback's address in that file (addr2line -e module offset) */
  ev_tstamp duration;      /* seconds it ran (so far), or seconds late */
  ev_tstamp threshold;     /* the watchdog's threshold */
  const char *text;        /* the line the watchdog prints without a report callback */
};

/*==========================================================================*/
/* prototypes                                                               */
/*==========================================================================*/

#if EV_PROTOTYPES

/* GLOBAL FUNCTIONS */
EV_API_DECL int ev_version_major (void) EV_NOEXCEPT;
EV_API_DECL int ev_version_minor (void) EV_NOEXCEPT;
/* libev-ng only (symbol version LIBEV_NG_1.0): the release of the running library, such as
 * "1.0.0" (EV_NG_VERSION is that of the header a program was built with) */
EV_API_DECL const char *ev_ng_version (void) EV_NOEXCEPT;
/* libev-ng only (LIBEV_NG_1.0): CLOCK_MONOTONIC now, and as the loop last read it (the
 * clock its relative timers run on) */
EV_API_DECL ev_tstamp ev_monotonic_time (void) EV_NOEXCEPT;

EV_API_DECL unsigned int ev_supported_backends (void) EV_NOEXCEPT;
EV_API_DECL unsigned int ev_recommended_backends (void) EV_NOEXCEPT;
EV_API_DECL unsigned int ev_embeddable_backends (void) EV_NOEXCEPT;

EV_API_DECL ev_tstamp ev_time (void) EV_NOEXCEPT;
EV_API_DECL void ev_sleep (ev_tstamp delay) EV_NOEXCEPT;

/* (C++11/14 compilers warn that the noexcept function pointer parameters
 * below mangle differently in C++17; these functions have C linkage, so the
 * mangling is irrelevant) */
#if defined __clang__ && defined __cplusplus && __cplusplus < 201703L
# pragma clang diagnostic push
# pragma clang diagnostic ignored "-Wc++17-compat-mangling"
#endif

/* a realloc-like function: (ptr, 0) frees, returns NULL; NULL result on a
 * non-zero size is fatal */
EV_API_DECL void ev_set_allocator (void *(*cb)(void *ptr, long size) EV_NOEXCEPT) EV_NOEXCEPT;

/* called with a message when a system call fails fatally; the default
 * prints it and aborts */
EV_API_DECL void ev_set_syserr_cb (void (*cb)(const char *msg) EV_NOEXCEPT) EV_NOEXCEPT;

# if EV_MULTIPLICITY

/* the default loop (the only one that can handle ev_child); created by the
 * first call, later calls return it and ignore the flags */
EV_API_DECL struct ev_loop *ev_default_loop (unsigned int flags EV_CPP (= 0)) EV_NOEXCEPT;

/* [read-only] the default loop once created, NULL before and after destroy */
EV_API_DECL struct ev_loop *ev_default_loop_ptr;

EV_INLINE struct ev_loop *
ev_default_loop_uc_ (void) EV_NOEXCEPT
{
  return ev_default_loop_ptr;
}

EV_INLINE int
ev_is_default_loop (EV_P) EV_NOEXCEPT
{
  return EV_A == EV_DEFAULT_UC;
}

/* a new, independent loop; NULL if no requested backend works */
EV_API_DECL struct ev_loop *ev_loop_new (unsigned int flags EV_CPP (= 0)) EV_NOEXCEPT;

/* the loop time: when the loop last woke up */
EV_API_DECL ev_tstamp ev_now (EV_P) EV_NOEXCEPT;
/* libev-ng only (LIBEV_NG_1.0): the monotonic time of the loop's last clock update */
EV_API_DECL ev_tstamp ev_monotonic_now (EV_P) EV_NOEXCEPT;

# else

/* single-loop builds: the loop is implicit */
EV_API_DECL int ev_default_loop (unsigned int flags EV_CPP (= 0)) EV_NOEXCEPT;

EV_API_DECL ev_tstamp ev_rt_now;

EV_INLINE ev_tstamp
ev_now (void) EV_NOEXCEPT
{
  return ev_rt_now;
}

EV_INLINE int
ev_is_default_loop (void) EV_NOEXCEPT
{
  return 1;
}

# endif /* EV_MULTIPLICITY */

/* destroys a loop; runs its cleanup watchers (and anything pending) first */
EV_API_DECL void ev_loop_destroy (EV_P);

/* announce a fork: the next iteration rebuilds kernel state and runs the
 * fork watchers */
EV_API_DECL void ev_loop_fork (EV_P) EV_NOEXCEPT;

EV_API_DECL unsigned int ev_backend (EV_P) EV_NOEXCEPT;

EV_API_DECL void ev_now_update (EV_P) EV_NOEXCEPT;

#if EV_WALK_ENABLE
/* libev-ng only (LIBEV_NG_1.0; libev 4.33 declares ev_walk but has no such symbol): call cb for
 * every active watcher of the given types (EV_IO | EV_TIMER ...); print the loop's active and
 * pending watchers */
EV_API_DECL void ev_walk (EV_P_ int types, void (*cb)(EV_P_ int type, void *w)) EV_NOEXCEPT;
EV_API_DECL void ev_dump (EV_P_ FILE *stream) EV_NOEXCEPT;
#endif

/* 0: m filled; -1: metrics are off (m's members zeroed) */
EV_API_DECL int ev_metrics_get (EV_P_ struct ev_metrics *m) EV_NOEXCEPT;
EV_API_DECL void ev_metrics_enable (EV_P_ int on) EV_NOEXCEPT; /* on: count (from zero if off); 0: stop */
EV_API_DECL void ev_metrics_reset (EV_P) EV_NOEXCEPT;          /* count from zero again */

/* libev-ng only (LIBEV_NG_1.0), kept for the programs written for it: -1 with errno ENOSYS, report
 * never called.  The watchdog is ev-watchdog(1), which runs the program or attaches to it and reads
 * its loops from outside; the library starts nothing (ev(3) "Watchdog").  ev_watchdog_stop does
 * nothing. */
EV_API_DECL int ev_watchdog_start (EV_P_ ev_tstamp threshold,
                                   void (*report)(const struct ev_watchdog_report *r, void *data),
                                   void *data) EV_NOEXCEPT;
EV_API_DECL void ev_watchdog_stop (EV_P) EV_NOEXCEPT;

/* libev-ng only (LIBEV_NG_1.1, EV_NG_FEATURE_POST; ev(3) "Posting work to a loop").
 * ev_ng_post_enable, in the loop's thread, before any post: 0, or -ENOMEM.  From any thread,
 * ev_ng_post queues cb (loop, arg) for the loop to call in its own thread, in FIFO order per
 * producer: 0, -ENOMEM when the allocator had no memory (nothing queued), -EINVAL when posting
 * is not enabled.  ev_ng_post_owned queues a node the caller owns, async-signal-safe: 0, 1 when
 * it is still queued (it runs once), or -EINVAL.  ev_ng_post_drain, in the loop's thread, calls
 * every queued function now and returns how many; ev_loop_destroy does it first. */
EV_API_DECL int ev_ng_post_enable (EV_P) EV_NOEXCEPT;
EV_API_DECL int ev_ng_post (EV_P_ void (*cb)(EV_P_ void *arg), void *arg) EV_NOEXCEPT;
EV_API_DECL int ev_ng_post_owned (EV_P_ struct ev_ng_post_node *node) EV_NOEXCEPT;
EV_API_DECL int ev_ng_post_drain (EV_P);

/* libev-ng only (LIBEV_NG_1.1, EV_NG_FEATURE_STREAM; ev(3) "Streams: the loop does the I/O").
 * ev_ng_stream_recv, in the callback after EV_READ: the next bytes that arrived (their count,
 * *data set to them), 0 at the end of the stream, -1 with errno EAGAIN when nothing more has
 * arrived.  ev_ng_stream_keep keeps the bytes of the last recv past the callback (0 when there
 * are none) until ev_ng_buffer_release gives the value back.  The sends return 0, or -1 with
 * errno: ENOBUFS (over limit, nothing queued), ENOMEM, EPIPE (after a shutdown), ENOTCONN (the
 * watcher is not active). */
EV_API_DECL void ev_ng_stream_start (EV_P_ ev_ng_stream *w) EV_NOEXCEPT;
EV_API_DECL void ev_ng_stream_stop (EV_P_ ev_ng_stream *w);
EV_API_DECL int ev_ng_stream_recv (EV_P_ ev_ng_stream *w, const char **data) EV_NOEXCEPT;
EV_API_DECL void *ev_ng_stream_keep (EV_P_ ev_ng_stream *w) EV_NOEXCEPT;
EV_API_DECL void ev_ng_buffer_release (EV_P_ void *buffer) EV_NOEXCEPT;
EV_API_DECL int ev_ng_stream_send (EV_P_ ev_ng_stream *w, const void *data, size_t len) EV_NOEXCEPT;
EV_API_DECL int ev_ng_stream_send_ref (EV_P_ ev_ng_stream *w, const void *data, size_t len,
                                       ev_ng_send_done done) EV_NOEXCEPT;
EV_API_DECL int ev_ng_stream_shutdown (EV_P_ ev_ng_stream *w) EV_NOEXCEPT;
/* ev_ng_accept_take, in the callback after EV_READ: the next connection, a non-blocking socket
 * that is not inherited by exec, or -1 with errno EAGAIN (none waits), EMFILE or ENFILE (no
 * descriptor left: the connection waits in the kernel). */
EV_API_DECL void ev_ng_accept_start (EV_P_ ev_ng_accept *w) EV_NOEXCEPT;
EV_API_DECL void ev_ng_accept_stop (EV_P_ ev_ng_accept *w) EV_NOEXCEPT;
EV_API_DECL int ev_ng_accept_take (EV_P_ ev_ng_accept *w) EV_NOEXCEPT;

/* FUNCTIONS CONTROLLING EVENT LOOPS */
EV_API_DECL int  ev_run (EV_P_ int flags EV_CPP (= 0));
EV_API_DECL void ev_break (EV_P_ int how EV_CPP (= EVBREAK_ONE)) EV_NOEXCEPT;

/* a reference keeps ev_run running; every active watcher holds one */
EV_API_DECL void ev_ref   (EV_P) EV_NOEXCEPT;
EV_API_DECL void ev_unref (EV_P) EV_NOEXCEPT;

/* call cb(revents, arg) once, on io readiness of fd or after timeout */
EV_API_DECL void ev_once (EV_P_ int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg), void *arg) EV_NOEXCEPT;

EV_API_DECL void ev_invoke_pending (EV_P); /* invoke every pending watcher */

typedef void (*ev_loop_callback)(EV_P);

/* the "lesser used" functions: part of the full API (EV_FEATURES bit 8) */
# if EV_FEATURE_API
EV_API_DECL unsigned int ev_iteration (EV_P) EV_NOEXCEPT; /* number of polls so far */
EV_API_DECL unsigned int ev_depth     (EV_P) EV_NOEXCEPT; /* ev_run nesting depth */
EV_API_DECL void         ev_verify    (EV_P) EV_NOEXCEPT; /* check the internal structures */

EV_API_DECL void ev_set_io_collect_interval (EV_P_ ev_tstamp interval) EV_NOEXCEPT;
EV_API_DECL void ev_set_timeout_collect_interval (EV_P_ ev_tstamp interval) EV_NOEXCEPT;

EV_API_DECL void ev_set_userdata (EV_P_ void *data) EV_NOEXCEPT;
EV_API_DECL void *ev_userdata (EV_P) EV_NOEXCEPT;

EV_API_DECL void ev_set_invoke_pending_cb (EV_P_ ev_loop_callback invoke_pending_cb) EV_NOEXCEPT;
/* release is called before the loop blocks, acquire after it woke up */
EV_API_DECL void ev_set_loop_release_cb (EV_P_ void (*release)(EV_P) EV_NOEXCEPT, void (*acquire)(EV_P) EV_NOEXCEPT) EV_NOEXCEPT;
# endif

#if defined __clang__ && defined __cplusplus && __cplusplus < 201703L
# pragma clang diagnostic pop
#endif

EV_API_DECL unsigned int ev_pending_count (EV_P) EV_NOEXCEPT;

/* stop the clock while the process is suspended, so timers do not all fire */
EV_API_DECL void ev_suspend (EV_P) EV_NOEXCEPT;
EV_API_DECL void ev_resume  (EV_P) EV_NOEXCEPT;

/* GENERIC WATCHER FUNCTIONS */
EV_API_DECL void ev_feed_event     (EV_P_ void *w, int revents) EV_NOEXCEPT;
EV_API_DECL void ev_feed_fd_event  (EV_P_ int fd, int revents) EV_NOEXCEPT;
# if EV_SIGNAL_ENABLE
EV_API_DECL void ev_feed_signal    (int signum) EV_NOEXCEPT;
EV_API_DECL void ev_feed_signal_event (EV_P_ int signum) EV_NOEXCEPT;
# endif
EV_API_DECL void ev_invoke         (EV_P_ void *w, int revents);
EV_API_DECL int  ev_clear_pending  (EV_P_ void *w) EV_NOEXCEPT;

/* starting and stopping, one pair per watcher type */
EV_API_DECL void ev_io_start       (EV_P_ ev_io *w) EV_NOEXCEPT;
EV_API_DECL void ev_io_stop        (EV_P_ ev_io *w) EV_NOEXCEPT;

EV_API_DECL void ev_timer_start    (EV_P_ ev_timer *w) EV_NOEXCEPT;
EV_API_DECL void ev_timer_stop     (EV_P_ ev_timer *w) EV_NOEXCEPT;
/* restart with the repeat value as timeout (stop if repeat is 0) */
EV_API_DECL void ev_timer_again    (EV_P_ ev_timer *w) EV_NOEXCEPT;
/* time until the timer fires (its "at" value when inactive) */
EV_API_DECL ev_tstamp ev_timer_remaining (EV_P_ ev_timer *w) EV_NOEXCEPT;

# if EV_PERIODIC_ENABLE
EV_API_DECL void ev_periodic_start (EV_P_ ev_periodic *w) EV_NOEXCEPT;
EV_API_DECL void ev_periodic_stop  (EV_P_ ev_periodic *w) EV_NOEXCEPT;
EV_API_DECL void ev_periodic_again (EV_P_ ev_periodic *w) EV_NOEXCEPT;
# endif

# if EV_SIGNAL_ENABLE
/* a signal can be watched by one loop at a time */
EV_API_DECL void ev_signal_start   (EV_P_ ev_signal *w) EV_NOEXCEPT;
EV_API_DECL void ev_signal_stop    (EV_P_ ev_signal *w) EV_NOEXCEPT;
# endif

# if EV_CHILD_ENABLE
/* default loop only */
EV_API_DECL void ev_child_start    (EV_P_ ev_child *w) EV_NOEXCEPT;
EV_API_DECL void ev_child_stop     (EV_P_ ev_child *w) EV_NOEXCEPT;
# endif

# if EV_STAT_ENABLE
EV_API_DECL void ev_stat_start     (EV_P_ ev_stat *w) EV_NOEXCEPT;
EV_API_DECL void ev_stat_stop      (EV_P_ ev_stat *w) EV_NOEXCEPT;
EV_API_DECL void ev_stat_stat      (EV_P_ ev_stat *w) EV_NOEXCEPT; /* refresh w->attr now */
# endif

# if EV_IDLE_ENABLE
EV_API_DECL void ev_idle_start     (EV_P_ ev_idle *w) EV_NOEXCEPT;
EV_API_DECL void ev_idle_stop      (EV_P_ ev_idle *w) EV_NOEXCEPT;
# endif

#if EV_PREPARE_ENABLE
EV_API_DECL void ev_prepare_start  (EV_P_ ev_prepare *w) EV_NOEXCEPT;
EV_API_DECL void ev_prepare_stop   (EV_P_ ev_prepare *w) EV_NOEXCEPT;
#endif

#if EV_CHECK_ENABLE
EV_API_DECL void ev_check_start    (EV_P_ ev_check *w) EV_NOEXCEPT;
EV_API_DECL void ev_check_stop     (EV_P_ ev_check *w) EV_NOEXCEPT;
#endif

# if EV_FORK_ENABLE
EV_API_DECL void ev_fork_start     (EV_P_ ev_fork *w) EV_NOEXCEPT;
EV_API_DECL void ev_fork_stop      (EV_P_ ev_fork *w) EV_NOEXCEPT;
# endif

# if EV_CLEANUP_ENABLE
EV_API_DECL void ev_cleanup_start  (EV_P_ ev_cleanup *w) EV_NOEXCEPT;
EV_API_DECL void ev_cleanup_stop   (EV_P_ ev_cleanup *w) EV_NOEXCEPT;
# endif

# if EV_EMBED_ENABLE
/* only loops with a backend from ev_embeddable_backends() can be embedded */
EV_API_DECL void ev_embed_start    (EV_P_ ev_embed *w) EV_NOEXCEPT;
EV_API_DECL void ev_embed_stop     (EV_P_ ev_embed *w) EV_NOEXCEPT;
EV_API_DECL void ev_embed_sweep    (EV_P_ ev_embed *w) EV_NOEXCEPT;
# endif

# if EV_ASYNC_ENABLE
EV_API_DECL void ev_async_start    (EV_P_ ev_async *w) EV_NOEXCEPT;
EV_API_DECL void ev_async_stop     (EV_P_ ev_async *w) EV_NOEXCEPT;
/* thread- and async-signal-safe */
EV_API_DECL void ev_async_send     (EV_P_ ev_async *w) EV_NOEXCEPT;
# endif

#endif /* EV_PROTOTYPES */

/*==========================================================================*/
/* generic watcher access                                                   */
/*==========================================================================*/

/* ev_is_active, ev_is_pending, ev_priority and ev_set_priority accept a
 * pointer to any watcher type (or void *).  Reading the head through a
 * different struct type would violate the aliasing rules, so the head
 * integers are copied out byte-wise; compilers turn this into one load. */
EV_INLINE int
ev_watcher_int_ (const void *w, size_t offset) EV_NOEXCEPT
{
  int value;
  memcpy (&value, (const char *)w + offset, sizeof value);
  return value;
}

#if EV_MINPRI != EV_MAXPRI
EV_INLINE void
ev_watcher_set_priority_ (void *w, int priority) EV_NOEXCEPT
{
  memcpy ((char *)w + offsetof (ev_watcher, priority), &priority, sizeof priority);
}
#endif

/* these need the watcher's own (typed) pointer, as in libev; a program with
 * its own EV_CB_DECLARE may define them to match it */
#ifndef ev_cb_
# define ev_cb_(ev)          (ev)->cb
#endif
#ifndef ev_cb
# define ev_cb(ev)           (ev)->cb
#endif
#ifndef ev_set_cb
# define ev_set_cb(ev,cb_)   ((void)(ev_cb_ (ev) = (cb_)))
#endif

#define ev_is_active(ev)    ev_watcher_int_ ((ev), offsetof (ev_watcher, active))
#define ev_is_pending(ev)   ev_watcher_int_ ((ev), offsetof (ev_watcher, pending))

#if EV_MINPRI == EV_MAXPRI
# define ev_priority(ev)         ((void)(ev), EV_MINPRI)
# define ev_set_priority(ev,pri) ((void)(ev), (void)(pri))
#else
# define ev_priority(ev)         ev_watcher_int_ ((ev), offsetof (ev_watcher, priority))
# define ev_set_priority(ev,pri) ev_watcher_set_priority_ ((ev), (pri))
#endif

#if EV_MINPRI == EV_MAXPRI
# define ev_init_priority_(ev)
#else
# define ev_init_priority_(ev) (ev)->priority = 0;
#endif

/* ev_init: initialise the generic part; the watcher must not be active */
#define ev_init(ev,cb_) do {            \
    (ev)->active = 0;                   \
    (ev)->pending = 0;                  \
    ev_init_priority_ (ev)              \
    ev_set_cb ((ev), cb_);              \
  } while (0)

/* ev_TYPE_set: the type-specific parameters (watcher must be stopped) */
#define ev_io_set(ev,fd_,events_)  do { (ev)->fd = (fd_); (ev)->events = (events_) | EV__IOFDSET; } while (0)
#define ev_timer_set(ev,after_,repeat_) do { (ev)->at = (after_); (ev)->repeat = (repeat_); } while (0)
#define ev_periodic_set(ev,ofs_,ival_,rcb_) do { (ev)->offset = (ofs_); (ev)->interval = (ival_); (ev)->reschedule_cb = (rcb_); } while (0)
#define ev_signal_set(ev,signum_)  do { (ev)->signum = (signum_); } while (0)
#define ev_child_set(ev,pid_,trace_) do { (ev)->pid = (pid_); (ev)->flags = !!(trace_); } while (0)
#define ev_stat_set(ev,path_,interval_) do { (ev)->path = (path_); (ev)->interval = (interval_); (ev)->wd = -2; } while (0)
#define ev_idle_set(ev)            /* no parameters */
#define ev_prepare_set(ev)         /* no parameters */
#define ev_check_set(ev)           /* no parameters */
#define ev_embed_set(ev,other_)    do { (ev)->other = (other_); } while (0)
#define ev_fork_set(ev)            /* no parameters */
#define ev_cleanup_set(ev)         /* no parameters */
#define ev_async_set(ev)           /* no parameters */

/* libev-ng only (EV_NG_FEATURE_STREAM): a stream watcher on fd, a listening one; set keeps limit */
#define ev_ng_stream_set(ev,fd_,events_) do { (ev)->fd = (fd_); (ev)->events = (events_); (ev)->err = 0; (ev)->queued = 0; (ev)->ev_ng_state = 0; } while (0)
#define ev_ng_stream_init(ev,cb,fd,events) do { ev_init ((ev), (cb)); (ev)->limit = 0; ev_ng_stream_set ((ev), (fd), (events)); } while (0)
#define ev_ng_accept_set(ev,fd_) do { (ev)->fd = (fd_); (ev)->err = 0; (ev)->ev_ng_state = 0; } while (0)
#define ev_ng_accept_init(ev,cb,fd) do { ev_init ((ev), (cb)); ev_ng_accept_set ((ev), (fd)); } while (0)

/* ev_io_modify: change the event mask only (keeps an unconsumed EV__IOFDSET) */
#define ev_io_modify(ev,events_)   do { (ev)->events = ((ev)->events & EV__IOFDSET) | (events_); } while (0)

/* ev_TYPE_init: ev_init plus ev_TYPE_set */
#define ev_io_init(ev,cb,fd,events)          do { ev_init ((ev), (cb)); ev_io_set ((ev), (fd), (events)); } while (0)
#define ev_timer_init(ev,cb,after,repeat)    do { ev_init ((ev), (cb)); ev_timer_set ((ev), (after), (repeat)); } while (0)
#define ev_periodic_init(ev,cb,ofs,ival,rcb) do { ev_init ((ev), (cb)); ev_periodic_set ((ev), (ofs), (ival), (rcb)); } while (0)
#define ev_signal_init(ev,cb,signum)         do { ev_init ((ev), (cb)); ev_signal_set ((ev), (signum)); } while (0)
#define ev_child_init(ev,cb,pid,trace)       do { ev_init ((ev), (cb)); ev_child_set ((ev), (pid), (trace)); } while (0)
#define ev_stat_init(ev,cb,path,interval)    do { ev_init ((ev), (cb)); ev_stat_set ((ev), (path), (interval)); } while (0)
#define ev_idle_init(ev,cb)                  do { ev_init ((ev), (cb)); ev_idle_set ((ev)); } while (0)
#define ev_prepare_init(ev,cb)               do { ev_init ((ev), (cb)); ev_prepare_set ((ev)); } while (0)
#define ev_check_init(ev,cb)                 do { ev_init ((ev), (cb)); ev_check_set ((ev)); } while (0)
#define ev_embed_init(ev,cb,other)           do { ev_init ((ev), (cb)); ev_embed_set ((ev), (other)); } while (0)
#define ev_fork_init(ev,cb)                  do { ev_init ((ev), (cb)); ev_fork_set ((ev)); } while (0)
#define ev_cleanup_init(ev,cb)               do { ev_init ((ev), (cb)); ev_cleanup_set ((ev)); } while (0)
#define ev_async_init(ev,cb)                 do { ev_init ((ev), (cb)); ev_async_set ((ev)); } while (0)

/* [read-only] the next trigger time of an active periodic */
#define ev_periodic_at(ev) (+(ev)->at)

/* declare a callback: EV_CB (io, my_cb) { ... } */
#define EV_CB(type,name) void name (EV_P_ struct ev_ ## type *w, int revents)

/*==========================================================================*/
/* libev 3.x compatibility (PORTING FROM LIBEV 3.X TO 4.X in ev(3))         */
/*==========================================================================*/

#if EV_COMPAT3
# define EVLOOP_NONBLOCK EVRUN_NOWAIT
# define EVLOOP_ONESHOT  EVRUN_ONCE
# define EVUNLOOP_CANCEL EVBREAK_CANCEL
# define EVUNLOOP_ONE    EVBREAK_ONE
# define EVUNLOOP_ALL    EVBREAK_ALL
# if EV_PROTOTYPES
EV_INLINE void ev_loop   (EV_P_ int flags) { ev_run   (EV_A_ flags); }
EV_INLINE void ev_unloop (EV_P_ int how  ) { ev_break (EV_A_ how  ); }
#  if EV_MULTIPLICITY
/* note: EV_DEFAULT creates the default loop if there is none */
EV_INLINE void ev_default_destroy (void) { ev_loop_destroy (EV_DEFAULT); }
EV_INLINE void ev_default_fork    (void) { ev_loop_fork    (EV_DEFAULT); }
#  endif
#  if EV_FEATURE_API
EV_INLINE unsigned int ev_loop_count  (EV_P) { return ev_iteration (EV_A); }
EV_INLINE unsigned int ev_loop_depth  (EV_P) { return ev_depth     (EV_A); }
EV_INLINE void         ev_loop_verify (EV_P) {        ev_verify    (EV_A); }
#  endif
# endif
#else
typedef struct ev_loop ev_loop;
#endif

EV_CPP(})

#endif /* EV_H_ */
