// SPDX-License-Identifier: BSD-2-Clause
// watchers/signal.cc - ev_signal, after ev(3)'s ev_signal section, ev_feed_signal,
// ev_feed_signal_event, EVFLAG_SIGNALFD and EVFLAG_NOSIGMASK.
//
// As in libev, a signal belongs to one loop at a time.  Its slot holds the owner, a pending flag
// the handler sets, and the watchers newest first, so LIFO invocation runs them in start order.
// The handler sets the flag and wakes the owner through its wake-up fd; the loop then queues the
// watchers (signals_process).  With EVFLAG_SIGNALFD the signal is blocked and read from a signalfd.
//
// The extension EVFLAG_NG_ANY_LOOP lets other loops watch the signal at the same time, where libev
// aborts.  Each gets a share, with its own pending flag and list, and every arrival reaches the
// owner and all shares.  Shares never use a signalfd: an owner that reads the signal from its
// signalfd, where no handler runs, passes it on.
//
// Signal masks follow what libev 4.33 really does (doc/semantics.md §11).  By default the mask is
// left alone.  With EVFLAG_NOSIGMASK a start *unblocks* the signal, because libev's test of the
// flag is inverted and programs depend on it.  With signalfd the signal is blocked while watched.
#include "base/probes.h"
#include "diag/debug.h"
#include "diag/walk.h"
#include "fd/loop_fd.h"
#include "fd/wakeup.h"
#include "watchers/start_stop.h"

#include <unistd.h>
#include <cerrno>
#include <csignal>
#if EV_NG_HAVE_SIGNALFD
#include <sys/signalfd.h>
#endif

using namespace ev_detail;

constexpr watcher_calls kSignalCalls{EV_SIGNAL, "ev_signal_start", "ev_signal_stop"};

namespace {

// Signals 1 .. kNsig - 1, as in libev: the system's NSIG, which every system libev runs on has
// though POSIX does not ask for it, or the EV_NSIG of a program that compiles the core into itself.
#if defined(EV_NSIG)
constexpr int kNsig = EV_NSIG;
#elif defined(NSIG)
constexpr int kNsig = NSIG;
#elif defined(_NSIG)
constexpr int kNsig = _NSIG;
#else
constexpr int kNsig = 65;
#endif

struct signal_slot {
  std::atomic<ev_loop *> loop;  // the owner, or null
  std::atomic<int> pending;     // set by the handler, cleared by the owner
  WL head = nullptr;            // the owner's watchers, newest first
};

constinit signal_slot signals[kNsig - 1];

// Another loop's watchers of a signal that a slot's owner watches too.  The pool is static, and an
// entry is only released and claimed again, never freed, so that the handler can walk it without a
// lock and without touching freed memory.
struct signal_share {
  std::atomic<int> signum;      // 0 if free; set last when claimed, cleared first when released
  std::atomic<ev_loop *> loop;  // the loop it belongs to; claimed by compare-and-swap
  std::atomic<int> pending;     // set by the handler, cleared by the loop
  WL head = nullptr;            // the loop's watchers of the signal, newest first
};

constexpr int kMaxShares = 256;
constinit signal_share shares[kMaxShares];
constinit std::atomic<int> shares_used{0};  // entries [0, shares_used) may be in use

signal_share *share_find(const ev_loop *loop, int signum)
{
  for (int i = 0, n = shares_used.load(std::memory_order_acquire); i < n; ++i)
    if (shares[i].signum.load(std::memory_order_relaxed) == signum && shares[i].loop.load() == loop)
      return &shares[i];
  return nullptr;
}

bool share_any(int signum, const ev_loop *except)
{
  for (int i = 0, n = shares_used.load(std::memory_order_acquire); i < n; ++i)
    if (shares[i].signum.load() == signum && shares[i].loop.load() != except)
      return true;
  return false;
}

signal_share *share_claim(ev_loop *loop, int signum)
{
  for (int i = 0; i < kMaxShares; ++i) {
    ev_loop *none = nullptr;
    if (!shares[i].loop.compare_exchange_strong(none, loop))
      continue;
    int used = shares_used.load();
    while (used < i + 1 && !shares_used.compare_exchange_weak(used, i + 1)) {
    }
    shares[i].head = nullptr;
    shares[i].pending.store(0);
    shares[i].signum.store(signum, std::memory_order_release);
    return &shares[i];
  }
  return nullptr;
}

void share_release(signal_share *sh)
{
  sh->signum.store(0);
  sh->head = nullptr;
  sh->pending.store(0);
  sh->loop.store(nullptr);
}

// The signal arrived: tell every share's loop but `except`.  Async-signal-safe.
void share_notify(int signum, const ev_loop *except)
{
  for (int i = 0, n = shares_used.load(std::memory_order_acquire); i < n; ++i) {
    signal_share &sh = shares[i];
    if (sh.signum.load(std::memory_order_acquire) != signum)
      continue;
    ev_loop *loop = sh.loop.load(std::memory_order_acquire);
    if (!loop || loop == except)
      continue;
    store_before_loads(sh.pending, 1);
    wakeup_signal(loop, loop->sig_pending);
  }
}

// May `loop` watch a signal that `owner`, and perhaps shares, watch already?
// Only if one of the loops involved asked for it; else libev's usage error.
bool sharing_allowed(const ev_loop *loop, const ev_loop *owner, int signum)
{
  if ((loop->flags | owner->flags) & EVFLAG_NG_ANY_LOOP)
    return true;
  for (int i = 0, n = shares_used.load(std::memory_order_acquire); i < n; ++i)
    if (shares[i].signum.load() == signum)
      if (const ev_loop *l = shares[i].loop.load(); l && (l->flags & EVFLAG_NG_ANY_LOOP))
        return true;
  return false;
}

// Signal s of 1 .. 64 as a bit of loop->sigfd_signals; MIPS's higher signals use the handler.
constexpr int kSigfdMax = 64;
constexpr std::uint64_t signal_bit(int s) { return std::uint64_t{1} << (s - 1); }

void sighandler(int signum) { ev_feed_signal(signum); }

void set_blocked(int signum, bool blocked)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signum);
  sigprocmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

