// SPDX-License-Identifier: BSD-2-Clause
// loop/loop_life.cc - a loop's life, after ev(3) FUNCTIONS CONTROLLING EVENT LOOPS: creation
// (ev_default_loop, ev_loop_new), destruction (ev_loop_destroy) and ev_loop_fork.  A cold unit
// (Makefile.am): a program creates its loops once.
#include "base/env.h"
#include "diag/debug.h"
#include "diag/metrics.h"
#include "diag/probes.h"
#include "fd/fd.h"
#include "fd/stream.h"
#include "fd/wakeup.h"
#include "loop/fork_guard.h"

#include <unistd.h>
#include <cstdlib>
#include <new>

using namespace ev_detail;

// The default loop lives in static storage and is never freed, as ev(3) says; raw storage keeps
// it free of any global constructor.  Without multiplicity it is loop/loop.h's one loop.
#if EV_MULTIPLICITY
alignas(ev_loop) static unsigned char default_loop_storage[sizeof(ev_loop)];
#else
static void *const default_loop_storage = &ev_ng_the_loop;
#endif
// A default loop destroyed and made again goes on counting ev_iteration, as
// libev 4.33's does, whose static storage is not cleared.
constinit static unsigned int default_loop_count = 0;

extern "C" {
#if EV_MULTIPLICITY
// [read-only for users] exported data object; EV_DEFAULT_UC reads it inline.
struct ev_loop *ev_default_loop_ptr = nullptr;
#else
// the loop time, which ev.h's inline ev_now reads
ev_tstamp ev_rt_now = 0.;
#endif
}

namespace {

// The callback of the dummy watcher that stands in for cleared pending slots.
void pending_dummy_cb(EV_UNUSED_P_ ev_watcher *, int) {}

// LIBEV_FLAGS replaces the flags unless EVFLAG_NOENV, or the process is privileged (base/env.h).
unsigned int effective_flags(unsigned int flags)
{
  if (!(flags & EVFLAG_NOENV))
    if (const char *env = env_get("LIBEV_FLAGS"))
      flags = static_cast<unsigned int>(std::atoi(env));
  return flags;
}

// Set up a zeroed loop object; false, with nothing allocated, when no requested backend starts.
bool loop_init(ev_loop *loop, unsigned int requested)
{
  unsigned int flags = effective_flags(requested);

  loop->flags = flags;
  loop->invoke_cb = ev_invoke_pending;
  loop->backend_fd = -1;
  for (loop_fd *lf : {&loop->wakeup, &loop->sigfd, &loop->timerfd, &loop->inotify}) {
    lf->fd = kLoopFdNone;
    ev_init(&lf->w, nullptr);
  }
  loop->wakeup_write_fd.store(-1, std::memory_order_relaxed);
  ev_set_cb(&loop->pending.slots.dummy, pending_dummy_cb);
  loop->fork_token = fork_token();

  time_init(loop);
  fd_sweep_start(loop);
  time_gate_update(loop);

  // ev(3): EVFLAG_FORKCHECK is honoured from the caller's flags only.
  if (requested & EVFLAG_FORKCHECK) {
    loop->curpid = getpid();
    work_set(loop, kWorkForkCheck, true);  // for the loop's life
  }

  if (!(flags & EVBACKEND_MASK))
    flags |= ev_recommended_backends();
  if (!backend_select(loop, flags))
    return false;
  // EVFLAG_NG_PRECISE_TIMERS: every backend then waits with microsecond
  // resolution or better, so no timeout needs raising to a millisecond.
  loop->backend_mintime = loop->backend->mintime;
  if (flags & EVFLAG_NG_NEVER_EARLY)
    loop->timers.close_gate();  // every ev_timer_start takes its slow path
  if (flags & EVFLAG_NG_PRECISE_TIMERS) {
    if (loop->backend_mintime > 1e-6)
      loop->backend_mintime = 1e-6;
  }
  if (flags & EVFLAG_NG_METRICS)
    metrics_switch(loop, true);
  boottime_init(loop);
  time_gate_update(loop);
  max_block_update(loop);
  if (debug_requested(loop->flags)) {
    loop->flags |= EVFLAG_NG_DEBUG;
    debug_loop_init(loop);
  }
  loop_forks_add(loop);
  probes_check(loop);
  EV_PROBE_RARE(loop_create, loop, flags, loop->backend->flag);
  return true;
}

void loop_free_arrays(ev_loop *loop)
{
  loop->pending.release();
  loop->fds.release();
  loop->io_index.release();
  loop->timers.release();
  loop->periodics.release();
  loop->rfeeds.release();
  for (auto &a : loop->idles)
    a.release();
  loop->prepares.release();
  loop->checks.release();
  loop->forks.release();
  loop->cleanups.release();
  loop->asyncs.release();
}

}  // namespace

