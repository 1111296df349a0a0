// SPDX-License-Identifier: BSD-2-Clause
// watchers/array_watchers.cc - ev_prepare, ev_check, ev_fork, ev_cleanup and ev_idle start and stop
// (watchers/array_watcher.h).  The iteration runs them in the steps ev(3) names (loop/loop_run.cc),
// cleanup watchers run in ev_loop_destroy, and idle watchers by the idle rule (idle.cc).
#include "watchers/array_watcher.h"

using namespace ev_detail;

namespace {

array<W> &prepares_of(ev_loop *loop, W) { return loop->prepares; }
array<W> &checks_of(ev_loop *loop, W) { return loop->checks; }
array<W> &forks_of(ev_loop *loop, W) { return loop->forks; }
array<W> &cleanups_of(ev_loop *loop, W) { return loop->cleanups; }
array<W> &idles_of(ev_loop *loop, W w) { return loop->idles[priority_of(w) - EV_MINPRI]; }

constexpr array_watcher_kind kPrepare{.type = EV_PREPARE,
                                      .start_api = "ev_prepare_start",
                                      .stop_api = "ev_prepare_stop",
                                      .array_of = prepares_of,
                                      .member = kWorkPrepare};
constexpr array_watcher_kind kCheck{.type = EV_CHECK,
                                    .start_api = "ev_check_start",
                                    .stop_api = "ev_check_stop",
                                    .array_of = checks_of,
                                    .member = kWorkCheck};
constexpr array_watcher_kind kFork{
    .type = EV_FORK, .start_api = "ev_fork_start", .stop_api = "ev_fork_stop", .array_of = forks_of};
constexpr array_watcher_kind kCleanup{.type = EV_CLEANUP,
                                      .start_api = "ev_cleanup_start",
                                      .stop_api = "ev_cleanup_stop",
                                      .array_of = cleanups_of,
                                      .gives_reference_back = true};
constexpr array_watcher_kind kIdle{.type = EV_IDLE,
                                   .start_api = "ev_idle_start",
                                   .stop_api = "ev_idle_stop",
                                   .array_of = idles_of,
                                   .per_priority = true,
                                   .member = kWorkIdle};

}  // namespace

extern "C" {

#if EV_PREPARE_ENABLE
void ev_prepare_start(EV_P_ ev_prepare *w) noexcept { array_watcher_start<kPrepare>(loop, w); }
void ev_prepare_stop(EV_P_ ev_prepare *w) noexcept { array_watcher_stop<kPrepare>(loop, w); }
#endif
#if EV_CHECK_ENABLE
void ev_check_start(EV_P_ ev_check *w) noexcept { array_watcher_start<kCheck>(loop, w); }
void ev_check_stop(EV_P_ ev_check *w) noexcept { array_watcher_stop<kCheck>(loop, w); }
#endif
#if EV_FORK_ENABLE
void ev_fork_start(EV_P_ ev_fork *w) noexcept { array_watcher_start<kFork>(loop, w); }
void ev_fork_stop(EV_P_ ev_fork *w) noexcept { array_watcher_stop<kFork>(loop, w); }
#elif EV_EMBED_ENABLE
}  // extern "C"
// An embed watcher's own fork watcher in a build without the type
// (watchers/embed.cc), as libev's embed watchers work without ev_fork_start.
void ev_detail::embed_fork_watcher(ev_loop *loop, ev_fork *w, bool start)
{
  start ? array_watcher_start<kFork>(loop, w) : array_watcher_stop<kFork>(loop, w);
}
extern "C" {
#endif
#if EV_CLEANUP_ENABLE
void ev_cleanup_start(EV_P_ ev_cleanup *w) noexcept { array_watcher_start<kCleanup>(loop, w); }
void ev_cleanup_stop(EV_P_ ev_cleanup *w) noexcept { array_watcher_stop<kCleanup>(loop, w); }
#endif
#if EV_IDLE_ENABLE
void ev_idle_start(EV_P_ ev_idle *w) noexcept { array_watcher_start<kIdle>(loop, w); }
void ev_idle_stop(EV_P_ ev_idle *w) noexcept { array_watcher_stop<kIdle>(loop, w); }
#endif

}  // extern "C"