#if EV_NG_HAVE_SIGNALFD
void sigfd_cb(EV_P_ ev_io *, int)
{
  struct signalfd_siginfo si[8];
  for (;;) {
    ssize_t n = ::read(loop->sigfd.fd, si, sizeof si);
    if (n <= 0)
      break;
    for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof si[0]); ++i) {
      int signum = static_cast<int>(si[i].ssi_signo);
      ev_feed_signal_event(EV_A_ signum);
      // blocked for the whole process: the shares' handler never runs
      if (shares_used.load(std::memory_order_relaxed))
        share_notify(signum, loop);
    }
    if (n != static_cast<ssize_t>(sizeof si))
      break;
  }
}

sigset_t sigfd_sigset(const ev_loop *loop)
{
  sigset_t set;
  sigemptyset(&set);
  for (int s = 1; s <= kSigfdMax && s < kNsig; ++s)
    if (loop->sigfd_signals & signal_bit(s))
      sigaddset(&set, s);
  return set;
}

// A signalfd for the signals of loop->sigfd_signals; false if the system refuses.
bool sigfd_open(ev_loop *loop)
{
  sigset_t set = sigfd_sigset(loop);
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0)
    return false;
  loop_fd_watch(loop, loop->sigfd, fd, sigfd_cb);
  return true;
}

// Use signalfd?  Made on first use; if refused, handlers serve for good, as in libev.
bool sigfd_enabled(ev_loop *loop)
{
  if (!(loop->flags & EVFLAG_SIGNALFD))
    return false;
  if (loop->sigfd.fd == kLoopFdNone) {
    loop->sigfd_signals = 0;
    if (!sigfd_open(loop))
      loop->sigfd.fd = kLoopFdRefused;
  }
  return loop->sigfd.fd >= 0;
}

void sigfd_update(ev_loop *loop)
{
  sigset_t set = sigfd_sigset(loop);
  signalfd(loop->sigfd.fd, &set, 0);
}
#else
bool sigfd_open(ev_loop *) { return false; }
bool sigfd_enabled(ev_loop *) { return false; }
void sigfd_update(ev_loop *) {}
#endif