// The rare block, zeroed, published for the threads that read it (ev_loop::rare).
loop_rare *ev_detail::rare_make(ev_loop *loop, bool may_fail)
{
  void *mem = may_fail ? ev_try_realloc(nullptr, sizeof(loop_rare)) : ev_realloc(nullptr, sizeof(loop_rare));
  if (!mem)
    return nullptr;
  auto *r = new (mem) loop_rare{};
  loop->rare.store(r, std::memory_order_release);
  return r;
}

static ev_loop *default_loop_create(unsigned int flags)
{
  if (!ev_default_loop_ptr) {
    ev_loop *loop = new (default_loop_storage) ev_loop();
    ev_default_loop_ptr = loop;
    loop->loop_count = default_loop_count;
    if (loop_init(loop, flags))
      child_default_loop_init(loop);
    else {
      loop->~ev_loop();
      ev_default_loop_ptr = nullptr;  // a later call may try other flags
    }
  }
  return ev_default_loop_ptr;
}

extern "C" {

#if EV_MULTIPLICITY
struct ev_loop *ev_default_loop(unsigned int flags) noexcept { return default_loop_create(flags); }
#else
int ev_default_loop(unsigned int flags) noexcept { return default_loop_create(flags) != nullptr; }
#endif

// The loop object is ours, so its size is too: when the allocator refuses it, the out-of-memory
// message has libev's words and our number (README, "Differences from libev 4.33").
#if EV_MULTIPLICITY
struct ev_loop *ev_loop_new(unsigned int flags) noexcept
{
  void *mem = ev_realloc(nullptr, sizeof(ev_loop));
  ev_loop *loop = new (mem) ev_loop();
  if (loop_init(loop, flags))
    return loop;
  loop->~ev_loop();
  ev_free(mem);
  return nullptr;
}
#endif

// ev(3): runs the cleanup watchers in a normal invocation pass, so anything else pending runs too,
// then releases everything.  As ev(3) says, user watchers are not stopped, and they are not even
// read: as with libev 4.33 they keep their active and pending values, and a program may free
// them first.  Nothing is released before the callbacks, which may throw.
void ev_loop_destroy(EV_P)
{
#if EV_MULTIPLICITY
  if (!loop)
    return;
#endif
  if (EV_UNLIKELY(loop->run_guard & kRunGuardDestroyed))
    usage_error("ev_loop_destroy", "loop", static_cast<const void *>(loop),
                "libev: ev_loop_destroy called with the default loop, which ev_loop_destroy already destroyed");
  if (debug_on(loop))
    debug_check_call(loop, "ev_loop_destroy", nullptr);
  EV_PROBE_RARE(loop_destroy, loop);
  posts_loop_destroy(loop);

  if (loop->cleanups.count) {
    queue_events(loop, loop->cleanups.data, loop->cleanups.count, EV_CLEANUP);
    metrics_run_entered(loop);  // the loop may not have run for a while: no mark to start from
    invoke_pending(loop);
  }

  onces_loop_destroy(loop);
  streams_loop_destroy(loop);
  stat_loop_destroy(loop);
  if (loop == ev_default_loop_ptr)
    child_default_loop_destroy(loop);
  child_pidfd_loop_destroy(loop);
  signals_loop_destroy(loop);
  timerfd_destroy(loop);
  wakeup_destroy(loop);
  asyncs_loop_destroy(loop);
  metrics_switch(loop, false);
  if (loop->backend)
    loop->backend->destroy(loop);
  loop_free_arrays(loop);
  const bool kept = debug_loop_destroy(loop);  // debug mode keeps it a while, with the rare block
  if (!kept)
    ev_free(rare_of(loop));
  loop_forks_remove(loop);

  bool is_default = loop == ev_default_loop_ptr;
  if (is_default)
    default_loop_count = loop->loop_count;
  const int debug_guard = loop->run_guard & kRunGuardDebug;
  loop->~ev_loop();
  if (is_default) {
    ev_default_loop_ptr = nullptr;
    // The default loop's storage outlives it, and programs keep its address: the mark sends ev_run
    // and a second ev_loop_destroy to a usage error, where libev 4.33 crashes or frees static
    // memory.  Written after the destructor, so that no compiler takes it for a dead store; debug
    // mode keeps its own bit to report other calls.  ev_default_loop clears it.
    loop->run_guard = kRunGuardDestroyed | debug_guard;
    run_entry_update(loop);
  } else if (!kept)
    ev_free(loop);
}

// Only a flag: the next iteration runs the fork watchers and re-creates the kernel state (ev(3)).
void ev_loop_fork(EV_P) noexcept { request_repair(loop, kRepairForked); }

}  // extern "C"
