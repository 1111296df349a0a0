// SPDX-License-Identifier: BSD-2-Clause
// backends/backend.h - THE VTABLE: what every backend (select, poll, epoll, io_uring; on Windows
// AFD and Winsock's select) provides to the loop, and the contract of each member.
//
// A backend waits for fd readiness.  Its kernel state is behind loop->backend_state, which it
// owns, and it may use the backend-owned bytes of every fd_entry; the loop sees nothing else.
//
// It comes in two parts: its table (backend_ops below), with creation, destruction, the repair
// after a fork, and modify and poll for callers not compiled for it; and its policy for the loop's
// iteration (loop/loop_run.cc).  Most backends give only their table, as table_policy below, and
// share one iteration calling through it.  A backend whose every wait counts (epoll, the default)
// also gives its hot paths, called inline by an iteration of its own:
//
//   struct NAME_policy {
//     static constexpr const backend_ops *ops = &NAME_backend;
//     // backend_ops::modify; e is fd's entry, at the caller's hand (after the caller's stores the
//     // callee would reload the table's address); errp is &errno, taken once for many calls
//     static void modify(ev_loop *loop, int fd, fd_entry &e, int oev, int nev, const int *errp);
//     // backend_ops::poll, inline.  `around`: the loop has work around the wait (kStepBlock), of
//     // which its hooks (kWorkHooks, hooked_wait in loop/loop.h) may be; without, it has none.
//     static void wait(ev_loop *loop, ev_tstamp timeout, bool around);
//   };
//
// Adding a backend such as kqueue takes these steps, after which the suites run on it too:
//  1. backends/<name>.cc with its table, one constinit backend_ops, opening with the lettered list
//     of the kernel quirks it handles, and backends/<name>.h with its policy;
//  2. one line in backends/policies.h, under its facility's test;
//  3. the facility's test in configure.ac (EV_NG_FACILITY), the sources in Makefile.am's one list,
//     LIBEV_ALL_FILES, in the group of the builds that compile them;
//  4. the kit: an #include in embed/ev_ng.cc, and when to use it in embed/ev_ng_facilities.h;
//  5. its blocking system call in backend_wait_call (tools/watchdog/sample.cc), for the watchdog;
//  6. its name and flag in the table of backends of t/harness.c;
//  7. the documents: ev(3)'s backend list (man/ev.pod), README's Platforms, doc/ARCHITECTURE.md.
#pragma once

#include "base/alloc.h"
#include "base/api.h"
#include "base/fdtable.h"

#include <time.h>
#include <cstddef>
#include <type_traits>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct ev_loop;

namespace ev_detail {

struct stream_io;
struct stream_buffer;

// A backend that does streams' I/O itself, completion style (ev(3) "Streams: the loop does the
// I/O"), instead of the loop's readiness engine: it receives into the pool's buffers and sends
// the queue, and reports what it did through fd/stream.h (stream_received, stream_sent,
// stream_ended, stream_failed, stream_accepted), which feed the watcher.  None of these may call
// the program; a report from the wait passes in_pass false.
struct stream_ops {
  // Take s (a stream or an accept watcher, s->kind) over: receive, or accept, while it asks
  // (kStreamReceiving, no pause), from the pool (pool_take).  False leaves s to the readiness
  // engine, which the backend may do for some streams only.
  bool (*start)(ev_loop *loop, stream_io *s);
  // s's queue has sends or a shutdown the backend has not taken yet: the flush step, once per
  // pass, so that the sends of a pass go to the kernel together.
  void (*send)(ev_loop *loop, stream_io *s);
  // Receiving may go on: the program took what arrived, or buffers came back to the pool.
  void (*resume)(ev_loop *loop, stream_io *s);
  // Stop s now: cancel what is in flight and wait for it, so that nothing of the backend's touches
  // s, its fd or its buffers after this returns (ev_ng_stream_stop's promise).  With s null, every
  // stream, and no buffer is taken any more: ev_loop_destroy frees them.
  void (*stop)(ev_loop *loop, stream_io *s);
  // A buffer lent for receiving came back to the pool: true if the backend keeps it for its
  // receives, lent still.
  bool (*take)(ev_loop *loop, stream_buffer *buf);
  // ev_run returns: what the flush step queued, which the next wait would have sent with it, goes
  // to the kernel now (ev(3): before ev_run returns).
  void (*run_end)(ev_loop *loop);
  // A step of the closed-fd sweep (fd/fd.h): what the backend holds for a descriptor the program
  // closed since goes.
  void (*sweep)(ev_loop *loop);
};

struct backend_ops {
  const char *name;   // "epoll", "poll", "select": for messages and tests
  unsigned int flag;  // its EVBACKEND_* bit

