// loop.h - struct ev_loop (opaque to users) and the internal interface that
// every module of the core sees.
//
// The loop object is created zeroed (placement new with value
// initialisation) and holds all per-loop state; the only process-wide state
// is in watchers/signal.cc (which loop owns which signal) and
// watchers/child.cc (child watchers by pid).  Members are grouped by the
// module that owns them; the hot ones come first.
#pragma once

#include "backends/backend.h"
#include "core/array.h"
#include "core/clock.h"
#include "core/fdtable.h"
#include "core/heap.h"
#include "core/pending.h"
#include "core/wakeup.h"

#include <atomic>
#include <signal.h>
#include <sys/types.h>

namespace ev_detail {

// ev_stat watchers are found by inotify watch descriptor in a small hash.
inline constexpr int kInotifyHashSize = 16;

}  // namespace ev_detail

struct ev_loop {
  // --- time (core/clock.cc) -------------------------------------------------
  ev_tstamp ev_rt_now;       // ev_now(): wall-clock time of the last update
  ev_tstamp mn_now;          // CLOCK_MONOTONIC of the last update
  ev_tstamp rt_offset;       // ev_rt_now - mn_now, re-measured every 0.5 s
  ev_tstamp rt_recheck_at;   // mn_now at which to read the wall clock again

  // --- optional work of an iteration (see kExtra* below) -------------------
  unsigned extras;

  // --- invocation (ev.cc, core/pending.h) -----------------------------------
  ev_detail::pending_queues pending;
  int activecnt;             // references: ev_run runs while > 0
  int loop_done;             // EVBREAK_* requested by ev_break
  unsigned int loop_count;   // ev_iteration(): polls so far
  unsigned int loop_depth;   // ev_depth(): nesting of ev_run
  ev_loop_callback invoke_cb;  // ev_set_invoke_pending_cb, default ev_invoke_pending

  // --- backend (backends/) ---------------------------------------------------
  const ev_detail::backend_ops *backend;
  void *backend_state;       // owned by the backend
  int backend_fd;            // the fd an embedding loop watches (epoll), else -1
  int backend_rebuild;       // the backend wants its kernel state rebuilt
  ev_detail::fd_table fds;   // io watchers per fd and the change queue

  // --- timers and periodics (watchers/timer.cc, periodic.cc) ----------------
  ev_detail::heap timers;
  ev_detail::heap periodics;
  ev_detail::array<ev_detail::W> rfeeds;  // expired watchers, fed in reverse

  // --- watchers kept in plain arrays; `active` is the 1-based index ---------
  ev_detail::array<ev_detail::W> idles[ev_detail::kNumPri];
  int idleall;               // active idle watchers over all priorities
  ev_detail::array<ev_detail::W> prepares;
  ev_detail::array<ev_detail::W> checks;
  ev_detail::array<ev_detail::W> forks;
  ev_detail::array<ev_detail::W> cleanups;
  ev_detail::array<ev_detail::W> asyncs;

  // --- blocking policy (ev_run) --------------------------------------------
  ev_tstamp io_blocktime;       // ev_set_io_collect_interval
  ev_tstamp timeout_blocktime;  // ev_set_timeout_collect_interval
  ev_tstamp suspended_at;       // mn_now at ev_suspend
  ev_tstamp max_block;          // longest poll: kMaxBlockTime, longer with a timerfd
  ev_tstamp backend_mintime;    // loop->backend->mintime

  // --- hooks -------------------------------------------------------------
  void *userdata;
  void (*release_cb)(ev_loop *loop) noexcept;
  void (*acquire_cb)(ev_loop *loop) noexcept;
  int in_release;            // inside release/acquire: ev_run is forbidden

  // --- creation flags and fork detection -----------------------------------
  unsigned int flags;        // the flags the loop was created with (after LIBEV_FLAGS)
  pid_t curpid;              // EVFLAG_FORKCHECK: the pid seen last
  int postfork;              // a fork was announced: rebuild before polling

  // --- wake-up fd (core/wakeup.cc) -------------------------------------------
  int evpipe[2];             // eventfd in both slots, or a pipe; -1 when unused
  ev_io pipe_w;              // internal io watcher on evpipe[0]
  std::atomic<int> pipe_write_wanted;  // the loop is (about to be) blocked
  std::atomic<int> pipe_write_skipped; // a sender set a flag without writing
  std::atomic<int> sig_pending;        // some signal of this loop arrived
  std::atomic<int> async_pending;      // some ev_async of this loop was sent

