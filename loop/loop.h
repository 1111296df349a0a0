// SPDX-License-Identifier: BSD-2-Clause
// loop/loop.h - struct ev_loop, opaque to users, and the internal interface of the core.
//
// The loop object is created zeroed by placement new and holds all per-loop state.  The only
// process-wide state is which loops watch which signal (watchers/signal.cc), child watchers by pid
// (watchers/child.cc), the reaping lock and the pids other loops wait for
// (watchers/child_pidfd.cc), and the page that tells a forked child it is one
// (loop/fork_guard.cc).  Members are grouped by the module that owns them, the hot ones first.
#pragma once

#include "backends/backend.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/fdtable.h"
#include "base/heap.h"
#include "base/pending.h"
#include "base/ptr_map.h"

#include <signal.h>
#include <sys/types.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace ev_detail {

// The optional work of an iteration (work_set): the steps with some, and who has work in which.
enum work_steps : unsigned char {
  kStepsBeforeBlock = 1 << 0,  // the fork check, fork and prepare watchers, recreating kernel state
  kStepBlockTime = 1 << 1,     // block time rules beyond "until the next timer"
  kStepBlock = 1 << 2,         // around the backend's call: the wake-up handshake, hooks, metrics
  kStepsQueue = 1 << 3,        // after the timers: periodics, idle and check watchers
  kStepInvoke = 1 << 4,        // calling the queued watchers another way than the default pass, or work after it
};

// The steps after the timers, which iterate tests at once.
constexpr unsigned kStepsAfterTimers = kStepsQueue | kStepInvoke;

enum work_member : unsigned char {
  kWorkForkCheck,  // EVFLAG_FORKCHECK: look at the pid (loop->curpid)
  kWorkRepair,     // a fork to handle, kernel state to recreate (loop->repair)
  kWorkPrepare,    // prepare watchers
  kWorkIdle,       // idle watchers: no blocking, and queued when nothing else is
  kWorkPeriodic,   // periodics: they bound the block time, and are queued when due
  kWorkCheck,      // check watchers
  kWorkError,      // the loop queued an EV_ERROR itself, which must not wait (feed_error)
  kWorkWakeup,     // the wake-up fd of ev_async and signals (fd/wakeup.h)
  kWorkCollect,    // the io and timeout collect intervals
  kWorkHooks,      // release and acquire callbacks
  kWorkInvokeCb,   // the program's invoke-pending callback
  kWorkMetrics,    // the loop metrics (diag/metrics.h)
  kWorkDebug,      // debug mode (diag/debug.h)
  kWorkProbes,     // a tracer attached to the static probes (diag/probes.h)
  kWorkBoottime,   // EVFLAG_NG_BOOTTIME: the clock is updated before the block time, which counts a suspend
  kWorkStreams,    // streams with sends, or with bytes or errors to hand over again (fd/stream.h)
  kWorkMembers
};

// The one table: the steps in which each member has work.
inline constexpr unsigned char kWorkSteps[kWorkMembers] = {
    /* kWorkForkCheck */ kStepsBeforeBlock,
    /* kWorkRepair    */ kStepsBeforeBlock,
    /* kWorkPrepare   */ kStepsBeforeBlock,
    /* kWorkIdle      */ kStepBlockTime | kStepsQueue,
    /* kWorkPeriodic  */ kStepBlockTime | kStepsQueue,
    /* kWorkCheck     */ kStepsQueue,
    /* kWorkError     */ kStepBlockTime,
    /* kWorkWakeup    */ kStepBlock,
    /* kWorkCollect   */ kStepBlockTime,
    /* kWorkHooks     */ kStepBlockTime | kStepBlock,
    /* kWorkInvokeCb  */ kStepInvoke,
    /* kWorkMetrics   */ kStepBlock | kStepInvoke,
    /* kWorkDebug     */ kStepsBeforeBlock | kStepsQueue | kStepInvoke,
    /* kWorkProbes    */ kStepBlock | kStepInvoke,
    /* kWorkBoottime  */ kStepBlockTime,
    /* kWorkStreams   */ kStepInvoke,
};

// The members with work in any of `steps`, as bits of loop->work.
constexpr unsigned members_in(unsigned steps)
{
  unsigned members = 0;
  for (int m = 0; m < kWorkMembers; ++m)
    if (kWorkSteps[m] & steps)
      members |= 1u << m;
  return members;
}
static_assert(kWorkMembers <= 32, "loop->work has a bit per member");

struct once_block;
struct pidfd_child;
struct async_sent_groups;
struct debug_state;
struct metrics_block;
struct post_block;
struct loop_rare;
struct stream_block;

// ev_stat watchers are found by inotify watch descriptor in a small hash.
inline constexpr int kInotifyHashSize = 16;

// One kernel fd the loop owns and watches itself with an internal io watcher, such as the
// wake-up fd.  The rules they all follow are in fd/loop_fd.h.
struct loop_fd {
  ev_io w;  // the internal watcher, active while the fd is watched
  int fd;   // >= 0: open; kLoopFdNone: not created yet; kLoopFdRefused: the system refused it
};
inline constexpr int kLoopFdNone = -1;
inline constexpr int kLoopFdRefused = -2;

