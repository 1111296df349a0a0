// SPDX-License-Identifier: BSD-2-Clause
// diag/debug.h - debug mode (ev(3) LIBEV-NG EXTENSIONS, "Debug mode";
// EVFLAG_NG_DEBUG, LIBEV_NG_DEBUG): the misuse that silently corrupts a
// libev program - a watcher freed, re-initialised or modified while active,
// a watcher started on two loops, a loop used from a thread other than the
// one running it - is reported as a usage error (base/alloc.h), naming the
// call, the watcher and what to do, and the program aborts.
//
// What is checked, and when (diag/debug.cc has the details):
//  - the loop records every watcher its start functions made active, with a
//    snapshot of what must not change while it is active (the watcher's
//    layout is libev's ABI: there is no room for a canary in it);
//  - every start, stop and restart checks the watcher against its record
//    and against where the loop keeps it (debug_before), and updates the
//    record (debug_after); every feed checks the calling thread;
//  - every callback is preceded by the same check of its watcher
//    (invoke_pending_debug), and every iteration checks every watcher the
//    loop's structures hold, before the loop walks them (debug_check_all);
//  - the loop's own stops (an expired one-shot timer, see
//    debug_reconcile) are taken from the pending queue once per iteration.
//
// Zero cost without it: debug mode closes the gates that the fast paths of
// the hot calls test anyway (the io change queue, the timer heap, the
// pending queue's feed), takes part in four phases of the iteration
// (kDebugPhases), and sets a bit of loop->run_guard that ev_run tests
// anyway; only ev_timer_stop, ev_timer_again (through the loop's flags) and
// ev_invoke_pending test for it themselves (see there).  The other watcher
// types test it at the top of their start and stop functions (not on any
// hot path).
#pragma once

#include "loop/loop.h"

namespace ev_detail {

// Where debug mode acts in an iteration: it checks every watcher before the
// wait, takes the loop's own stops from the queue after it, and checks each
// watcher before its callback.
inline constexpr phase kDebugPhases[] = {kPhaseBeforeWait, kPhaseBeforePoll, kPhaseAfterWait, kPhaseInvoke};

#if EV_NG_DEBUG_MODE
// Should a loop created with these (effective) flags run in debug mode?
// EVFLAG_NG_DEBUG, or LIBEV_NG_DEBUG in the environment (see loop/loop.cc).
bool debug_requested(unsigned int flags);

// Set up debug mode for a new loop / end it with the loop: true if the
// loop's memory is kept (then ev_loop_destroy does not free it), so that a
// later call with the destroyed loop is reported.
void debug_loop_init(ev_loop *loop);
bool debug_loop_destroy(ev_loop *loop);

inline bool debug_on(const ev_loop *loop) { return loop->debug; }

// For stop functions, which must not read the loop for a watcher that is
// neither active nor pending (ev(3): its loop may be gone).
inline bool debug_on_for_stop(const ev_loop *loop, W w) { return (w->active || w->pending) && debug_on(loop); }

// Around a start, stop or restart of w (type: its EV_* bit) by the call
// `api`: before checks the watcher and the calling thread (and reports);
// after records what the call left: active or not.
void debug_before(ev_loop *loop, W w, int type, const char *api);
void debug_after(ev_loop *loop, W w, int type);

template <class T>
void debug_wrap(ev_loop *loop, T *w, int type, const char *api, void (*op)(ev_loop *, T *))
{
  debug_before(loop, as_w(w), type, api);
  op(loop, w);
  debug_after(loop, as_w(w), type);
}

// Another checked call (a feed, ev_loop_destroy; w may be null): the
// calling thread, and w's record if it has one.
void debug_check_call(ev_loop *loop, const char *api, W w);

// ev_run, debug mode: the thread that runs the loop.  enter returns
// whether exit must be called with true (the call counted as a run of the
// loop's thread).
bool debug_run_enter(ev_loop *loop);
void debug_run_exit(ev_loop *loop, bool counted);

// Every watcher the loop holds, once per iteration (before the fd changes
// are applied and the loop waits).  (The check of the watchers of one fd,
// debug_check_fd, is declared in fd/fd.h, where fd_list_repair calls it.)
void debug_check_all(ev_loop *loop);

// Forget the watchers the loop stopped itself and queued (the pending
// queue's watchers whose `active` is 0): one-shot timers.
void debug_reconcile(ev_loop *loop);

// ev_invoke_pending in debug mode: the calling thread, then each watcher
// before its callback.  (ev_run's invocation step: invoke_pending_debug,
// loop/loop.h.)
void debug_invoke_pending(ev_loop *loop);
// The check of one watcher before its callback, for an invocation pass of
// another kind (the one that metrics time, diag/metrics.cc, for ev_run or
// ev_loop_destroy).
void debug_check_callback(ev_loop *loop, W w);

// ev_set_loop_release_cb in debug mode: the callbacks are wrapped, so that
// the loop counts as handed over between release and acquire.
void debug_set_release_cbs(ev_loop *loop, void (*release)(EV_P) noexcept, void (*acquire)(EV_P) noexcept);

#else
// A build without debug mode (EV_NG_DEBUG_MODE 0, ev(3) EMBEDDING): no loop
// is ever in it, and its calls compile to nothing.
inline bool debug_requested(unsigned int) { return false; }
inline void debug_loop_init(ev_loop *) {}
inline bool debug_loop_destroy(ev_loop *) { return false; }
inline bool debug_on(const ev_loop *) { return false; }
inline bool debug_on_for_stop(const ev_loop *, W) { return false; }
inline void debug_before(ev_loop *, W, int, const char *) {}
inline void debug_after(ev_loop *, W, int) {}
template <class T, class Op>
void debug_wrap(ev_loop *, T *, int, const char *, Op)
{
}
inline void debug_check_call(ev_loop *, const char *, W) {}
inline bool debug_run_enter(ev_loop *) { return false; }
inline void debug_run_exit(ev_loop *, bool) {}
inline void debug_check_all(ev_loop *) {}
inline void debug_reconcile(ev_loop *) {}
inline void debug_invoke_pending(ev_loop *) {}
inline void debug_check_callback(ev_loop *, W) {}
inline void debug_set_release_cbs(ev_loop *, void (*)(EV_P) noexcept, void (*)(EV_P) noexcept) {}
#endif

}  // namespace ev_detail