void install_handler(int signum)
{
  struct sigaction sa = {};
  sa.sa_handler = sighandler;
  sigfillset(&sa.sa_mask);  // no other signal interrupts the handler
  sa.sa_flags = SA_RESTART;
  sigaction(signum, &sa, nullptr);
}

void install(ev_loop *loop, int signum)
{
  if (signum <= kSigfdMax && sigfd_enabled(loop)) {
    loop->sigfd_signals |= signal_bit(signum);
    sigfd_update(loop);
    set_blocked(signum, true);
    return;
  }
  install_handler(signum);
  if (loop->flags & EVFLAG_NOSIGMASK)
    set_blocked(signum, false);  // libev 4.33's inverted flag, see above
}

// The owner stops watching the signal.  `shared`: other loops still do, and
// they need the handler, installed before the signal is unblocked.
void uninstall(ev_loop *loop, int signum, bool shared)
{
  if (loop->sigfd.fd >= 0 && signum <= kSigfdMax && (loop->sigfd_signals & signal_bit(signum))) {
    loop->sigfd_signals &= ~signal_bit(signum);
    sigfd_update(loop);
    if (shared)
      install_handler(signum);
    set_blocked(signum, false);
    return;
  }
  if (!shared)
    signal(signum, SIG_DFL);  // as in libev, a handler the program had before is not restored
}

// The signal whose list holds w, or 0: w's signum unless the program changed it while w was active,
// which ev(3) forbids and where libev 4.33 leaves w in the old signal's list.
int signal_of(ev_signal *w)
{
  int signum = w->signum;
  if (signum > 0 && signum < kNsig && wlist_contains(signals[signum - 1].head, as_wl(w)))
    return signum;
  for (int s = 1; s < kNsig; ++s)
    if (wlist_contains(signals[s - 1].head, as_wl(w)))
      return s;
  return 0;
}

signal_share *share_of(const ev_loop *loop, ev_signal *w)
{
  for (int i = 0, n = shares_used.load(std::memory_order_acquire); i < n; ++i)
    if (shares[i].loop.load() == loop && wlist_contains(shares[i].head, as_wl(w)))
      return &shares[i];
  return nullptr;
}

}  // namespace

namespace ev_detail {

void signals_visit(ev_loop *loop, walk_visit visit, void *ctx)
{
  for (int s = 0; s < kNsig - 1; ++s)
    if (signals[s].loop.load() == loop)
      for (WL w = signals[s].head; w; w = w->next)
        if (!is_loop_member(loop, w))  // the default loop's SIGCHLD watcher
          visit(ctx, as_w(w));
  for (int i = 0, n = shares_used.load(); i < n; ++i)
    if (shares[i].loop.load() == loop)
      for (WL w = shares[i].head; w; w = w->next)
        visit(ctx, as_w(w));
}

// The wake-up fd reported that some signal of this loop arrived.  Signals are queued from the
// highest number down, so that LIFO invocation runs the lowest first, as in libev.  The loads are
// sequentially consistent because the loop has just cleared sig_pending, and a handler that set a
// flag found sig_pending still set and did not wake us: a weaker load could miss that flag where a
// store may pass a later load, as on arm64.
void signals_process(ev_loop *loop)
{
  // this loop's shares that were signalled: bit s of word s / 64 for slot s
  std::uint64_t shared[(kNsig + 62) / 64] = {};
  for (int i = 0, n = shares_used.load(std::memory_order_seq_cst); i < n; ++i)
    if (shares[i].pending.load(std::memory_order_seq_cst) && shares[i].loop.load(std::memory_order_seq_cst) == loop)
      if (int signum = shares[i].signum.load(); signum > 0)
        shared[(signum - 1) / 64] |= std::uint64_t{1} << ((signum - 1) % 64);
  for (int s = kNsig - 1; s--;)
    if ((signals[s].pending.load(std::memory_order_seq_cst) &&
         signals[s].loop.load(std::memory_order_seq_cst) == loop) ||
        (shared[s / 64] >> (s % 64) & 1))
      ev_feed_signal_event(EV_A_ s + 1);
}

// The loop's signals go back to their default disposition, where libev leaves its handler installed
// with a pointer to the freed loop; the watchers stay untouched, see ev_loop_destroy.
void signals_loop_destroy(ev_loop *loop)
{
  for (int s = 0; s < kNsig - 1; ++s)
    if (signals[s].loop.load() == loop) {
      uninstall(loop, s + 1, share_any(s + 1, loop));
      signals[s].head = nullptr;
      signals[s].pending.store(0);
      signals[s].loop.store(nullptr);
    }
  for (int i = 0, n = shares_used.load(); i < n; ++i)
    if (shares[i].loop.load() == loop) {
      int signum = shares[i].signum.load();
      share_release(&shares[i]);
      if (!signals[signum - 1].loop.load() && !share_any(signum, nullptr))
        signal(signum, SIG_DFL);
    }
  if (loop->sigfd.fd >= 0)
    loop_fd_close(loop, loop->sigfd);
}

// A signalfd reads the signals of whichever process reads it, so a forked child can keep its copy;
// only one closed behind our back is re-created.  If that fails, its signals go back to handlers
// and are unblocked, so that none is left blocked and undelivered.
void signalfd_repair(ev_loop *loop, bool /*replace*/)
{
  if (!loop_fd_release_for_repair(loop, loop->sigfd, false))
    return;
  if (sigfd_open(loop))
    return;
  loop->sigfd.fd = kLoopFdRefused;
  for (int s = 1; s <= kSigfdMax && s < kNsig; ++s)
    if (loop->sigfd_signals & signal_bit(s)) {
      install_handler(s);
      set_blocked(s, false);
    }
  loop->sigfd_signals = 0;
}

}  // namespace ev_detail

