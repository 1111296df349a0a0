// SPDX-License-Identifier: BSD-2-Clause
// diag/verify.cc - ev_verify (ev(3) "ev_verify"): walk every internal structure of a loop and abort
// with a message naming the first broken invariant.  In every build of the library (an embedded core
// may leave it out, below); --enable-debug builds also call it after every structural change
// (EV_FREQUENT_CHECK).
#include "fd/io_list.h"
#include "fd/stream.h"
#include "loop/loop.h"

#include <algorithm>
#include <initializer_list>

// ev(3) EV_VERIFY: a core compiled in with EV_VERIFY 0 has no checks, and ev_verify does nothing.
#if EV_VERIFY || defined(EV_NG_DEBUG)
namespace ev_detail {
namespace {

void check(bool ok, const char *what, long long detail)
{
  if (!ok)
    internal_error(what, detail);
}

void verify_heap(const heap &h, const char *what)
{
  check(h.count >= 0 && (h.count == 0 || h.count + heap::kHeap0 <= h.allocated()), what, h.count);
  int bad = h.verify();
  check(bad == 0, what, bad);
}

void verify_pending(ev_loop *loop)
{
  const slot_queue &q = loop->pending.settled();
  for (int p = 0; p < kNumPri; ++p) {
    const array<pending_slot> &l = q.level[p];
    check(((q.mask >> p) & 1u) == (l.count > 0 ? 1u : 0u), "pending level mask out of sync", p);
    for (int i = 0; i < l.count; ++i) {
      W w = l.data[i].w;
      if (w == &q.dummy)
        continue;
      check(w->pending == i + 1, "pending watcher does not point back to its slot", i);
      check(slot_queue::level_of(w) == p, "pending watcher queued at the wrong priority", p);
    }
  }
}

void verify_array(const array<W> &a, const char *what)
{
  for (int i = 0; i < a.count; ++i)
    check(a.data[i] && a.data[i]->active == i + 1, what, i);
}

void verify_fds(ev_loop *loop)
{
  const fd_table &t = loop->fds;
  for (int fd = 0; fd < t.size; ++fd) {
    int n = 0;
    for (WL w = t.entries[fd].head; w; w = w->next) {
      const auto *io = reinterpret_cast<const ev_io *>(w);
      check(io->active, "inactive io watcher in the fd table", fd);
      check(io->fd == fd, "io watcher listed under another fd", fd);
      const int legal = EV_READ | EV_WRITE | EV_NG_EXCLUSIVE | (is_loop_member(loop, io) ? kFdEdge : 0);
      check(!(io->events & ~legal), "io watcher with illegal events in the fd table", fd);
      check(++n < (1 << 24), "cycle in the io watcher list", fd);
    }
  }
  int where;
  if (const char *wrong = io_index_verify(loop, where))
    check(false, wrong, where);
  for (int i = 0; i < t.changes.count; ++i) {
    int fd = t.changes.data[i];
    check(fd >= 0 && fd < t.size, "fd change queue holds an fd outside the table", fd);
    check(t.entries[fd].reify != 0, "queued fd without its reify mark", fd);
  }
}

}  // namespace

namespace {

// Which members of kWorkSteps have work, from their own state (loop/loop.h,
// work_set): what loop->work must be.  kWorkError's bit is its whole state.
unsigned work_members(const ev_loop *loop)
{
  unsigned work = loop->work & 1u << kWorkError;
  auto member = [&work](work_member m, bool has) {
    if (has)
      work |= 1u << m;
  };
  member(kWorkForkCheck, loop->curpid);
  member(kWorkRepair, loop->repair);
  member(kWorkPrepare, loop->prepares.count);
  member(kWorkIdle, loop->idleall);
  member(kWorkPeriodic, loop->periodics.count);
  member(kWorkCheck, loop->checks.count);
  member(kWorkWakeup, loop->wakeup.fd != kLoopFdNone);
  member(kWorkCollect, collect_intervals(loop));
  member(kWorkHooks, wait_hooks(loop));
  member(kWorkInvokeCb, loop->invoke_cb != ev_invoke_pending);
  member(kWorkMetrics, metrics_of(loop));
  member(kWorkDebug, debug_of(loop));
  member(kWorkProbes, loop->probing);
  member(kWorkBoottime, boottime_on(loop));
  member(kWorkStreams, streams_have_work(loop));
  return work;
}

}  // namespace

void verify(ev_loop *loop)
{
  check(loop->work == work_members(loop), "optional work out of sync", loop->work);
  check(loop->slow_time_at == time_gate(loop), "time gate out of sync", 0);
  loop->pending.settle();  // check the slots a virtual batch stands for, too
  verify_heap(loop->timers, "timer heap broken");
  verify_heap(loop->periodics, "periodic heap broken");
  verify_pending(loop);
  int idles = 0;
  for (int p = 0; p < kNumPri; ++p) {
    verify_array(loop->idles[p], "idle array broken");
    for (int i = 0; i < loop->idles[p].count; ++i)
      check(priority_of(loop->idles[p].data[i]) - EV_MINPRI == p, "idle watcher in the wrong priority array", p);
    idles += loop->idles[p].count;
  }
  check(idles == loop->idleall, "idle watcher count out of sync", loop->idleall);
  verify_array(loop->prepares, "prepare array broken");
  verify_array(loop->checks, "check array broken");
  verify_array(loop->forks, "fork array broken");
  verify_array(loop->cleanups, "cleanup array broken");
  verify_array(loop->asyncs, "async array broken");
  verify_fds(loop);
}

}  // namespace ev_detail
#endif

extern "C" {

#if EV_FEATURE_API
void ev_verify(EV_P) noexcept
{
#if EV_VERIFY
  ev_detail::verify(loop);
#endif
}
#endif

}  // extern "C"