  // --- signalfd (watchers/signal.cc, EVFLAG_SIGNALFD) ----------------------
  int sigfd;                 // -1: signals use handlers
  ev_io sigfd_w;
  sigset_t sigfd_set;

  // --- timerfd (watchers/periodic.cc): prompt wall-clock jump detection ----
  int timerfd;               // -1 until the first periodic; -2 unavailable
  ev_io timerfd_w;

  // --- inotify (watchers/stat.cc) ------------------------------------------
  int fs_fd;                 // -1 until the first ev_stat; -2 unavailable
  ev_io fs_w;
  ev_detail::WL fs_hash[ev_detail::kInotifyHashSize];

  // --- default loop only (watchers/child.cc) -------------------------------
  ev_signal childev;         // internal SIGCHLD watcher, holds no reference
};

namespace ev_detail {

// ---------------------------------------------------------------------------
// loop->extras: which optional parts of an iteration have work.  Most loops
// have no prepare/check/idle/periodic watchers, no fork to handle and no
// hooks, and one test of this mask skips all of them; the bits are set and
// cleared where the state they summarise changes (ev_verify checks them).
// ---------------------------------------------------------------------------
enum : unsigned {
  kExtraForkcheck = 1u << 0,  // EVFLAG_FORKCHECK: compare getpid() each time
  kExtraPostfork = 1u << 1,   // a fork was announced, or the backend wants a rebuild
  kExtraPrepare = 1u << 2,    // prepare watchers are active
  kExtraCheck = 1u << 3,      // check watchers are active
  kExtraIdle = 1u << 4,       // idle watchers are active
  kExtraPeriodic = 1u << 5,   // periodics are active
  kExtraWakeup = 1u << 6,     // the wake-up fd exists (ev_async, ev_signal)
  kExtraCollect = 1u << 7,    // io or timeout collect interval set
  kExtraHooks = 1u << 8,      // release/acquire callbacks set
  kExtraInvokeCb = 1u << 9,   // ev_set_invoke_pending_cb replaced the invocation
};

// What the flags summarise, computed from scratch (ev_verify compares).
unsigned extras_from_state(const ev_loop *loop);

inline void extras_set(ev_loop *loop, unsigned bit, bool on)
{
  loop->extras = on ? loop->extras | bit : loop->extras & ~bit;
}

// A backend found its kernel state unusable: rebuild it before the next poll.
inline void request_backend_rebuild(ev_loop *loop)
{
  loop->backend_rebuild = 1;
  loop->extras |= kExtraPostfork;
}

// ---------------------------------------------------------------------------
// Watcher life cycle helpers (ev(3) WATCHER STATES)
// ---------------------------------------------------------------------------

// Starting clamps the priority into range and writes it back (libev does).
inline void clamp_priority(W w)
{
  if (EV_UNLIKELY(w->priority < EV_MINPRI))
    w->priority = EV_MINPRI;
  else if (EV_UNLIKELY(w->priority > EV_MAXPRI))
    w->priority = EV_MAXPRI;
}

inline void start_watcher(ev_loop *loop, W w, int active)
{
  clamp_priority(w);
  w->active = active;
  ++loop->activecnt;
}

inline void stop_watcher(ev_loop *loop, W w)
{
  --loop->activecnt;
  w->active = 0;
}

inline void feed(ev_loop *loop, W w, int revents) { loop->pending.feed(w, revents); }
inline int clear_pending(ev_loop *loop, W w) { return loop->pending.clear(w); }

// Feed a whole watcher array in index order (the later ones are invoked
// first), as a virtual batch when possible (core/pending.h).  The array must
// not change while the batch is virtual: the start and stop functions of
// the watcher types queued this way (prepare, check, idle, fork, cleanup)
// settle the queue first.
inline void queue_events(ev_loop *loop, W *ws, int n, int type) { loop->pending.feed_batch(ws, n, type); }

// Feed the collected rfeeds in reverse, so that they are invoked in the
// order they were collected (timers and periodics: earliest first).
inline void feed_reverse_done(ev_loop *loop, int type)
{
  while (loop->rfeeds.count)
    feed(loop, loop->rfeeds.data[--loop->rfeeds.count], type);
}

// Invoke everything pending through the user's invoke-pending hook.  A user
// hook is called every time (it may count calls, as with libev); the
// default one is skipped when there is nothing to invoke.
inline void invoke_pending(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->extras & kExtraInvokeCb))
    loop->invoke_cb(loop);
  else if (loop->pending.mask)
    ev_invoke_pending(loop);
}

