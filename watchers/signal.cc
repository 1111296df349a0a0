// watchers/signal.cc - ev_signal (ev(3) "ev_signal - signal me when a
// signal gets signalled!", ev_feed_signal, ev_feed_signal_event,
// EVFLAG_SIGNALFD, EVFLAG_NOSIGMASK).
//
// A signal belongs to at most one loop at a time; the table below (the only
// process-wide state besides child watchers) records the owner, a pending
// flag set from the handler, and the watchers (newest first, so that LIFO
// invocation runs them in start order).  Delivery path: the handler sets
// the pending flag and wakes the owner through its wake-up fd
// (core/wakeup.h); the loop's internal EV_MAXPRI watcher then queues the
// watchers (signals_process).  With EVFLAG_SIGNALFD the signal is blocked
// and read from a signalfd instead.
//
// Signal masks, as libev 4.33 really behaves (SEMANTICS.md §9): by default
// the mask is left alone; with EVFLAG_NOSIGMASK a start *unblocks* the
// signal (libev's test of the flag is inverted; programs depend on it);
// with signalfd the signal is blocked while watched and unblocked on stop.
#include "loop.h"

#include <cerrno>
#include <csignal>
#include <unistd.h>
#ifdef HAVE_SYS_SIGNALFD_H
# include <sys/signalfd.h>
#endif

using namespace ev_detail;

namespace {

constexpr int kNsig = 65;  // signals 1 .. 64, as libev's EV_NSIG on Linux

struct signal_slot {
  std::atomic<ev_loop *> loop;  // the owner, or null
  std::atomic<int> pending;     // set by the handler, cleared by the owner
  WL head;                      // the owner's watchers, newest first
};

constinit signal_slot signals[kNsig - 1];

void sighandler(int signum) { ev_feed_signal(signum); }

void set_blocked(int signum, bool blocked)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signum);
  sigprocmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

#ifdef HAVE_SIGNALFD
// The signalfd's io watcher: read what arrived and queue the watchers.
void sigfd_cb(ev_loop *loop, ev_io *, int)
{
  struct signalfd_siginfo si[8];
  for (;;) {
    ssize_t n = ::read(loop->sigfd, si, sizeof si);
    if (n <= 0)
      break;
    for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof si[0]); ++i)
      ev_feed_signal_event(loop, static_cast<int>(si[i].ssi_signo));
    if (n != static_cast<ssize_t>(sizeof si))
      break;
  }
}

// Use signalfd for this loop?  Creates it on first use; false if missing.
bool sigfd_enabled(ev_loop *loop)
{
  if (!(loop->flags & EVFLAG_SIGNALFD))
    return false;
  if (loop->sigfd == -1) {
    sigemptyset(&loop->sigfd_set);
    loop->sigfd = signalfd(-1, &loop->sigfd_set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->sigfd < 0) {
      loop->sigfd = -2;  // not available: fall back to handlers for good
      return false;
    }
    ev_io_init(&loop->sigfd_w, sigfd_cb, loop->sigfd, EV_READ);
    ev_set_priority(&loop->sigfd_w, EV_MAXPRI);
    start_internal_io(loop, &loop->sigfd_w);
  }
  return loop->sigfd >= 0;
}

void sigfd_update(ev_loop *loop) { signalfd(loop->sigfd, &loop->sigfd_set, 0); }
#else
bool sigfd_enabled(ev_loop *) { return false; }
void sigfd_update(ev_loop *) {}
#endif

void install(ev_loop *loop, int signum)
{
  if (sigfd_enabled(loop)) {
    sigaddset(&loop->sigfd_set, signum);
    sigfd_update(loop);
    set_blocked(signum, true);
    return;
  }
  struct sigaction sa = {};
  sa.sa_handler = sighandler;
  sigfillset(&sa.sa_mask);  // no other signal interrupts the handler
  sa.sa_flags = SA_RESTART;
  sigaction(signum, &sa, nullptr);
  if (loop->flags & EVFLAG_NOSIGMASK)
    set_blocked(signum, false);  // libev 4.33's inverted flag, see above
}