// Where an io watcher of a long per-fd list is linked (fd/io_list.h): the watcher before it,
// nullptr for the head, and the fd.  An fd's marker key entry holds in `own` how many of the
// loop's own watchers the list has.
struct io_index_entry {
  WL prev;
  int fd;
  int own;
};

// The closed-fd sweep, for backends the kernel does not tell of closes (fd/fd.h, fd_sweep_step).
struct fd_sweep_state {
  int cursor;          // the next fd table index to look at
  unsigned iteration;  // loop_count at the last step
  ev_tstamp look_at;   // mn_now from which fd_sweep_due looks (time_gate_update)
  ev_tstamp next_at;   // mn_now at which the next step is due
  ev_tstamp idle_at;   // ... or already then, if the loop is idle
};

// What the probes note when a wait begins, for its end (diag/probes.cc).
struct probes_poll_mark {
  std::int64_t started_ns;
  ev_tstamp next_timer;
  unsigned pending_before;
  bool firing;
};

// The state few loops need, in one block that the first of them makes (rare_get) and
// ev_loop_destroy frees, so that the loop object carries one pointer for all of it.  What has a
// life of its own stays a block of its own, reached from here: debug mode's outlives the loop, the
// metrics' goes when they are switched off, ev_ng_post's queue may not abort when memory is short.
struct loop_rare {
  debug_state *debug;      // null unless the loop runs in debug mode (diag/debug.cc)
  metrics_block *metrics;  // made when metrics are switched on (diag/metrics.cc)
  // ev_ng_post's queue (watchers/post.cc): null until ev_ng_post_enable, freed by ev_loop_destroy.
  // The loop's own block, never a watcher's member, since a program that compiles the core in
  // gives the watchers' user members its own types (EV_COMMON).
  std::atomic<post_block *> posts;
  // Which groups of ev_async watchers were sent to (watchers/async.cc), made by the first
  // ev_async_start, before a sender may read it.
  async_sent_groups *async_groups;
  // EVFLAG_NG_BOOTTIME: CLOCK_BOOTTIME - CLOCK_MONOTONIC, or more (watchers/timer.cc).
  ev_tstamp boottime_offset;
  probes_poll_mark probe_poll;  // the wait being probed (loop/loop_run.cc, wait_begin)
  stream_block *streams;        // made by the first stream or accept watcher (fd/stream.h)
#ifdef EV_NG_EMBED
  // ev_ng_set_wait_cb (embed/ev_ng_embed.h): the program runs the wait's system call itself.
  void (*wait_cb)(EV_P_ void *(*wait)(void *), void *arg);
#endif
};

}  // namespace ev_detail

struct ev_loop {
  ev_tstamp ev_rt_now;  // ev_now(): wall-clock time of the last update (loop/loop_time.cc)
  // CLOCK_MONOTONIC of the last update, written after every poll, before any callback: ev-watchdog
  // (tools/watchdog/sample.cc) reads it from outside as the start of the loop's busy time.
  ev_tstamp mn_now;
  ev_tstamp rt_offset;      // ev_rt_now - mn_now, re-measured every 0.5 s
  ev_tstamp rt_recheck_at;  // mn_now at which to read the wall clock again
  ev_tstamp slow_time_at;   // mn_now from which time_update takes its slow path (time_gate_update)

  unsigned work;                // the optional work of an iteration, bit m: member m of kWorkSteps has work
  unsigned char probing;        // kProbes*: a tracer is attached, the loop fires its probes (diag/probes.h)
  unsigned char invoke_checks;  // kInvokeCheck*: what every invocation pass checks (invoke_pass)

  // Invocation (loop/loop.cc, base/pending.h).
  ev_detail::pending_queues pending;
  int activecnt;               // references: ev_run runs while > 0
  int loop_done;               // EVBREAK_* requested by ev_break
  unsigned int loop_count;     // ev_iteration(): polls so far
  unsigned int loop_depth;     // ev_depth(): nesting of ev_run
  ev_loop_callback invoke_cb;  // ev_set_invoke_pending_cb, default ev_invoke_pending

  // Backend (backends/).
  const ev_detail::backend_ops *backend;
  void *backend_state;  // owned by the backend
  // What ev_run calls after its increment: `iterate`, or run_guarded when there is something to
  // look at first (run_entry_update).
  int (*run)(ev_loop *loop, int flags);
  // ev_run's steps compiled for this backend, calling its hot paths directly (loop/loop_run.cc).
  int (*iterate)(ev_loop *loop, int flags);
  int backend_fd;                   // the fd the backend waits on, watched by an embedding loop, or -1
  unsigned backend_fd_generation;   // changes whenever a repair replaces backend_fd
  ev_detail::fd_table fds;          // io watchers per fd and the change queue
  ev_detail::fd_sweep_state sweep;  // closed-fd detection (fd/fd.h)
  // where the watchers of long io lists are linked (fd/io_list.h)
  ev_detail::ptr_map<ev_detail::io_index_entry> io_index;

  // Timers and periodics (watchers/timer.cc, periodic.cc).
  ev_detail::heap timers;
  ev_detail::heap periodics;
  ev_detail::array<ev_detail::W> rfeeds;  // expired watchers, fed in reverse