  // Shortest timeout poll() honours; shorter positive ones round up to it: never early, no spin.
  ev_tstamp mintime;

  // Create the kernel state for a new loop (loop->backend_state is null).  Returns false, leaving
  // nothing allocated, when the facility is missing or refuses; the registry tries the next one.
  bool (*init)(ev_loop *loop);

  // Release everything init/fork created; the loop is being destroyed.
  void (*destroy)(ev_loop *loop);

  // Repair before a poll (loop/loop_run.cc, loop_repair) after a fork or request_backend_rebuild:
  // replace kernel state shared with the parent or unusable, then queue every fd for
  // re-registration (fd_rearm_all).  Close the old kernel object first, so the new one exists even
  // at the fd limit, unless it was lost and its number may be reused.  If bounded ev_syserr retries
  // get no new object, kill every fd, set backend_fd to -1, then kill every fd asked for and poll
  // by sleeping.  Backends without shared kernel state do nothing.
  void (*fork)(ev_loop *loop);

  // The events wanted on fd changed from oev to nev.  nev may carry EV__IOFDSET: after ev_io_set
  // the number may denote another file and any cached kernel state for it is void, so oev == nev
  // is possible.  Report an invalid fd with fd_kill(), which only queues the callbacks.
  void (*modify)(ev_loop *loop, int fd, int oev, int nev);

  // Block at most `timeout` seconds, not at all for 0, and report ready fds with fd_event(); the
  // loop's hooks, while it has them (kWorkHooks), surround the blocking system call only
  // (hooked_wait, loop/loop.h), in a policy's wait too.  EINTR returns early and quietly; other failures go to
  // ev_syserr, then sleep for the timeout (wait_failed), so that a syserr callback that returns never spins.
  void (*poll)(ev_loop *loop, ev_tstamp timeout);

  // The kernel does not report closed watched fds; the sweep polls them (fd/fd.h, fd_sweep_step).
  bool sweeps;

  // An fd registered with kFdEdge (base/fdtable.h) is reported once per change of readiness, not
  // in every poll while ready; null for never.  Asked when the wake-up fd is made (fd/wakeup.cc).
  bool (*edge_triggered)(const ev_loop *loop);

  // The sweep found fd ready for what its watchers want but none of them pending, so the kernel
  // may watch a closed file whose number was reused: check, then fd_kill or follow the number.
  // Null where the kernel watches numbers.
  void (*recheck)(ev_loop *loop, int fd);

  // ev_embed_start is about to embed the loop: from now on backend_fd must become readable
  // whenever events wait, also while another loop blocks on it.  Null where it always does.
  void (*embedded)(ev_loop *loop);

  // In a fork(3) child, from its child handler before anything else runs, so async-signal-safe
  // calls only: let go of what the child's copy of the kernel state would keep alive for the
  // parent; the repair after the fork makes the child's own.  Null where nothing would.
  void (*child_after_fork)(ev_loop *loop);

  // Whether the system lets loops use the backend at all, for ev_supported_backends: init may fail
  // for a loop all the same.  Null where the build's having it is enough.
  bool (*usable)();