void uninstall(ev_loop *loop, int signum)
{
  if (loop->sigfd >= 0 && sigismember(&loop->sigfd_set, signum)) {
    sigdelset(&loop->sigfd_set, signum);
    sigfd_update(loop);
    set_blocked(signum, false);
    return;
  }
  signal(signum, SIG_DFL);  // a handler the program had before is not restored (libev)
}

}  // namespace

namespace ev_detail {

// The wake-up fd reported that some signal of this loop arrived.  Queued
// from the highest number down, so that (LIFO) the lowest runs first, as
// in libev.
void signals_process(ev_loop *loop)
{
  for (int s = kNsig - 1; s--;)
    if (signals[s].pending.load(std::memory_order_relaxed) &&
        signals[s].loop.load(std::memory_order_relaxed) == loop)
      ev_feed_signal_event(loop, s + 1);
}

// The loop is being destroyed: release its signals.  (libev leaves its
// handler installed with a pointer to the freed loop; here the signals go
// back to their default disposition.)
void signals_loop_destroy(ev_loop *loop)
{
  for (int s = 0; s < kNsig - 1; ++s)
    if (signals[s].loop.load() == loop) {
      uninstall(loop, s + 1);
      signals[s].head = nullptr;
      signals[s].pending.store(0);
      signals[s].loop.store(nullptr);
    }
  if (loop->sigfd >= 0) {
    stop_internal_io(loop, &loop->sigfd_w);
    ::close(loop->sigfd);
    loop->sigfd = -1;
  }
}

// A signalfd reads the signals of whichever process reads it, and the fd
// table (with it) is re-registered by the backend's fork: nothing to do.
void signalfd_fork(ev_loop *) {}

}  // namespace ev_detail

extern "C" {

void ev_signal_start(struct ev_loop *loop, ev_signal *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;

  int signum = w->signum;
  if (EV_UNLIKELY(signum <= 0 || signum >= kNsig))
    usage_error("ev_signal_start", "signum", static_cast<long long>(signum),
                "libev: ev_signal_start called with illegal signal number");

  signal_slot &slot = signals[signum - 1];
  ev_loop *owner = slot.loop.load();
  if (EV_UNLIKELY(owner && owner != loop))
    usage_error("ev_signal_start", "signum", static_cast<long long>(signum),
                "libev: a signal must not be attached to two different loops");

  wakeup_init(loop);  // ev_feed_signal wakes the loop through it
  start_watcher(loop, as_w(w), 1);
  bool first = !slot.head;
  wlist_add(&slot.head, as_wl(w));

  if (first) {
    slot.loop.store(loop);
    install(loop, signum);
  }
  EV_FREQUENT_CHECK(loop);
}

void ev_signal_stop(struct ev_loop *loop, ev_signal *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;

  int signum = w->signum;
  if (EV_UNLIKELY(signum <= 0 || signum >= kNsig))
    usage_error("ev_signal_stop", "signum", static_cast<long long>(signum),
                "libev: ev_signal_stop called with illegal signal number (must stay constant after start!)");

  signal_slot &slot = signals[signum - 1];
  wlist_del(&slot.head, as_wl(w));
  stop_watcher(loop, as_w(w));

  if (!slot.head) {
    slot.loop.store(nullptr);
    slot.pending.store(0);
    uninstall(loop, signum);
  }
  EV_FREQUENT_CHECK(loop);
}

// Async-signal-safe and thread-safe: as if the signal had arrived.  Ignored
// when no loop watches it.
void ev_feed_signal(int signum) noexcept
{
  if (signum <= 0 || signum >= kNsig)
    return;
  signal_slot &slot = signals[signum - 1];
  ev_loop *loop = slot.loop.load(std::memory_order_acquire);
  if (!loop)
    return;
  slot.pending.store(1, std::memory_order_seq_cst);
  wakeup_signal(loop, loop->sig_pending);
}

// Makes the signal's watchers pending at once; ignored unless loop owns it.
void ev_feed_signal_event(struct ev_loop *loop, int signum) noexcept
{
  if (signum <= 0 || signum >= kNsig)
    return;
  signal_slot &slot = signals[signum - 1];
  if (slot.loop.load(std::memory_order_relaxed) != loop)
    return;
  slot.pending.store(0, std::memory_order_relaxed);
  for (WL w = slot.head; w; w = w->next)
    feed(loop, as_w(w), EV_SIGNAL);
}

}  // extern "C"