namespace {

// ev_signal_start in a loop that is not the signal's owner: join the loop's
// share, creating it if needed.  A share is always served by the handler.
void share_start(ev_loop *loop, ev_signal *w, signal_share *sh, ev_loop *owner)
{
  int signum = w->signum;
  if (!sh) {
    if (!sharing_allowed(loop, owner, signum))
      usage_error("ev_signal_start", "signum", static_cast<long long>(signum),
                  "libev: a signal must not be attached to two different loops");
    sh = share_claim(loop, signum);
    if (!sh)
      usage_error("ev_signal_start", "signum", static_cast<long long>(signum),
                  "libev-ng: more than 256 pairs of a signal and a loop that does not own it");
  }
  if (wlist_contains(sh->head, as_wl(w)))
    reinitialised_while_active("ev_signal_start", w, "signum", signum);
  wakeup_init(loop, wakeup_user::kAsyncOrSignalHandler);
  start_watcher(loop, as_w(w), 1);
  bool first = !sh->head;
  wlist_add(&sh->head, as_wl(w));
  if (first) {
    install_handler(signum);  // an owner's signalfd passes the signal on
    if (loop->flags & EVFLAG_NOSIGMASK)
      set_blocked(signum, false);  // as install() does for an owner
  }
  EV_FREQUENT_CHECK(loop);
}

void share_stop(ev_loop *loop, ev_signal *w, signal_share *sh)
{
  int signum = sh->signum.load();
  wlist_del(&sh->head, as_wl(w));
  stop_watcher(loop, as_w(w));
  if (!sh->head) {
    share_release(sh);
    if (!signals[signum - 1].loop.load() && !share_any(signum, nullptr))
      signal(signum, SIG_DFL);
  }
  EV_FREQUENT_CHECK(loop);
}

}  // namespace

