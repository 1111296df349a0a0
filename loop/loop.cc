// SPDX-License-Identifier: BSD-2-Clause
// loop/loop.cc - THE LOOP, after ev(3) FUNCTIONS CONTROLLING EVENT LOOPS and GENERIC WATCHER
// FUNCTIONS: ev_run's entry, ev_break, references, the invocation of pending watchers and the
// loop's simple accessors; loop/loop_run.cc has the iteration, loop/loop_life.cc the loop's life.
#include "diag/debug.h"
#include "diag/metrics.h"
#include "diag/probes.h"
#include "fd/stream.h"
#include "fd/wakeup.h"

#include <cmath>

using namespace ev_detail;

namespace ev_detail {

namespace {

// The entry of a loop with a run guard or hooks: ev_run is forbidden with a destroyed default loop
// and in a release or acquire callback, debug mode notes the thread that runs the loop, and a
// backend's stream engine sends what the last pass queued before ev_run returns.
int run_guarded(ev_loop *loop, int flags)
{
  if (loop->run_guard & kRunGuardDestroyed)
    usage_error("ev_run", "loop", static_cast<const void *>(loop),
                "libev: ev_run called with the default loop after ev_loop_destroy destroyed it; call "
                "ev_default_loop to make it again");
  if (loop->run_guard & kRunGuardInRelease)
    usage_error("ev_run", "libev: ev_loop recursion during release detected");
  const bool counted = debug_on(loop) && debug_run_enter(loop);
  int result = loop->iterate(loop, flags);
  if (loop->run_guard & kRunGuardStreams) {
    streams_run_end(loop);
    result = loop->activecnt;  // (a completion it called may have stopped its stream)
  }
  if (debug_on(loop))
    debug_run_exit(loop, counted);
  return result;
}

}  // namespace

// ev_run's test of the guard and the hooks, made when they change rather than in every ev_run.  A
// destroyed default loop is not read beyond run_guard.  The hooks guard from outside run_guard,
// since kRunGuardInRelease changes twice an iteration.
void run_entry_update(ev_loop *loop)
{
  loop->run = loop->run_guard || loop->release_cb || loop->acquire_cb ? run_guarded : loop->iterate;
}

void max_block_update(ev_loop *loop)
{
  if (loop->wakeup.fd == kLoopFdRefused)
    loop->max_block = kWakeupPollInterval;  // the flags are looked at after every poll
  else if (loop->timerfd.fd >= 0)
    loop->max_block = kMaxBlockTimeTimerfd;  // wall-clock jumps are reported
  else
    loop->max_block = kMaxBlockTime;
}

// The invocation step with work (kStepInvoke): the metrics close the poll before it; then the
// program's callback, whose watchers' priorities are unknown here, so that the metrics time it as
// a whole and debug mode counts the loop handed over while it runs; or the pass with its checks.  Streams send what
// the pass queued right after it, so that every pass, the last of a run too, leaves nothing queued
// before the loop blocks.
void invoke_pending_with_work(ev_loop *loop)
{
  if (metrics_of(loop))
    metrics_invoke_begin(loop);
  if (loop->invoke_cb == ev_invoke_pending) {
    if (loop->pending.any())
      invoke_pass(loop, loop->invoke_checks | (metrics_of(loop) ? kInvokeTimed : 0), nullptr);
  } else {
    metrics_block *m = metrics_of(loop);
    const metrics_ticks started = m ? metrics_pass_start(m) : 0;
    if (debug_on(loop))
      debug_invoke_handed_over(loop);
    else
      loop->invoke_cb(EV_A);
    if (metrics_of(loop))  // the callback may have switched metrics off
      metrics_program_cb_end(loop, started);
  }
  if (member_has_work(loop, kWorkStreams))
    streams_flush(loop);
}

// A pass with checks: debug mode's, the probes' (call_watcher), and the metrics' time per level,
// which the scan tells at each change of level; a callback may switch metrics off, so the block is
// looked up again there.
void invoke_pass_checked(ev_loop *loop, unsigned checks, const char *api)
{
  if constexpr (!kInvokeChecks)
    return;
  if (checks & kInvokeCheckDebug)
    debug_pass_begin(loop, api);
  metrics_ticks t = checks & kInvokeTimed ? metrics_pass_start(metrics_of(loop)) : 0;
  int level = -1;
  loop->pending.invoke_all(
      [loop, checks, api](W w, int revents) {
        if (checks & kInvokeCheckDebug)
          debug_check_callback(loop, w, api);
        call_watcher(loop, w, revents);
      },
      [loop, checks, &level, &t](int p) {
        if (checks & kInvokeTimed)
          metrics_pass_level(loop, level, t, p);
      });
  if (checks & kInvokeTimed)
    metrics_pass_end(loop, level, t);
}

// The report names the start the program made, which the watcher's event tells.  Only
// ev_feed_event queues EV_CUSTOM or events of several kinds at once, so those name the feed, with
// what was fed; ev_invoke reports by itself.
void started_without_callback(EV_UNUSED_P_ ev_watcher *w, int revents)
{
  static constexpr struct {
    int event;
    const char *start;
  } kStarts[] = {
      {EV_READ, "ev_io_start"},         {EV_WRITE, "ev_io_start"},          {EV_ERROR, "ev_io_start"},
      {EV_TIMER, "ev_timer_start"},     {EV_PERIODIC, "ev_periodic_start"}, {EV_SIGNAL, "ev_signal_start"},
      {EV_CHILD, "ev_child_start"},     {EV_STAT, "ev_stat_start"},         {EV_IDLE, "ev_idle_start"},
      {EV_PREPARE, "ev_prepare_start"}, {EV_CHECK, "ev_check_start"},       {EV_EMBED, "ev_embed_start"},
      {EV_FORK, "ev_fork_start"},       {EV_CLEANUP, "ev_cleanup_start"},   {EV_ASYNC, "ev_async_start"},
  };
  const char *api = "ev_invoke_pending";
  for (const auto &s : kStarts)
    if (revents & s.event) {
      api = s.start;
      break;
    }
  const bool fed =
      (revents & EV_CUSTOM) || ((revents & ~(EV_READ | EV_WRITE | EV_ERROR)) && (revents & (EV_READ | EV_WRITE)));
  if (fed)
    api = "ev_feed_event";
  char what[200];
  message_format(what, sizeof what,
                 "libev: watcher %p was started without a callback (ev_init with a null one) and %s events %#x",
                 static_cast<void *>(w), fed ? "was fed" : "got", static_cast<unsigned>(revents));
  usage_error(api, "cb", 0LL, what);
}

void not_active_here(const char *api, const void *w, long long active)
{
  char what[256];
  message_format(what, sizeof what,
                 "libev: %s called with a watcher that is not active in this loop: %p is not a watcher, "
                 "or was started in another loop",
                 api, w);
  usage_error(api, "active", active, what);
}

void reinitialised_while_active(const char *api, const void *w, const char *arg, long long value)
{
  char what[256];
  message_format(what, sizeof what,
                 "libev: %s called with corrupted watcher: %p was re-initialised (ev_TYPE_init, "
                 "ev_TYPE_set) or started again while active; stop it first",
                 api, w);
  usage_error(api, arg, value, what);
}

}  // namespace ev_detail

