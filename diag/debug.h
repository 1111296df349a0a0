// SPDX-License-Identifier: BSD-2-Clause
// diag/debug.h - debug mode, EVFLAG_NG_DEBUG or LIBEV_NG_DEBUG.  The misuse that silently corrupts
// a libev program, such as a watcher freed or modified while active, started on two loops, or a
// loop used from a thread that does not run it, is reported as a usage error naming the call, the
// watcher and what to do, and the program aborts; diag/debug.cc says what is checked, and when.
//
// Without debug mode nothing is paid: it closes the gates that the fast paths of the hot calls test
// anyway, has work in three steps of the iteration (kWorkDebug), and sets a bit of loop->run_guard,
// which sends ev_run to its guarded entry (run_entry_update).  Only ev_timer_stop, ev_timer_again
// and ev_invoke_pending test for it themselves; other watcher types test it at the top of their
// start and stop, on no hot path.
#pragma once

#include "loop/loop.h"

namespace ev_detail {

#if EV_NG_DEBUG_MODE
// Should a loop created with these effective flags run in debug mode?
bool debug_requested(unsigned int flags);

// Set up debug mode for a new loop and end it with the loop.  destroy returns true if it keeps the
// loop's memory, which ev_loop_destroy then does not free, so later calls with it are reported.
void debug_loop_init(ev_loop *loop);
bool debug_loop_destroy(ev_loop *loop);

// For stop functions, which must not read the loop for a watcher that is
// neither active nor pending, since its loop may be gone.
inline bool debug_on_for_stop(const ev_loop *loop, W w) { return (w->active || w->pending) && debug_on(loop); }

// Around a start, stop or restart of w, of EV_* bit `type`, by the call `api`: before checks the
// watcher and the calling thread, and after records whether the call left it active.
void debug_before(ev_loop *loop, W w, int type, const char *api);
void debug_after(ev_loop *loop, W w, int type);

template <class T>
void debug_wrap(ev_loop *loop, T *w, int type, const char *api, void (*op)(ev_loop *, T *))
{
  debug_before(loop, as_w(w), type, api);
  op(loop, w);
  debug_after(loop, as_w(w), type);
}

// Another checked call, such as a feed: the calling thread, and the record of w, which may be null.
void debug_check_call(ev_loop *loop, const char *api, W w);

// ev_run in debug mode notes the thread that runs the loop.  enter returns
// whether the call counted as a run of the loop's thread, for exit.
bool debug_run_enter(ev_loop *loop);
void debug_run_exit(ev_loop *loop, bool counted);

// Every watcher the loop holds, once per iteration before the fd changes
// are applied.  debug_check_fd, for one fd, is declared in fd/fd.h.
void debug_check_all(ev_loop *loop);

// Forget the watchers the loop stopped itself and queued, such as
// one-shot timers: the pending watchers whose `active` is 0.
void debug_reconcile(ev_loop *loop);

// An invocation pass in debug mode (loop/loop.cc, invoke_pass_checked) checks the calling thread
// first, then each watcher before its callback; a report names `api`, the program's call, or for
// the loop's own pass ev_run or ev_loop_destroy.  While the program's invoke-pending callback runs,
// the loop counts as handed over to whichever thread invokes.
void debug_pass_begin(ev_loop *loop, const char *api);
void debug_check_callback(ev_loop *loop, W w, const char *api);
void debug_invoke_handed_over(ev_loop *loop);

// ev_set_loop_release_cb in debug mode: the callbacks are wrapped, so that
// the loop counts as handed over between release and acquire.
void debug_set_release_cbs(ev_loop *loop, void (*release)(EV_P) noexcept, void (*acquire)(EV_P) noexcept);

#else
// With EV_NG_DEBUG_MODE 0 no loop is ever in debug mode, and its calls compile to nothing.
inline bool debug_requested(unsigned int) { return false; }
inline void debug_loop_init(ev_loop *) {}
inline bool debug_loop_destroy(ev_loop *) { return false; }
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
inline void debug_pass_begin(ev_loop *, const char *) {}
inline void debug_check_callback(ev_loop *, W, const char *) {}
inline void debug_invoke_handed_over(ev_loop *) {}
inline void debug_set_release_cbs(ev_loop *, void (*)(EV_P) noexcept, void (*)(EV_P) noexcept) {}
#endif

}  // namespace ev_detail