extern "C" {

static void signal_start_plain(struct ev_loop *loop, ev_signal *w)
{
  if (w->active)
    return;

  int signum = w->signum;
  if (signum <= 0 || signum >= kNsig)
    usage_error("ev_signal_start", "signum", static_cast<long long>(signum),
                "libev: ev_signal_start called with illegal signal number");

  signal_slot &slot = signals[signum - 1];
  ev_loop *owner = slot.loop.load();
  if (owner != loop && (owner || shares_used.load()))
    if (signal_share *sh = share_find(loop, signum); sh || owner) {
      share_start(loop, w, sh, owner);
      return;
    }

  if (wlist_contains(slot.head, as_wl(w)))
    reinitialised_while_active("ev_signal_start", w, "signum", signum);

  // The handler (ev_feed_signal) wakes the loop through the wake-up fd; with
  // a signalfd only a program's own ev_feed_signal needs it.
  wakeup_init(loop, sigfd_enabled(loop) ? wakeup_user::kFeedSignalOnly : wakeup_user::kAsyncOrSignalHandler);
  start_watcher(loop, as_w(w), 1);
  bool first = !slot.head;
  wlist_add(&slot.head, as_wl(w));

  if (first) {
    slot.loop.store(loop);
    install(loop, signum);
  }
  EV_FREQUENT_CHECK(loop);
}

void ev_signal_start(EV_P_ ev_signal *w) noexcept { watcher_start<kSignalCalls, signal_start_plain>(loop, w); }

static void signal_stop_active(struct ev_loop *loop, ev_signal *w)
{
  if (shares_used.load(std::memory_order_relaxed))
    if (signal_share *sh = share_of(loop, w)) {
      share_stop(loop, w, sh);
      return;
    }

  int signum = signal_of(w);
  if (signum <= 0)
    usage_error("ev_signal_stop", "signum", static_cast<long long>(w->signum),
                "libev: ev_signal_stop called with illegal signal number (must stay constant after start!)");

  signal_slot &slot = signals[signum - 1];
  // stopped through a loop that does not watch the signal, where libev 4.33
  // takes it from the signal's list and the wrong loop's count
  if (EV_UNLIKELY(slot.loop.load(std::memory_order_relaxed) != loop))
    not_active_here("ev_signal_stop", w, w->active);
  wlist_del(&slot.head, as_wl(w));
  stop_watcher(loop, as_w(w));

  // The signal's pending flag stays, so that a signal that arrived before
  // the stop is still delivered after a restart, as in libev 4.33.
  if (!slot.head) {
    slot.loop.store(nullptr);
    uninstall(loop, signum, share_any(signum, loop));
  }
  EV_FREQUENT_CHECK(loop);
}

void ev_signal_stop(EV_P_ ev_signal *w) noexcept { watcher_stop<kSignalCalls, signal_stop_active>(loop, w); }

// Async-signal-safe and thread-safe: as if the signal had arrived; ignored when no loop watches it.
void ev_feed_signal(int signum) noexcept
{
  if (signum <= 0 || signum >= kNsig)
    return;
  signal_slot &slot = signals[signum - 1];
  if (shares_used.load(std::memory_order_acquire))
    share_notify(signum, nullptr);
  ev_loop *loop = slot.loop.load(std::memory_order_acquire);
  if (!loop)
    return;
  store_before_loads(slot.pending, 1);
  wakeup_signal(loop, loop->sig_pending);
}

// Makes the signal's watchers pending at once; ignored unless loop owns it.
void ev_feed_signal_event(EV_P_ int signum) noexcept
{
  if (debug_on(loop))
    debug_check_call(loop, "ev_feed_signal_event", nullptr);
  if (signum <= 0 || signum >= kNsig)
    return;
  EV_PROBE_RARE(signal, loop, signum);
  signal_slot &slot = signals[signum - 1];
  if (slot.loop.load(std::memory_order_relaxed) != loop) {
    if (shares_used.load(std::memory_order_relaxed))
      if (signal_share *sh = share_find(loop, signum)) {
        sh->pending.store(0, std::memory_order_relaxed);
        for (WL w = sh->head; w; w = w->next)
          feed(loop, as_w(w), EV_SIGNAL);
      }
    return;
  }
  slot.pending.store(0, std::memory_order_relaxed);
  for (WL w = slot.head; w; w = w->next)
    feed(loop, as_w(w), EV_SIGNAL);
}

#ifdef EV_NG_EMBED
// for embed/ev_ng_embed.h
struct ev_loop *ev_ng_signal_owner(int signum) noexcept
{
  return signum > 0 && signum < kNsig ? signals[signum - 1].loop.load(std::memory_order_relaxed) : nullptr;
}
#endif

}  // extern "C"