extern "C" {

int ev_version_major(void) noexcept { return EV_VERSION_MAJOR; }
int ev_version_minor(void) noexcept { return EV_VERSION_MINOR; }
const char *ev_ng_version(void) noexcept { return EV_NG_VERSION; }

// Without multiplicity the one loop exists before ev_default_loop made it, and
// stays when no backend could be had: libev answers 0 for it then.
unsigned int ev_backend(EV_P) noexcept { return loop->backend ? loop->backend->flag : 0; }

#if EV_MULTIPLICITY
ev_tstamp ev_now(EV_P) noexcept { return loop->ev_rt_now; }
#endif
ev_tstamp ev_monotonic_now(EV_P) noexcept { return loop->mn_now; }

void ev_now_update(EV_P) noexcept { time_update(loop); }

}  // extern "C"

extern "C" {

int ev_run(EV_P_ int flags)
{
  // Increment loop depth, which ev(3) leaves as it is if a callback throws.
  ++loop->loop_depth;
  return loop->run(loop, flags);
}

void ev_break(EV_P_ int how) noexcept { loop->loop_done = how; }

void ev_ref(EV_P) noexcept { ++loop->activecnt; }
void ev_unref(EV_P) noexcept { --loop->activecnt; }

// the full API, EV_FEATURES bit 8, always in the library
#if EV_FEATURE_API
unsigned int ev_iteration(EV_P) noexcept { return loop->loop_count; }
unsigned int ev_depth(EV_P) noexcept { return loop->loop_depth; }

void ev_set_io_collect_interval(EV_P_ ev_tstamp interval) noexcept
{
  loop->io_blocktime = interval;
  work_set(loop, kWorkCollect, collect_intervals(loop));
  if (loop->backend->collect)  // the next iteration's block time says it again while one is set
    loop->backend->collect(loop, 0.);
}

// A timeout collect interval longer than the longest wait a backend makes in one go (timeout_to_ms,
// backends/backend.h) is a usage error, because the loop would wait forever; libev 4.33 hangs
// there, or aborts on one backend.  As in libev, NaN and values <= 0 mean no interval, and an io
// collect interval is bounded by the time to the next timer.
constexpr ev_tstamp kMaxTimeoutCollectInterval = 2e6;

void ev_set_timeout_collect_interval(EV_P_ ev_tstamp interval) noexcept
{
  if (interval > kMaxTimeoutCollectInterval)
    usage_error("ev_set_timeout_collect_interval", "interval", interval,
                interval == HUGE_VAL ? "libev: ev_set_timeout_collect_interval called with an infinite interval"
                                     : "libev: ev_set_timeout_collect_interval called with an interval above 2e6 s");
  loop->timeout_blocktime = interval;
  work_set(loop, kWorkCollect, collect_intervals(loop));
}

void ev_set_userdata(EV_P_ void *data) noexcept { loop->userdata = data; }
void *ev_userdata(EV_P) noexcept { return loop->userdata; }

// A null callback restores the default, where libev would call through null.
void ev_set_invoke_pending_cb(EV_P_ ev_loop_callback cb) noexcept
{
  loop->invoke_cb = cb ? cb : ev_invoke_pending;
  work_set(loop, kWorkInvokeCb, loop->invoke_cb != ev_invoke_pending);
}

void ev_set_loop_release_cb(EV_P_ void (*release)(EV_P) noexcept, void (*acquire)(EV_P) noexcept) noexcept
{
  if (debug_on(loop))
    return debug_set_release_cbs(loop, release, acquire);
  loop->release_cb = release;
  loop->acquire_cb = acquire;
  work_set(loop, kWorkHooks, wait_hooks(loop));
  run_entry_update(loop);
}
#endif

#ifdef EV_NG_EMBED
// A hook of the wait for embed/ev_ng_embed.h, like the release and acquire callbacks (hooked_wait).
void ev_ng_set_wait_cb(EV_P_ void (*cb)(EV_P_ void *(*wait)(void *), void *arg)) noexcept
{
  if (cb || rare_of(loop))
    rare_get(loop)->wait_cb = cb;
  work_set(loop, kWorkHooks, wait_hooks(loop));
}
#endif

// The invocation pass (invoke_pass), called by the program: debug mode's checks and the probes
// as for the loop's passes, but no time per level, which the metrics charge to the program's
// invoke-pending callback that makes the call, or not at all outside ev_run.
void ev_invoke_pending(EV_P) { invoke_pass(loop, loop->invoke_checks, "ev_invoke_pending"); }

unsigned int ev_pending_count(EV_P) noexcept { return loop->pending.count(); }

// The slow half of ev_feed_event, where debug mode checks the calling thread by closing
// pending_queues::feed_gate.  noinline keeps ev_feed_event's fast path frameless.
[[gnu::noinline]] static void feed_event_slow(ev_loop *loop, W w, int revents)
{
  // libev 4.33 queues it and calls address 0 when it invokes it
  if (!ev_cb(w))
    usage_error("ev_feed_event", "cb", 0LL, "libev: ev_feed_event called with a watcher without a callback");
  if (debug_on(loop))
    debug_check_call(loop, "ev_feed_event", w);
  loop->pending.feed_slow(w, revents, "ev_feed_event");
}

void ev_feed_event(EV_P_ void *w, int revents) noexcept
{
  if (EV_LIKELY(ev_cb(static_cast<W>(w))) && loop->pending.feed_fast(static_cast<W>(w), revents))
    return;
  feed_event_slow(loop, static_cast<W>(w), revents);
}

// A null callback is a usage error, also one that a start replaced (loop/loop.h,
// started_without_callback); libev 4.33 calls address 0.
void ev_invoke(EV_P_ void *w, int revents)
{
  W ww = static_cast<W>(w);
  if (EV_UNLIKELY(!ev_cb(ww) || ev_cb(ww) == started_without_callback))
    usage_error("ev_invoke", "cb", 0LL, "libev: ev_invoke called with a watcher without a callback");
  invoke_callback(loop, ww, revents);
}

int ev_clear_pending(EV_P_ void *w) noexcept { return clear_pending(loop, static_cast<W>(w), "ev_clear_pending"); }

// Brings the loop time up to date, so that ev_resume measures from the moment of suspension.
void ev_suspend(EV_P) noexcept { ev_now_update(EV_A); }

// Timers move by the time since the loop time was last updated, which is since ev_suspend if it
// was called, else since the last iteration, as in libev 4.33.  No state is kept between the two
// calls, so a resume without a suspend cannot shift timers by more.
void ev_resume(EV_P) noexcept
{
  ev_tstamp before = loop->mn_now;
  ev_now_update(EV_A);
  timers_shift(loop, loop->mn_now - before);
  periodics_reschedule(loop);
}

}  // extern "C"
