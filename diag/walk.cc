// SPDX-License-Identifier: BSD-2-Clause
// diag/walk.cc - ev_walk and ev_dump: the loop's active watchers as the program started them.
//
// The watchers are collected first and visited afterwards, so that a callback may stop the watcher
// it is given without changing the structures under a running walk.  Watchers that the loop, an
// ev_embed, an ev_stat or ev_once use internally are not the program's: the ev_embed or ev_stat is
// reported instead, once, and ev_once's are left out.
#include "diag/walk.h"
#include "fd/fd.h"
#include "fd/stream.h"

#include <cinttypes>
#include <cstdio>

namespace ev_detail {
namespace {

struct found {
  int type;
  W w;
};

struct collection {
  ev_loop *loop;
  int types;
  array<found> list;

  void add(int type, W w)
  {
    if (types & type)
      list.push(found{type, w});
  }
  // An internal watcher's owner, or the watcher itself with its own type.
  void add_member(int type, W w)
  {
    if (is_loop_member(loop, w) || once_member(w) || is_stream_io(w))
      return;
    if (W owner = embed_owner(w)) {
      if (type == EV_PREPARE)  // each ev_embed once, by its prepare watcher
        add(EV_EMBED, owner);
      return;
    }
    if (W owner = stat_owner(w)) {
      // one with an inotify watch is reported from loop->fs_hash, even with a remote file's timer
      if (reinterpret_cast<ev_stat *>(owner)->wd < 0)
        add(EV_STAT, owner);
      return;
    }
    add(type, w);
  }
  void add_array(int type, const array<W> &a)
  {
    for (int i = 0; i < a.count; ++i)
      add_member(type, a.data[i]);
  }
};

void collect_signal(void *ctx, W w) { static_cast<collection *>(ctx)->add(EV_SIGNAL, w); }
void collect_child(void *ctx, W w) { static_cast<collection *>(ctx)->add(EV_CHILD, w); }

void collect_all(collection &c)
{
  ev_loop *loop = c.loop;
  for (int fd = 0; fd < loop->fds.size; ++fd)
    for (WL w = loop->fds.entries[fd].head; w; w = w->next)
      c.add_member(EV_IO, as_w(w));
  for (int k = heap::kHeap0; k < loop->timers.end(); ++k)
    c.add_member(EV_TIMER, as_w(loop->timers.nodes[k].w));
  for (int k = heap::kHeap0; k < loop->periodics.end(); ++k)
    c.add_member(EV_PERIODIC, as_w(loop->periodics.nodes[k].w));
  for (WL head : loop->fs_hash)
    for (WL w = head; w; w = w->next)
      c.add(EV_STAT, as_w(w));
  signals_visit(loop, collect_signal, &c);
  children_visit(loop, collect_child, &c);
  for (const auto &idles : loop->idles)
    c.add_array(EV_IDLE, idles);
  c.add_array(EV_PREPARE, loop->prepares);
  c.add_array(EV_CHECK, loop->checks);
  c.add_array(EV_FORK, loop->forks);
  c.add_array(EV_CLEANUP, loop->cleanups);
  c.add_array(EV_ASYNC, loop->asyncs);
}

// ev_dump's lines for the watchers, which a build for size leaves out
#if EV_FEATURE_CODE
const char *walk_type_name(int type)
{
  switch (type) {
  case EV_IO: return "io";
  case EV_TIMER: return "timer";
  case EV_PERIODIC: return "periodic";
  case EV_SIGNAL: return "signal";
  case EV_CHILD: return "child";
  case EV_STAT: return "stat";
  case EV_IDLE: return "idle";
  case EV_PREPARE: return "prepare";
  case EV_CHECK: return "check";
  case EV_FORK: return "fork";
  case EV_CLEANUP: return "cleanup";
  case EV_ASYNC: return "async";
  case EV_EMBED: return "embed";
  default: return "watcher";
  }
}

// What makes the watcher this one: its fd, timeout, signal, pid, path ...
void print_details(std::FILE *f, ev_loop *loop, int type, W w)
{
  switch (type) {
  case EV_IO: {
    auto *io = reinterpret_cast<ev_io *>(w);
    std::fprintf(f, " fd %d events%s%s%s", io->fd, io->events & EV_READ ? " READ" : "",
                 io->events & EV_WRITE ? " WRITE" : "", io->events & EV_NG_EXCLUSIVE ? " EXCLUSIVE" : "");
    break;
  }
  case EV_TIMER: {
    auto *t = reinterpret_cast<ev_timer *>(w);
    std::fprintf(f, " in %.6f s repeat %.6f", t->at - loop->mn_now, t->repeat);
    break;
  }
  case EV_PERIODIC: {
    auto *p = reinterpret_cast<ev_periodic *>(w);
    std::fprintf(f, " at %.6f (in %.6f s) offset %.6f interval %.6f%s", p->at, p->at - loop->ev_rt_now, p->offset,
                 p->interval, p->reschedule_cb ? " reschedule_cb" : "");
    break;
  }
  case EV_SIGNAL: std::fprintf(f, " signal %d", reinterpret_cast<ev_signal *>(w)->signum); break;
  case EV_CHILD: {
    auto *c = reinterpret_cast<ev_child *>(w);
    std::fprintf(f, " pid %d%s", c->pid, (c->flags & 1) ? " trace" : "");
    break;
  }
  case EV_STAT: {
    auto *s = reinterpret_cast<ev_stat *>(w);
    std::fprintf(f, " path \"%s\" interval %.3f", s->path ? s->path : "(null)", s->interval);
    break;
  }
  case EV_EMBED: std::fprintf(f, " loop %p", static_cast<void *>(reinterpret_cast<ev_embed *>(w)->other)); break;
  case EV_ASYNC: std::fprintf(f, " %s", ev_async_pending(reinterpret_cast<ev_async *>(w)) ? "sent" : "not sent"); break;
  default: break;
  }
}

void print_watcher(std::FILE *f, ev_loop *loop, int type, W w)
{
  // a function pointer printed through its bits, since %p wants an object pointer
  std::uintptr_t cb;
  static_assert(sizeof cb == sizeof ev_cb(w));
  __builtin_memcpy(&cb, &ev_cb(w), sizeof cb);
  std::fprintf(f, "  %-8s %p priority %d cb 0x%" PRIxPTR, walk_type_name(type), static_cast<void *>(w), priority_of(w),
               cb);
  print_details(f, loop, type, w);
  std::fputc('\n', f);
}
#endif

}  // namespace
}  // namespace ev_detail