  // Watchers kept in plain arrays; `active` is the 1-based index.
  ev_detail::array<ev_detail::W> idles[ev_detail::kNumPri];
  int idleall;  // active idle watchers over all priorities
  // The wake-up pipe's inode, to recognise our write end; 0 for an eventfd (fd/wakeup.cc).  Linux
  // numbers pipe inodes with a 32-bit counter, so it fits the padding here.
  std::uint32_t wakeup_pipe_ino;
  ev_detail::array<ev_detail::W> prepares;
  ev_detail::array<ev_detail::W> checks;
  ev_detail::array<ev_detail::W> forks;
  ev_detail::array<ev_detail::W> cleanups;
  ev_detail::array<ev_detail::W> asyncs;

  ev_tstamp io_blocktime;       // ev_set_io_collect_interval
  ev_tstamp timeout_blocktime;  // ev_set_timeout_collect_interval
  ev_tstamp max_block;          // longest poll (max_block_update)
  ev_tstamp backend_mintime;    // loop->backend->mintime

  // ev_set_userdata and the hooks.
  void *userdata;
  void (*release_cb)(EV_P) noexcept;
  void (*acquire_cb)(EV_P) noexcept;
  int run_guard;  // kRunGuard*: what ev_run must look at before it starts, in one word

  // Creation flags, fork detection and repair.
  unsigned int flags;  // the flags the loop was created with, after LIBEV_FLAGS
  pid_t curpid;        // EVFLAG_FORKCHECK: the pid seen last
  unsigned repair;     // kRepair*: a fork to handle, kernel state to re-create before the next poll
  // Differs from the process's fork token in a child nobody told of the fork (loop/fork_guard.h).
  std::uint64_t fork_token;
  ev_loop *fork_next;  // every loop of the process (loop/loop_forks.cc)

  // What few loops need, made by the first that needs it (loop_rare below).  Written by the loop's
  // thread alone; ev_ng_post and ev_async_send read it from other threads.
  std::atomic<ev_detail::loop_rare *> rare;

  // Wake-up fd (fd/wakeup.cc).
  ev_detail::loop_fd wakeup;         // eventfd, or a pipe's read end
  std::atomic<int> wakeup_write_fd;  // what senders write to (== wakeup.fd for an eventfd)
  bool wakeup_in_libev;              // libev 4.33 would have its fd too (wakeup_user)
  // Senders mark their ev_async's group (watchers/async.cc) here, beside flags they read anyway.
  std::atomic<bool> async_marking;
  // Bit p for priority p - 2: the levels pending when the current or last invocation pass began,
  // written by invoke_pass alone, before its first callback.  ev-watchdog reads it from outside
  // with the pending queues (base/pending.h) to tell which callback runs.
  unsigned char pass_levels;
  std::atomic<int> pipe_write_wanted;   // the loop is blocked or about to be
  std::atomic<int> pipe_write_skipped;  // a sender set a flag without writing
  std::atomic<int> sig_pending;         // some signal of this loop arrived
  std::atomic<int> async_pending;       // some ev_async of this loop was sent

  // signalfd (watchers/signal.cc, EVFLAG_SIGNALFD).
  ev_detail::loop_fd sigfd;     // refused or never created: signals use handlers
  std::uint64_t sigfd_signals;  // the signals it reads, bit s-1 for signal s, smaller than a sigset_t

  ev_detail::loop_fd timerfd;  // prompt wall-clock jump detection (watchers/periodic.cc)

  // inotify (watchers/stat.cc).
  ev_detail::loop_fd inotify;
  ev_detail::WL fs_hash[ev_detail::kInotifyHashSize];

  ev_detail::once_block *onces;  // the ev_once blocks still waiting (watchers/once.cc)

#if EV_CHILD_ENABLE
  ev_signal childev;  // the default loop's SIGCHLD watcher, holds no reference (watchers/child.cc)

  // Other loops: ev_child by pidfd (watchers/child_pidfd.cc).
  ev_detail::array<ev_detail::pidfd_child *> pidfd_children;  // one per watched pid
  ev_signal childpoll;                                        // SIGCHLD, for pids without a pidfd; holds no reference
#endif
};

#if !EV_MULTIPLICITY
// Without multiplicity the API takes no loop argument (ev(3) EV_MULTIPLICITY): the functions'
// `loop` is the one loop, the default one, which ev_default_loop sets up (loop/loop_life.cc).
constinit inline ev_loop ev_ng_the_loop{};
static ev_loop *const loop = &ev_ng_the_loop;
static ev_loop *ev_default_loop_ptr;
#endif