  // Streams' I/O done by the backend itself (stream_ops above); null where the loop's readiness
  // engine does it, through io watchers on the streams' fds (fd/stream.cc).
  const stream_ops *streams;

  // The io collect interval's sleep before the next poll, `window` seconds (ev_set_io_collect_interval):
  // true if that poll's wait collects for it itself, so that the loop does not sleep; false, or
  // null, for the loop's sleep.  Told 0 when the loop does not collect for the next poll.
  bool (*collect)(ev_loop *loop, ev_tstamp window);
};

// The policy of a backend that gives only its table (see the top).
template <const backend_ops *Ops>
struct table_policy {
  static constexpr const backend_ops *ops = Ops;
};

// A backend's state, in the slot loop->backend_state since the loop's layout is a floor above this
// one.  init zeroes it; destroy frees it and clears the slot, so a second destroy finds nothing.
template <class State>
State *backend_state_new(void *&slot)
{
  auto *st = static_cast<State *>(ev_realloc(nullptr, sizeof(State)));
  *st = State{};
  slot = st;
  return st;
}

inline void backend_state_free(void *&slot)
{
  ev_free(slot);
  slot = nullptr;
}

// The table of a backend that watches fd numbers with no kernel object of its own (select, poll):
// the wait reports a closed fd, so no sweep or recheck; every wait is level-triggered; and a child
// shares nothing with its parent, so fork does nothing.
inline void fork_shares_nothing(ev_loop *) {}
constexpr backend_ops number_watching_backend(const char *name, unsigned int flag, ev_tstamp mintime,
                                              bool (*init)(ev_loop *), void (*destroy)(ev_loop *),
                                              void (*modify)(ev_loop *, int, int, int),
                                              void (*poll)(ev_loop *, ev_tstamp))
{
  return {name,    flag,    mintime, init,    destroy, fork_shares_nothing, modify, poll, false, nullptr, nullptr,
          nullptr, nullptr, nullptr, nullptr, nullptr};
}

// A backend that cannot wait in the kernel (the wait failed, or no kernel object) sleeps instead,
// at most this long at a time, so that timers keep their time and sends and signals, whose flags
// the loop checks after every poll, are noticed within it without spinning.
inline constexpr ev_tstamp kSleepInsteadOfWait = 0.1;

// A wait failed, not by EINTR: report it, sleep instead (poll above, kSleepInsteadOfWait).
void wait_failed(const char *msg, ev_tstamp timeout);
// No kernel object to wait in: sleep instead, between the hooks.
void sleep_instead_of_waiting(ev_loop *loop, ev_tstamp timeout);

// ms for epoll_wait/poll: rounded up, never early; at most 2e9; 0 for 0, negative times and NaN.
// SSE2 clamps without a branch, where GCC compiles the plain form to two tests every poll takes.
inline int timeout_to_ms(ev_tstamp timeout)
{
  double ms = timeout * 1e3 + 0.9999;
#ifdef __SSE2__
  __m128d v = _mm_max_sd(_mm_set_sd(ms), _mm_setzero_pd());
  return _mm_cvttsd_si32(_mm_min_sd(v, _mm_set_sd(2.0e9)));
#else
  ms = ms > 0. ? ms : 0.;
  return static_cast<int>(ms < 2.0e9 ? ms : 2.0e9);
#endif
}

// The same as a timespec (EVFLAG_NG_PRECISE_TIMERS): rounded up to the nanosecond, never early.
inline struct timespec timeout_to_timespec(ev_tstamp timeout)
{
  struct timespec ts = {0, 0};
  if (!(timeout > 0.))  // NaN too
    return ts;
  if (timeout > 2.0e9)
    timeout = 2.0e9;
  ts.tv_sec = static_cast<time_t>(timeout);
  ts.tv_nsec = static_cast<long>((timeout - static_cast<ev_tstamp>(ts.tv_sec)) * 1e9 + 0.999999);
  if (ts.tv_nsec >= 1000000000L) {
    ++ts.tv_sec;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

}  // namespace ev_detail