using namespace ev_detail;

extern "C" {

void ev_walk(EV_P_ int types, void (*cb)(EV_P_ int type, void *w)) noexcept
{
  collection c{loop, types, {}};
  collect_all(c);
  for (int i = 0; i < c.list.count; ++i)
    cb(EV_A_ c.list.data[i].type, c.list.data[i].w);
  c.list.release();
}

void ev_dump(EV_P_ std::FILE *f) noexcept
{
  std::fprintf(f, "ev_loop %p: backend %s, iteration %u, depth %u, %d references, ev_now %.6f\n",
               static_cast<void *>(loop), loop->backend ? loop->backend->name : "none", ev_iteration(EV_A),
               ev_depth(EV_A), loop->activecnt, ev_now(EV_A));
#if EV_FEATURE_CODE
  collection c{loop, ~0, {}};
  collect_all(c);
  std::fprintf(f, " %d active watcher(s):\n", c.list.count);
  for (int i = 0; i < c.list.count; ++i)
    print_watcher(f, loop, c.list.data[i].type, c.list.data[i].w);
  c.list.release();

  // Pending: in the order they will run, with the revents they will get.
  const slot_queue &q = loop->pending.settled();
  std::fprintf(f, " %u pending:\n", q.count());
  for (int p = kNumPri; p--;)
    for (int i = q.level[p].count; i--;) {
      const pending_slot &s = q.level[p].data[i];
      if (s.w == &q.dummy)
        continue;
      std::fprintf(f, "  %p priority %d revents 0x%x%s\n", static_cast<void *>(s.w), priority_of(s.w),
                   static_cast<unsigned>(s.revents), is_loop_member(loop, s.w) ? " (the loop's own)" : "");
    }
#else
  // A build for size prints the loop alone: the watchers are a diagnostic, as debug mode is.
  std::fputs(" (no watchers listed: a build for size)\n", f);
#endif
  std::fflush(f);
}

}  // extern "C"