namespace ev_detail {

// loop->run_guard bits.  Whoever sets one calls run_entry_update, so that ev_run takes its guarded
// entry; kRunGuardInRelease need not, since only hooks set it, which keep that entry.
enum : int {
  kRunGuardInRelease = 1 << 0,  // inside a release/acquire callback: ev_run is forbidden (ev(3))
  kRunGuardDebug = 1 << 1,      // debug mode: ev_run notes the thread that runs it
  kRunGuardDestroyed = 1 << 2,  // the default loop, destroyed: its static storage stays, see ev_loop_destroy
  kRunGuardStreams = 1 << 3,    // a backend's engine does streams' I/O: ev_run ends with streams_run_end
};
void run_entry_update(ev_loop *loop);

// loop->probing (diag/probes.h): attached and armed fires from the next
// iteration's beginning on, so that every iteration the probes see begins and ends.
enum : unsigned char { kProbesOff, kProbesArmed, kProbesFiring };

// What an invocation pass does besides calling (invoke_pass).  loop->invoke_checks holds the
// checks of every pass, each set while its member has work in the invocation (kStepInvoke), so a
// loop without work there has none; the loop's own passes add kInvokeTimed while metrics are on.
enum : unsigned char {
  kInvokeCheckDebug = 1,   // debug mode: the calling thread, and each watcher before its callback
  kInvokeCheckProbes = 2,  // a tracer is attached: the callback probes
  kInvokeTimed = 4,        // metrics: the time of the pass per priority level
};
// A build without debug mode, metrics and probes has no checks, nor their code.
inline constexpr bool kInvokeChecks = EV_NG_DEBUG_MODE || EV_NG_METRICS || EV_NG_HAVE_SDT;

// The optional work of an iteration (loop/loop_run.cc, iterate).  Most loops have no prepare,
// check or idle watchers, no periodics, no fork to handle and no hooks, and do the fixed steps
// alone.  A member of kWorkSteps sets its bit with work_set while it has work, where its own state
// changes, and is the only one that knows why; a step tests its members' bits in one instruction,
// and ev_verify recomputes them.
template <unsigned kSteps>
inline bool has_work(const ev_loop *loop)
{
  constexpr unsigned kMembers = members_in(kSteps);
  return loop->work & kMembers;
}
inline bool member_has_work(const ev_loop *loop, work_member m) { return loop->work & 1u << m; }

inline void work_set(ev_loop *loop, work_member m, bool has)
{
  loop->work = has ? loop->work | 1u << m : loop->work & ~(1u << m);
}

// The loop's rare block (loop_rare), for its own thread; rare_get makes it on first use
// (loop/loop_life.cc) and aborts when memory is short, as every allocation of the loop does;
// rare_try_get answers null then.
inline loop_rare *rare_of(const ev_loop *loop) { return loop->rare.load(std::memory_order_relaxed); }
loop_rare *rare_make(ev_loop *loop, bool may_fail);
inline loop_rare *rare_get(ev_loop *loop)
{
  loop_rare *r = rare_of(loop);
  return r ? r : rare_make(loop, false);
}
inline loop_rare *rare_try_get(ev_loop *loop)
{
  loop_rare *r = rare_of(loop);
  return r ? r : rare_make(loop, true);
}
inline metrics_block *metrics_of(const ev_loop *loop)
{
  if constexpr (!EV_NG_METRICS)
    return nullptr;
  const loop_rare *r = rare_of(loop);
  return r ? r->metrics : nullptr;
}

// Debug mode (diag/debug.h) is on from the loop's creation to the end of the memory it keeps: the
// run guard's bit says so, in a word ev_run reads anyway, and its state is in the rare block.
inline bool debug_on(const ev_loop *loop) { return EV_NG_DEBUG_MODE && (loop->run_guard & kRunGuardDebug); }
inline debug_state *debug_of(const ev_loop *loop) { return debug_on(loop) ? rare_of(loop)->debug : nullptr; }

// The collect intervals are block time rules while set.
inline bool collect_intervals(const ev_loop *loop) { return loop->io_blocktime > 0. || loop->timeout_blocktime > 0.; }

// The first backend that `flags` allow and that initialises, in EV_NG_BACKEND_POLICIES' order,
// with the iteration compiled for it; false if none does.
bool backend_select(ev_loop *loop, unsigned int flags);

// Repair: what the steps before the block handle before the next poll (loop/loop_run.cc,
// loop_repair): a fork, and kernel state to re-create.  A fork, announced or found by
// loop/fork_guard.h, replaces all of it.  A backend that found its kernel object unusable asks for
// kRepairBackend; fd_kill asks for kRepairLoopFds when it meets one of the loop's own watchers,
// whose fd was closed behind the loop's back.  Any bit set is work before the block (kWorkRepair).
enum : unsigned {
  kRepairBackend = 1u << 0,    // backend->fork(): a new kernel object, every fd re-registered
  kRepairLoopFds = 1u << 1,    // re-open the loop's own fds whose watcher was killed
  kRepairAll = 1u << 2,        // after a fork: replace every kernel object the loop owns
  kRepairForked = 1u << 3,     // a fork was announced or detected: run the fork watchers, then repair all
  kRepairMaybeFork = 1u << 4,  // fork(3) happened (loop/loop_forks.cc): look at the fork page (fork_unannounced)
  // Not a repair: a tracer is attached (diag/probes.h), and the iteration's first probe fires where
  // the loop looks for a fork anyway, at no cost to a loop without it.  Repairs leave it alone.
  kRepairProbes = 1u << 5,
};

inline void request_repair(ev_loop *loop, unsigned what)
{
  loop->repair |= what;
  work_set(loop, kWorkRepair, true);
}

// The repair step took these bits.
inline void repair_clear(ev_loop *loop, unsigned what)
{
  loop->repair &= ~what;
  work_set(loop, kWorkRepair, loop->repair);
}

inline void request_backend_rebuild(ev_loop *loop) { request_repair(loop, kRepairBackend); }

// Every loop is in the process's list for its whole life (loop/loop_forks.cc).
void loop_forks_add(ev_loop *loop);
void loop_forks_remove(ev_loop *loop);
bool loop_is_live(const ev_loop *loop);
bool fork_token_changed(const ev_loop *loop);

// This process is a fork of the one that created the loop's kernel state, and the loop has not
// been repaired since (loop/fork_guard.h): until then nothing may touch that state, the parent's.
inline bool fork_unannounced(const ev_loop *loop)
{
  return (loop->repair & kRepairMaybeFork) && fork_token_changed(loop);
}

// Watcher life cycle (ev(3) WATCHER STATES).  Starting clamps the priority into range and writes
// it back, as libev does; one unsigned comparison tests the range.
inline void clamp_priority(W w)
{
  const int priority = priority_of(w);
  if (static_cast<unsigned>(priority - EV_MINPRI) > static_cast<unsigned>(EV_MAXPRI - EV_MINPRI))
    set_priority(w, priority < EV_MINPRI ? EV_MINPRI : EV_MAXPRI);
}

// A watcher started without a callback, by ev_init with a null one or from zeroed memory, gets this
// one: when it comes due, a usage error names it, where libev 4.33 jumps to address 0.  ev_embed,
// whose null callback means something, starts with start_watcher_nullable_cb.
void started_without_callback(EV_P_ ev_watcher *w, int revents);

inline void start_watcher_nullable_cb(ev_loop *loop, W w, int active)
{
  clamp_priority(w);
  w->active = active;
  ++loop->activecnt;
}

inline void guard_null_callback(W w)
{
  if (!ev_cb(w))
    ev_set_cb(w, started_without_callback);
}

inline void start_watcher(ev_loop *loop, W w, int active)
{
  guard_null_callback(w);
  start_watcher_nullable_cb(loop, w, active);
}

// start_watcher for a watcher whose `active` a heap insert writes.
inline void start_heap_watcher(ev_loop *loop, W w)
{
  guard_null_callback(w);
  clamp_priority(w);
  ++loop->activecnt;
}

inline void stop_watcher(ev_loop *loop, W w)
{
  --loop->activecnt;
  w->active = 0;
}

inline void feed(ev_loop *loop, W w, int revents) { loop->pending.feed(w, revents); }

inline void invoke_callback([[maybe_unused]] ev_loop *loop, W w, int revents) { EV_CB_INVOKE(w, revents); }

// An EV_ERROR the loop queues itself, for a bad fd or a lost child status, maybe just before it
// blocks: the callback must not wait for the next timer, so the next block time is zero;
// kWorkError's bit is all its state.  Anything else pending when the loop blocks was left by the
// program's invoke-pending callback, and then the loop blocks as libev 4.33 does.
inline void feed_error(ev_loop *loop, W w, int revents)
{
  work_set(loop, kWorkError, true);
  feed(loop, w, revents);
}

// ev_clear_pending, and in stop_pending's form the first step of every *_stop.  A watcher that is
// not pending is not looked up in the loop, so programs may stop watchers never started, or whose
// loop is already destroyed, as C++ destructors do.  A pending one must be pending in this loop
// (base/slot_queue.h, slot_of), and `api` names the call for the report.
inline int clear_pending(ev_loop *loop, W w, const char *api)
{
  int pending = w->pending;
  if (!pending) {
    // Return the 0 it loaded, hidden from the compiler, which would make another, so that the
    // defensive ev_clear_pending is as short as libev 4.33's.
    asm("" : "+r"(pending));
    return pending;
  }
  return loop->pending.clear(w, api);
}

// clear_pending for a stop, which needs no revents.  A pending watcher is a call, since every
// stop would carry a copy of that rare case.
inline void stop_pending(ev_loop *loop, W w, const char *api)
{
  if (w->pending)
    loop->pending.clear_queued(w, api);
}

// Every *_stop begins here: clear the pending state, then tell whether the watcher is active.
inline bool stop_begin(ev_loop *loop, W w, const char *api)
{
  stop_pending(loop, w, api);
  return w->active;
}

// The check of a stop, after stop_begin said the watcher is active: its `active` must be its place
// in the array or heap the loop keeps it in, and that entry must point back at it.  Memory that is
// not a watcher, or a watcher of another loop, would make the stop write through a garbage index,
// where libev 4.33 crashes or corrupts the other loop: a usage error names the call and the value.
[[noreturn]] void not_active_here(const char *api, const void *w, long long active);

inline bool array_holds(const array<W> &a, W w)
{
  const unsigned i = static_cast<unsigned>(w->active - 1);
  return i < static_cast<unsigned>(a.count) && a.data[i] == w;
}

inline void check_array_index(const array<W> &a, W w, const char *api)
{
  if (EV_UNLIKELY(!array_holds(a, w)))
    not_active_here(api, w, w->active);
}

// The adjacent ints `active` and `pending` of a watcher in one load.  "neither", the defensive
// stop of an inactive watcher, is 0; on a little-endian machine the word is active + 2^32 pending,
// so "active and not pending", the common case of a stop, is the range 1 .. 2^32 - 1, one test.
struct active_and_pending {
  std::uint64_t word;
  explicit active_and_pending(const ev_watcher *w)
  {
    static_assert(offsetof(ev_watcher, pending) == offsetof(ev_watcher, active) + sizeof(int),
                  "active and pending are adjacent");
    static_assert(sizeof(int) == 4, "two ints make one 8-byte word");
    __builtin_memcpy(&word, reinterpret_cast<const char *>(w) + offsetof(ev_watcher, active), sizeof word);
  }
  static constexpr bool kActiveLow = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  bool neither() const { return !word; }
  bool active_not_pending() const
  {
    return kActiveLow ? word - 1 < 0xffffffffu : (word >> 32) && !static_cast<std::uint32_t>(word);
  }
  int active() const { return static_cast<int>(static_cast<std::uint32_t>(kActiveLow ? word : word >> 32)); }
};

// Programs stop inactive watchers all day: such a stop returns after one load of the watcher,
// before it touches anything else, the loop least of all.
inline bool stop_has_nothing_to_do(const ev_watcher *w) { return active_and_pending(w).neither(); }

// Feed a whole watcher array in index order, so the later ones are invoked first, as a virtual
// batch when possible (base/pending.h).  The array must not change while the batch is virtual, so
// the start and stop functions of the watcher types queued this way settle the queue first.
inline void queue_events(ev_loop *loop, W *ws, int n, int type) { loop->pending.feed_batch(ws, n, type); }

// Feed the rfeeds in reverse, so that they are invoked in the order collected, earliest first.
inline void feed_reverse_done(ev_loop *loop, int type)
{
  while (loop->rfeeds.count)
    feed(loop, loop->rfeeds.data[--loop->rfeeds.count], type);
}

// A watcher's callback as a pass with checks calls it: with the callback probes while they fire
// (diag/probes.cc).  A cleared slot's dummy is nobody's and fires none.
void call_watcher_probed(ev_loop *loop, W w, int revents);
inline void call_watcher(ev_loop *loop, W w, int revents)
{
  if (EV_UNLIKELY(loop->probing == kProbesFiring) && w != &loop->pending.slots.dummy)
    return call_watcher_probed(loop, w, revents);
  invoke_callback(loop, w, revents);
}

// The invocation pass, ev_invoke_pending's body (loop/loop.cc), which ev_run's last invocation
// step runs inline: every pending watcher, highest priority first, LIFO within one.  Each slot
// leaves the queue before its callback runs, so a callback may throw or longjmp and leave the
// queue consistent.  `checks` are the invoke_checks bits the pass honours, each behind its own
// test in invoke_pass_checked; `api` names the program's call in debug mode's reports, null for
// the loop's own passes (ev_run's, ev_loop_destroy's).  `Site` makes each caller's queue scan an
// instantiation of its own, which GCC inlines into its one caller: the iteration, whose frame
// holds the scan of the virtual batches too, and ev_invoke_pending, whose frame stays small
// because that scan is a call there (base/pending.h).
void invoke_pass_checked(ev_loop *loop, unsigned checks, const char *api);
template <class Site = void>
inline void invoke_pass(ev_loop *loop, unsigned checks, const char *api)
{
  loop->pass_levels = static_cast<unsigned char>(loop->pending.slots.mask);
  if (kInvokeChecks && EV_UNLIKELY(checks))
    return invoke_pass_checked(loop, checks, api);
  loop->pending.invoke_all([loop](W w, int revents) { invoke_callback(loop, w, revents); });
}

// The invocation step of ev_run and ev_loop_destroy.  With work (kStepInvoke): the program's
// invoke-pending callback, called every time since it may count calls, as with libev, or the pass
// with its checks.  Without, invoke_checks is 0 and the pass is ev_invoke_pending's, skipped when
// nothing is pending.
void invoke_pending_with_work(ev_loop *loop);
inline void invoke_pending(ev_loop *loop)
{
  if (EV_UNLIKELY(has_work<kStepInvoke>(loop)))
    return invoke_pending_with_work(loop);
  if (loop->pending.any())
    ev_invoke_pending(EV_A);
}

// Singly linked lists of io, signal, child and stat watchers, newest first.
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

inline bool wlist_contains(WL head, WL w)
{
  for (; head; head = head->next)
    if (head == w)
      return true;
  return false;
}

// Starting a watcher already in its list, re-initialised with ev_TYPE_init/ev_TYPE_set while
// active, would make the list a cycle, which libev 4.33 sometimes catches ("corrupted watcher")
// and otherwise spins on: report it.
[[noreturn]] void reinitialised_while_active(const char *api, const void *w, const char *arg, long long value);

// Array watchers: remove by swapping the last element into the hole.
inline void array_del(array<W> &a, W w)
{
  int i = w->active - 1;
  W last = a.data[--a.count];
  a.data[i] = last;
  last->active = i + 1;
}

// The hooks around the blocking system call of a backend's wait: the release and acquire
// callbacks, and a compiled-in core's wait callback, which makes the call.  With hooks the loop
// has work around the block (kWorkHooks), whose bit the iteration passes to the backend's wait; a
// table's poll always calls them.
#ifdef EV_NG_EMBED
inline bool has_wait_cb(const ev_loop *loop)
{
  const loop_rare *r = rare_of(loop);
  return r && r->wait_cb;
}
#else
constexpr bool has_wait_cb(const ev_loop *) { return false; }
#endif
inline bool wait_hooks(const ev_loop *loop) { return loop->release_cb || loop->acquire_cb || has_wait_cb(loop); }

inline void release_hook(ev_loop *loop)
{
  if (loop->release_cb) {
    loop->run_guard |= kRunGuardInRelease;
    loop->release_cb(EV_A);
    loop->run_guard &= ~kRunGuardInRelease;
  }
}
// errno is the wait's, which the backend reads after this, so it is kept
inline void acquire_hook(ev_loop *loop)
{
  if (loop->acquire_cb) {
    const int err = errno;
    loop->run_guard |= kRunGuardInRelease;
    loop->acquire_cb(EV_A);
    loop->run_guard &= ~kRunGuardInRelease;
    errno = err;
  }
}

#ifdef EV_NG_EMBED
// The wait's system call handed to the program's wait callback, which runs it as run(frame) where
// the program allows, such as outside Ruby's global lock.  Until it has run, `result` stands for an
// interrupted call.  errno is kept here, so that the program may change it after the call.
template <class R, class Call>
struct wait_frame {
  Call *call;
  R result;
  int err;
  static void *run(void *frame) noexcept
  {
    auto *f = static_cast<wait_frame *>(frame);
    f->result = (*f->call)();
    f->err = errno;
    return nullptr;
  }
};

// The callback may also leave by longjmp, as Ruby's interrupts do: nothing here or in the backends'
// polls then needs undoing, as with a callback that leaves an invocation.  It is not a release
// callback: the loop may run again inside it, say from a Ruby signal handler, and the wait then
// reports what it found, which the inner run may have taken already; ev(3) allows that.
template <class R, class Call>
R wait_through_cb(ev_loop *loop, R interrupted, Call &call)
{
  wait_frame<R, Call> f{&call, interrupted, EINTR};
  void *(*run)(void *) = wait_frame<R, Call>::run;
  rare_of(loop)->wait_cb(EV_A_ run, &f);
  errno = f.err;
  return f.result;
}
#endif

// The blocking system call of a wait between the hooks; call() returns its result and leaves
// errno.  If the program's wait callback does not run it, the result is `interrupted` with EINTR,
// as if a signal came, and the wait returns early and quietly.
template <class R, class Call>
inline R hooked_wait(ev_loop *loop, R interrupted, Call &&call)
{
  release_hook(loop);
  R result;
#ifdef EV_NG_EMBED
  if (EV_UNLIKELY(has_wait_cb(loop)))
    result = wait_through_cb(loop, interrupted, call);
  else
#else
  (void)interrupted;
#endif
    result = call();
  acquire_hook(loop);
  return result;
}

// Set max_block, the longest the loop may block, from what the loop has (loop/loop.cc).
void max_block_update(ev_loop *loop);

// ev_verify after structural changes, in --enable-debug builds and with ev(3)'s EV_VERIFY 3.
void verify(ev_loop *loop);
#if defined(EV_NG_DEBUG) || EV_VERIFY >= 3
#define EV_FREQUENT_CHECK(loop) ::ev_detail::verify(loop)
#else
#define EV_FREQUENT_CHECK(loop) ((void)0)
#endif

// Per-iteration steps of the watcher modules.  A timer is due when its deadline is strictly
// before mn_now: the root of the heap is the earliest.
inline bool timer_due(const ev_loop *loop) { return loop->timers.count && loop->timers.top().at < loop->mn_now; }
void timers_reify(ev_loop *loop);               // queue expired timers once timer_due said so
void timers_shift(ev_loop *loop, ev_tstamp d);  // ev_resume: move all deadlines
void onces_loop_destroy(ev_loop *loop);         // free the ev_once blocks still waiting
// EVFLAG_NG_BOOTTIME (watchers/timer.cc): at loop creation, measure the offset of CLOCK_BOOTTIME,
// or drop the flag where the system has no such clock; move every deadline earlier by the time
// suspended since the last call, which a timer start makes first.  The flag stays in loop->flags
// while it works.
inline bool boottime_on(const ev_loop *loop) { return loop->flags & EVFLAG_NG_BOOTTIME; }
void boottime_init(ev_loop *loop);
void boottime_catch_up(ev_loop *loop);
// Re-create one kind of the loop's own kernel fds (fd/loop_fd.h): `replace` after a fork, where
// the old fd is still ours and is closed first; else only where its watcher was killed, whose old
// number is no longer ours and is forgotten.
void wakeup_repair(ev_loop *loop, bool replace);

// A watcher type left out of the build has nothing to do here: its steps compile to nothing.
#if EV_PERIODIC_ENABLE
void periodics_reify(ev_loop *loop);       // queue due periodics
void periodics_reschedule(ev_loop *loop);  // after a wall-clock jump / resume
void periodics_fork(ev_loop *loop);        // after an announced fork, as libev 4.33
void timerfd_destroy(ev_loop *loop);       // the timerfd serves periodics
void timerfd_repair(ev_loop *loop, bool replace);
#else
inline void periodics_reify(ev_loop *) {}
inline void periodics_reschedule(ev_loop *) {}
inline void periodics_fork(ev_loop *) {}
inline void timerfd_destroy(ev_loop *) {}
inline void timerfd_repair(ev_loop *, bool) {}
#endif
#if EV_IDLE_ENABLE
void idle_reify(ev_loop *loop);  // queue idles per the idle rule
#else
inline void idle_reify(ev_loop *) {}
#endif
#if EV_SIGNAL_ENABLE
void signals_process(ev_loop *loop);       // the wake-up fd reported signals
void signals_loop_destroy(ev_loop *loop);  // forget signals owned by loop
void signalfd_repair(ev_loop *loop, bool replace);
#else
inline void signals_process(ev_loop *) {}
inline void signals_loop_destroy(ev_loop *) {}
inline void signalfd_repair(ev_loop *, bool) {}
#endif
// ev_ng_post (watchers/post.cc).  Its producers wake the loop through the
// async flag, so a loop that never posts pays one test per async wake-up.
void posts_run(ev_loop *loop);              // run a pass if a producer asked for one
void posts_loop_destroy(ev_loop *loop);     // run what is queued, first of all
void posts_forget_in_child(ev_loop *loop);  // fork(3)'s child handler: the child starts empty
void posts_lock_for_fork();                 // fork(3)'s handlers: the lock that adds lanes
void posts_unlock_after_fork();
inline void posts_after_asyncs(ev_loop *loop)
{
  const loop_rare *r = rare_of(loop);
  if (r && r->posts.load(std::memory_order_relaxed))  // stored by the loop's thread only
    posts_run(loop);
}
#if EV_ASYNC_ENABLE
void asyncs_process(ev_loop *loop);       // the async flag was set: the sends, then the posts
void asyncs_loop_destroy(ev_loop *loop);  // free the groups block
#else
inline void asyncs_process(ev_loop *loop) { posts_after_asyncs(loop); }
inline void asyncs_loop_destroy(ev_loop *) {}
#endif
#if EV_CHILD_ENABLE
void child_default_loop_init(ev_loop *loop);  // SIGCHLD watcher of the default loop
void child_default_loop_destroy(ev_loop *loop);
void child_pidfd_loop_destroy(ev_loop *loop);  // close the pidfds of other loops
void child_pidfd_repair(ev_loop *loop);        // re-open pidfds closed behind our back
void child_reap_lock_for_fork();               // fork(3)'s handlers: the lock every reaper takes
void child_reap_unlock_after_fork();
#else
inline void child_default_loop_init(ev_loop *) {}
inline void child_default_loop_destroy(ev_loop *) {}
inline void child_pidfd_loop_destroy(ev_loop *) {}
inline void child_pidfd_repair(ev_loop *) {}
inline void child_reap_lock_for_fork() {}
inline void child_reap_unlock_after_fork() {}
#endif
#if EV_EMBED_ENABLE && !EV_FORK_ENABLE
void embed_fork_watcher(ev_loop *loop, ev_fork *w, bool start);
#endif
#if EV_STAT_ENABLE
void stat_loop_destroy(ev_loop *loop);
void inotify_repair(ev_loop *loop, bool replace);
#else
inline void stat_loop_destroy(ev_loop *) {}
inline void inotify_repair(ev_loop *, bool) {}
#endif

}  // namespace ev_detail