// Singly linked lists of io/signal/child/stat watchers (newest first).
inline void wlist_add(WL *head, WL w)
{
  w->next = *head;
  *head = w;
}

inline void wlist_del(WL *head, WL w)
{
  while (*head) {
    if (*head == w) {
      *head = w->next;
      return;
    }
    head = &(*head)->next;
  }
}

// Array watchers: remove by swapping the last element into the hole.
inline void array_del(array<W> &a, W w)
{
  int i = w->active - 1;
  W last = a.data[--a.count];
  a.data[i] = last;
  last->active = i + 1;
}

// Internal watchers (the wake-up fd, signalfd, timerfd, inotify, SIGCHLD)
// must not keep ev_run running: they give their reference back.
inline void start_internal_io(ev_loop *loop, ev_io *w);
inline void stop_internal_io(ev_loop *loop, ev_io *w);

// Release/acquire hooks around the blocking system call of a backend.
// ev_run must not be entered from them (ev(3)): in_release marks that.
inline void release_hook(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->extras & kExtraHooks) && loop->release_cb) {
    loop->in_release = 1;
    loop->release_cb(loop);
    loop->in_release = 0;
  }
}
inline void acquire_hook(ev_loop *loop)
{
  if (EV_UNLIKELY(loop->extras & kExtraHooks) && loop->acquire_cb) {
    loop->in_release = 1;
    loop->acquire_cb(loop);
    loop->in_release = 0;
  }
}

// ev_verify after structural changes, in --enable-debug builds only.
void verify(ev_loop *loop);
#ifdef EV_NG_DEBUG
# define EV_FREQUENT_CHECK(loop) ::ev_detail::verify(loop)
#else
# define EV_FREQUENT_CHECK(loop) ((void)0)
#endif

// ---------------------------------------------------------------------------
// Per-iteration steps provided by the watcher modules (watchers/*.cc)
// ---------------------------------------------------------------------------
void timers_reify(ev_loop *loop);             // queue expired timers
void timers_shift(ev_loop *loop, ev_tstamp d);  // ev_resume: move all deadlines
void periodics_reify(ev_loop *loop);          // queue due periodics
void periodics_reschedule(ev_loop *loop);     // after a wall-clock jump / resume
void idle_reify(ev_loop *loop);               // queue idles per the idle rule
void signals_process(ev_loop *loop);          // the wake-up fd reported signals
void asyncs_process(ev_loop *loop);           // the wake-up fd reported sends
void signals_loop_destroy(ev_loop *loop);     // forget signals owned by loop
void signalfd_fork(ev_loop *loop);
void child_default_loop_init(ev_loop *loop);  // SIGCHLD watcher of the default loop
void child_default_loop_destroy(ev_loop *loop);
void stat_fork(ev_loop *loop);                // re-create inotify state
void stat_loop_destroy(ev_loop *loop);
void timerfd_fork(ev_loop *loop);
void timerfd_destroy(ev_loop *loop);

// The loop functions the watcher modules call back.
void loop_fork_rebuild(ev_loop *loop);

}  // namespace ev_detail

// ---------------------------------------------------------------------------
// Hot paths, inline (declared in core/clock.h and core/fdtable.h)
// ---------------------------------------------------------------------------

// Fast path: read the monotonic clock and derive the wall clock from it;
// re-measure the wall clock every kRealtimeRecheck seconds.
inline void ev_detail::time_update(ev_loop *loop)
{
  ev_tstamp mn = monotonic_now();
  loop->mn_now = mn;
  if (EV_LIKELY(mn < loop->rt_recheck_at))
    loop->ev_rt_now = loop->rt_offset + mn;
  else
    time_update_realtime(loop);
}

// The backend reports events on fd: every watcher gets its share, newest
// first (LIFO invocation then runs them in start order).
inline void ev_detail::fd_event(ev_loop *loop, int fd, int revents)
{
  for (WL w = loop->fds.entries[fd].head; w; w = w->next) {
    int ev = reinterpret_cast<ev_io *>(w)->events & revents;
    if (ev)
      feed(loop, as_w(w), ev);
  }
}

inline void ev_detail::start_internal_io(ev_loop *loop, ev_io *w)
{
  ev_io_start(loop, w);
  ev_unref(loop);
}

inline void ev_detail::stop_internal_io(ev_loop *loop, ev_io *w)
{
  if (w->active) {
    ev_ref(loop);
    ev_io_stop(loop, w);
  }
}