namespace ev_detail {
// The loop time (ev_now); without multiplicity also the variable ev.h's inline ev_now reads.
inline void set_rt_now(ev_loop *loop, ev_tstamp now)
{
  loop->ev_rt_now = now;
#if !EV_MULTIPLICITY
  ::ev_rt_now = now;
#endif
}
// Refresh mn_now and ev_rt_now; reschedule periodics after a wall-clock jump.
inline void time_update(ev_loop *loop);
// The half-second re-measurement of the wall clock.
void time_update_slow(ev_loop *loop);
// The first measurement of both clocks, at loop creation.
void time_init(ev_loop *loop);
// slow_time_at from the times it stands for: the wall-clock re-measurement
// and the closed-fd sweep's next look; with EVFLAG_NG_BOOTTIME every update,
// since the monotonic clock the gate compares with does not tell of a suspend.
inline ev_tstamp time_gate(const ev_loop *loop)
{
  return boottime_on(loop) ? -HUGE_VAL : std::min(loop->rt_recheck_at, loop->sweep.look_at);
}
void time_gate_update(ev_loop *loop);
// Force the next time_update to re-read the wall clock after a timerfd jump.
void time_force_realtime_check(ev_loop *loop);
// ev_now() from the wall clock now, mn_now left as it is, for the timerfd.
void time_read_wall_clock(ev_loop *loop);
}  // namespace ev_detail

inline void ev_detail::time_update(ev_loop *loop)
{
  ev_tstamp mn = monotonic_now();
  loop->mn_now = mn;
  if (mn < loop->slow_time_at)
    set_rt_now(loop, loop->rt_offset + mn);
  else
    time_update_slow(loop);
}
