// SPDX-License-Identifier: BSD-2-Clause
// diag/debug.cc - debug mode (diag/debug.h): the records of the active watchers, checks, reports.
//
// The records.  Each debug loop has a hash table of the watchers its start functions made active,
// with what must not change while they are: the type, the priority, and what the type's ev_TYPE_set
// writes.  A watcher has a record exactly while the loop considers it active.  The start and stop
// functions add and remove records.  The loop queues every watcher it stops itself, such as an
// expired one-shot timer, so debug_reconcile picks those stops up from the pending queue before any
// callback.  A watcher that io_relink stops never has a record, because debug mode reports the
// ev_io_set first.  A watcher's `active` is checked against where the loop keeps it rather than
// recorded, and a timer's `at` against its heap node.
//
// Reading watchers.  A program may free an inactive watcher, so debug mode reads only those a call
// is given, those the loop's structures hold and the pending ones, never one through its record.
//
// Threads.  All debug loops are in one registry, so that a start on one loop can tell that another
// loop has the watcher.  A loop records the thread in its ev_run, and a checked call from another
// thread is reported unless the loop is handed over.  ev(3) THREADS AND SIGNALS lets other threads
// use the loop under the program's lock between its release and acquire callbacks and inside its
// invoke-pending callback.
#include "diag/debug.h"
#include "base/env.h"
#include "base/fork_hooks.h"
#include "base/lock.h"
#include "base/ptr_map.h"
#include "base/thread_id.h"
#include "diag/walk.h"
#include "fd/fd.h"
#include "fd/stream.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ev_detail {

namespace {

struct debug_record {
  int type;
  int priority;
  union {
    struct {
      int fd;
      int events;
    } io;
    int signum;
    struct {
      int pid;
      int flags;
    } child;
    struct {
      const char *path;
      ev_tstamp interval;
    } stat;
    ev_loop *other;
  } u;
};

}  // namespace

struct debug_state {
  ev_loop *loop;
  debug_state *prev, *next;       // the registry
  ptr_map<debug_record> records;  // by watcher
  // The thread in ev_run, thread_id{} for none, and how deep it is nested there.
  std::atomic<thread_id> runner;
  unsigned run_depth;
  std::atomic<int> released;  // between the release and the acquire callback
  std::atomic<int> invoking;  // inside the program's invoke-pending callback
  void (*user_release)(ev_loop *) noexcept;
  void (*user_acquire)(ev_loop *) noexcept;
  // A destroyed loop is kept with its memory for a while, see debug_loop_destroy.  owns_memory: we
  // free that memory then, unless it is the default loop's static storage.  The loop's rare block,
  // which holds this state, is kept too and freed with it.
  bool destroyed;
  bool owns_memory;
  loop_rare *rare;
};

namespace {

// The loop's debug state, where debug mode is known to be on, which made the rare block that holds
// it.  debug_of's answer for other loops, null, is for callers that do not know.
debug_state *state_of(const ev_loop *loop) { return rare_of(loop)->debug; }

constinit os_lock registry_lock;
constinit debug_state *registry = nullptr;
constinit bool atfork_installed = false;
constexpr int kDestroyedKept = 16;
constinit int destroyed_count = 0;

// A fork while another thread holds the lock must not leave it held in the child for good.
void lock_for_fork() { lock_take(registry_lock); }
void unlock_after_fork() { lock_give(registry_lock); }

// Without the lock: only the loop's user changes its table.
debug_record *find(const debug_state *ds, const void *w) { return ds->records.find(w); }

// The rest under the lock.
void record(debug_state *ds, W w, const debug_record &r)
{
  if (debug_record *old = ds->records.find(w))
    *old = r;
  else
    ds->records.insert_or_abort(w, r);
}

void erase(debug_state *ds, W w) { ds->records.erase(w); }

// Take ds out of the registry and free it, with its loop's memory if destroyed and ours.
void registry_remove(debug_state *ds)
{
  (ds->prev ? ds->prev->next : registry) = ds->next;
  if (ds->next)
    ds->next->prev = ds->prev;
  if (ds->destroyed) {
    --destroyed_count;
    ev_free(ds->rare);
    if (ds->owns_memory)
      ev_free(ds->loop);
  }
  ds->records.release();
  ds->~debug_state();
  ev_free(ds);
}

// The debug loop other than ds whose table has w, or null.
debug_state *owner_elsewhere(const debug_state *ds, const void *w)
{
  for (debug_state *o = registry; o; o = o->next)
    if (o != ds && find(o, w))
      return o;
  return nullptr;
}

const char *type_name(int type)
{
  switch (type) {
  case EV_IO: return "ev_io";
  case EV_TIMER: return "ev_timer";
  case EV_PERIODIC: return "ev_periodic";
  case EV_SIGNAL: return "ev_signal";
  case EV_CHILD: return "ev_child";
  case EV_STAT: return "ev_stat";
  case EV_IDLE: return "ev_idle";
  case EV_PREPARE: return "ev_prepare";
  case EV_CHECK: return "ev_check";
  case EV_FORK: return "ev_fork";
  case EV_CLEANUP: return "ev_cleanup";
  case EV_ASYNC: return "ev_async";
  case EV_EMBED: return "ev_embed";
  default: return "ev_watcher";
  }
}

// The text of a report: "debug mode: ", what happened, then what to do.
// usage_error prints it in the format of every usage error, and aborts.
struct report_text {
  char s[432];
};

[[gnu::format(printf, 2, 3)]] void describe(report_text &t, const char *fmt, ...)
{
  int n = std::snprintf(t.s, sizeof t.s, "debug mode: ");
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(t.s + n, sizeof t.s - static_cast<std::size_t>(n), fmt, ap);
  va_end(ap);
}

#define DEBUG_REPORT(api, arg, value, ...) \
  do {                                     \
    report_text text_;                     \
    describe(text_, __VA_ARGS__);          \
    usage_error(api, arg, value, text_.s); \
  } while (0)
#define DEBUG_REPORT_PLAIN(api, ...) \
  do {                               \
    report_text text_;               \
    describe(text_, __VA_ARGS__);    \
    usage_error(api, text_.s);       \
  } while (0)

// A call with a loop that ev_loop_destroy destroyed, whose memory debug_loop_destroy kept.
[[noreturn]] void report_destroyed(ev_loop *loop, const char *api)
{
  DEBUG_REPORT_PLAIN(api,
                     "%s was called with loop %p, which ev_loop_destroy destroyed; a loop must not be used after "
                     "ev_loop_destroy (stop its watchers, or forget them, and make a new loop)",
                     api, static_cast<void *>(loop));
}

[[noreturn]] void report_reinitialised(ev_loop *loop, W w, int type, const char *api)
{
  const char *t = type_name(type);
  DEBUG_REPORT(api, "active", 0LL,
               "%s watcher %p was re-initialised (%s_init or ev_init) or cleared while active on loop %p; "
               "stop it (%s_stop) before re-initialising it",
               t, static_cast<void *>(w), t, static_cast<void *>(loop), t);
}

bool heap_holds(const heap &h, int k, W w) { return k >= heap::kHeap0 && k < h.end() && as_w(h.nodes[k].w) == w; }
bool array_holds(const array<W> &a, int i, W w) { return i >= 1 && i <= a.count && a.data[i - 1] == w; }

// Is w's `active` where the loop keeps it?
bool active_where_kept(ev_loop *loop, const debug_record &r, W w)
{
  const int a = w->active;
  switch (r.type) {
  case EV_TIMER: return heap_holds(loop->timers, a, w);
  case EV_PERIODIC: return heap_holds(loop->periodics, a, w);
  case EV_IDLE: return array_holds(loop->idles[r.priority - EV_MINPRI], a, w);
  case EV_PREPARE: return array_holds(loop->prepares, a, w);
  case EV_CHECK: return array_holds(loop->checks, a, w);
  case EV_FORK: return array_holds(loop->forks, a, w);
  case EV_CLEANUP: return array_holds(loop->cleanups, a, w);
  case EV_ASYNC: return array_holds(loop->asyncs, a, w);
  default: return a == 1;  // io, signal, child, stat, embed: in a list
  }
}

// Does a pending watcher's `pending` point to a slot that has it?
bool pending_where_kept(ev_loop *loop, W w)
{
  // The slots of a virtual batch become real ones with the same numbers.
  const slot_queue &q = loop->pending.settled();
  const array<pending_slot> &l = q.level[slot_queue::level_of(w)];
  const int i = w->pending - 1;
  return i >= 0 && i < l.count && l.data[i].w == w;
}

// The watcher w of record r is what it was when it was started, and is where the loop keeps it.
void check_watcher(ev_loop *loop, const debug_record &r, W w, const char *api)
{
  const char *t = type_name(r.type);
  void *wp = static_cast<void *>(w);
  void *lp = static_cast<void *>(loop);
  if (!w->active)
    report_reinitialised(loop, w, r.type, api);
  if (!active_where_kept(loop, r, w))
    DEBUG_REPORT(api, "active", static_cast<long long>(w->active),
                 "%s watcher %p was freed or overwritten while active on loop %p (its active field does not say where "
                 "the loop keeps it); stop a watcher (%s_stop) before its memory is freed or reused",
                 t, wp, lp, t);
  // The loop itself raises the priority of a child watcher it queues.
  if (r.type != EV_CHILD && priority_of(w) != r.priority)
    DEBUG_REPORT(api, "priority", static_cast<long long>(priority_of(w)),
                 "%s watcher %p had its priority changed from %d to %d while active; stop it (%s_stop) before "
                 "ev_set_priority",
                 t, wp, r.priority, priority_of(w), t);
  if (w->pending && !pending_where_kept(loop, w))
    DEBUG_REPORT(api, "pending", static_cast<long long>(w->pending),
                 "%s watcher %p was freed or overwritten while active on loop %p (its pending field does not say "
                 "where the loop queued it); stop a watcher (%s_stop) before its memory is freed or reused",
                 t, wp, lp, t);

  switch (r.type) {
  case EV_IO: {
    auto *io = reinterpret_cast<ev_io *>(w);
    if (io->fd != r.u.io.fd || io->events != r.u.io.events)
      DEBUG_REPORT(api, "fd", static_cast<long long>(io->fd),
                   "ev_io watcher %p was changed while active: it has fd %d and events 0x%x, it was started with fd %d "
                   "and events 0x%x (ev_io_set or ev_io_modify on an active watcher); stop it (ev_io_stop) before "
                   "ev_io_set, then start it again",
                   wp, io->fd, static_cast<unsigned>(io->events & ~EV__IOFDSET), r.u.io.fd,
                   static_cast<unsigned>(r.u.io.events));
    break;
  }
  case EV_TIMER:
  case EV_PERIODIC: {
    // The heap node's copy of `at` says when the loop has it due.
    const bool timer = r.type == EV_TIMER;
    const ev_tstamp at = timer ? reinterpret_cast<ev_timer *>(w)->at : reinterpret_cast<ev_periodic *>(w)->at;
    const ev_tstamp due = (timer ? loop->timers : loop->periodics).nodes[w->active].at;
    if (at != due)
      DEBUG_REPORT(api, "at", at,
                   "%s watcher %p was changed while active: its at field is %.6f, the loop has it due at %.6f %s", t,
                   wp, at, due,
                   timer ? "(ev_timer_set on an active timer); stop it (ev_timer_stop) before ev_timer_set, or set "
                           "only its repeat value and call ev_timer_again"
                         : "(at is read-only); stop it (ev_periodic_stop) before changing it");
    break;
  }
  case EV_SIGNAL: {
    int signum = reinterpret_cast<ev_signal *>(w)->signum;
    if (signum != r.u.signum)
      DEBUG_REPORT(api, "signum", static_cast<long long>(signum),
                   "ev_signal watcher %p was changed while active: it has signal %d, it was started with %d "
                   "(ev_signal_set on an active watcher); stop it (ev_signal_stop) before ev_signal_set",
                   wp, signum, r.u.signum);
    break;
  }
  case EV_CHILD: {
    auto *c = reinterpret_cast<ev_child *>(w);
    if (c->pid != r.u.child.pid || c->flags != r.u.child.flags)
      DEBUG_REPORT(api, "pid", static_cast<long long>(c->pid),
                   "ev_child watcher %p was changed while active: it has pid %d (flags %d), it was started with pid "
                   "%d (flags %d) (ev_child_set on an active watcher); stop it (ev_child_stop) before ev_child_set",
                   wp, c->pid, c->flags, r.u.child.pid, r.u.child.flags);
    break;
  }
  case EV_STAT: {
    auto *s = reinterpret_cast<ev_stat *>(w);
    if (s->path != r.u.stat.path || !(s->interval == r.u.stat.interval))
      DEBUG_REPORT(api, "interval", s->interval,
                   "ev_stat watcher %p was changed while active: its path or interval is not what it was started "
                   "with (ev_stat_set on an active watcher); stop it (ev_stat_stop) before ev_stat_set",
                   wp);
    break;
  }
  case EV_EMBED: {
    auto *e = reinterpret_cast<ev_embed *>(w);
    if (e->other != r.u.other)
      DEBUG_REPORT_PLAIN(api,
                         "ev_embed watcher %p was changed while active: it embeds loop %p, it was started with loop %p "
                         "(ev_embed_set on an active watcher); stop it (ev_embed_stop) before ev_embed_set",
                         wp, static_cast<void *>(e->other), static_cast<void *>(r.u.other));
    break;
  }
  default: break;
  }
}

// What must not change while w is active.
debug_record take_snapshot(W w, int type)
{
  debug_record r{};
  r.type = type;
  r.priority = priority_of(w);
  switch (type) {
  case EV_IO:
    r.u.io.fd = reinterpret_cast<ev_io *>(w)->fd;
    r.u.io.events = reinterpret_cast<ev_io *>(w)->events;  // the start consumed EV__IOFDSET
    break;
  case EV_SIGNAL: r.u.signum = reinterpret_cast<ev_signal *>(w)->signum; break;
  case EV_CHILD:
    r.u.child.pid = reinterpret_cast<ev_child *>(w)->pid;
    r.u.child.flags = reinterpret_cast<ev_child *>(w)->flags;
    break;
  case EV_STAT:
    r.u.stat.path = reinterpret_cast<ev_stat *>(w)->path;
    r.u.stat.interval = reinterpret_cast<ev_stat *>(w)->interval;
    break;
  case EV_EMBED: r.u.other = reinterpret_cast<ev_embed *>(w)->other; break;
  default: break;
  }
  return r;
}

// The calling thread may use the loop: it runs it, or nobody does, or the loop is handed over.
void check_thread(ev_loop *loop, const char *api, W w, int type)
{
  debug_state *ds = state_of(loop);
  if (ds->destroyed)
    report_destroyed(loop, api);
  thread_id runner = ds->runner.load(std::memory_order_acquire);
  if (!runner || thread_same(runner, thread_self()))
    return;
  if (ds->released.load(std::memory_order_acquire) || ds->invoking.load(std::memory_order_acquire))
    return;
  char watcher[96] = "";
  if (w)
    std::snprintf(watcher, sizeof watcher, " (%s watcher %p)", type ? type_name(type) : "a", static_cast<void *>(w));
  DEBUG_REPORT_PLAIN(api,
                     "%s was called%s for loop %p from a thread other than the one running the loop (in ev_run); while "
                     "a loop runs, other threads may only call ev_async_send and ev_feed_signal: let the loop's thread "
                     "do it (wake it with ev_async_send), or lock the loop (ev_set_loop_release_cb, "
                     "ev_set_invoke_pending_cb)",
                     api, watcher, static_cast<void *>(loop));
}

// A watcher that a list, heap or array of the loop holds for `type` must be active and as recorded.
void check_held(ev_loop *loop, W w, int type, const char *api)
{
  if (!w->active)
    report_reinitialised(loop, w, type, api);
  if (const debug_record *r = find(state_of(loop), w))
    check_watcher(loop, *r, w, api);
}

// A list of watchers.  Each is checked before its `next` is followed, since a freed watcher's is
// garbage, and the walk is bounded, since a watcher started twice makes the list a cycle.
void check_list(ev_loop *loop, WL head, int type, const char *api, const char *where, long long which)
{
  long long limit = static_cast<long long>(state_of(loop)->records.count) + 64;
  for (WL w = head; w; w = w->next) {
    if (--limit < 0)
      DEBUG_REPORT(api, where, which,
                   "the %s watchers of loop %p form a cycle: a watcher was started twice (re-initialised while "
                   "active, then started); stop a watcher before re-initialising it",
                   type_name(type), static_cast<void *>(loop));
    if (is_loop_member(loop, w) || is_stream_io(w))
      continue;
    check_held(loop, as_w(w), type, api);
  }
}

void check_heap(ev_loop *loop, const heap &h, int type)
{
  for (int k = heap::kHeap0; k < h.end(); ++k)
    check_held(loop, as_w(h.nodes[k].w), type, "ev_run");
}

void check_array(ev_loop *loop, const array<W> &a, int type)
{
  for (int i = 0; i < a.count; ++i)
    check_held(loop, a.data[i], type, "ev_run");
}

struct visit_context {
  ev_loop *loop;
  int type;
};

void check_visited(void *ctx, W w)
{
  auto *c = static_cast<visit_context *>(ctx);
  check_held(c->loop, w, c->type, "ev_run");
}

void release_wrapper(ev_loop *loop) noexcept
{
  debug_state *ds = state_of(loop);
  ds->released.store(1, std::memory_order_release);
  if (ds->user_release)
    ds->user_release(loop);
}

void acquire_wrapper(ev_loop *loop) noexcept
{
  debug_state *ds = state_of(loop);
  if (ds->user_acquire)
    ds->user_acquire(loop);
  ds->released.store(0, std::memory_order_release);
}

}  // namespace

// LIBEV_NG_DEBUG counts even for loops created with EVFLAG_NOENV, which only keeps LIBEV_FLAGS from
// changing what a program asked for; debug mode changes nothing for a correct program.  As with
// LIBEV_FLAGS, set-user-ID and set-group-ID programs ignore it (base/env.h).
bool debug_requested(unsigned int flags)
{
  if (flags & EVFLAG_NG_DEBUG)
    return true;
  const char *env = env_get("LIBEV_NG_DEBUG");
  return env && *env && std::strcmp(env, "0") != 0;
}

void debug_loop_init(ev_loop *loop)
{
  auto *ds = new (ev_realloc(nullptr, sizeof(debug_state))) debug_state();
  ds->loop = loop;
  rare_get(loop)->debug = ds;
  ds->rare = rare_of(loop);
  loop->invoke_checks |= kInvokeCheckDebug;
  work_set(loop, kWorkDebug, true);
  loop->run_guard |= kRunGuardDebug;
  run_entry_update(loop);
  // every start, stop and feed of the hot paths takes its slow half, which looks for debug mode
  loop->fds.close_change_gate();
  loop->timers.close_gate();
  loop->pending.feed_gate = 1;

  lock_hold g(registry_lock);
  if (!atfork_installed) {
    at_fork(lock_for_fork, unlock_after_fork, unlock_after_fork);
    atfork_installed = true;
  }
  // a destroyed loop kept at this address: the default loop made again
  for (debug_state *o = registry, *next; o; o = next) {
    next = o->next;
    if (o->destroyed && o->loop == loop)
      registry_remove(o);
  }
  ds->next = registry;
  if (registry)
    registry->prev = ds;
  registry = ds;
}

// The loop's memory is kept with the marks that send every checked call to debug mode, so that a
// call with the destroyed loop is reported instead of reading freed memory.  The last
// kDestroyedKept destroyed loops stay reachable from the registry, and an older one is freed.
bool debug_loop_destroy(ev_loop *loop)
{
  debug_state *ds = debug_of(loop);
  if (!ds)
    return false;
  lock_hold g(registry_lock);
  ds->records.release();
  ds->destroyed = true;
  ds->owns_memory = loop != ev_default_loop_ptr;
  if (++destroyed_count > kDestroyedKept) {
    debug_state *oldest = nullptr;
    for (debug_state *o = registry; o; o = o->next)
      if (o->destroyed && o != ds)
        oldest = o;  // new ones go to the head
    if (oldest)
      registry_remove(oldest);
  }
  return true;
}

void debug_before(ev_loop *loop, W w, int type, const char *api)
{
  check_thread(loop, api, w, type);
  debug_state *ds = state_of(loop);
  const char *t = type_name(type);
  if (const debug_record *r = find(ds, w)) {
    if (r->type != type && w->active)
      DEBUG_REPORT_PLAIN(
          api,
          "watcher %p is an active %s watcher of loop %p, and was passed to %s; stop it (%s_stop) before "
          "using its memory for another watcher",
          static_cast<void *>(w), type_name(r->type), static_cast<void *>(loop), api, type_name(r->type));
    check_watcher(loop, *r, w, api);
    return;
  }
  debug_state *other;
  {
    lock_hold g(registry_lock);
    other = owner_elsewhere(ds, w);
  }
  if (other)
    DEBUG_REPORT_PLAIN(
        api,
        "%s watcher %p is active on loop %p%s and was passed to %s for loop %p; a watcher can be active on one "
        "loop at a time: stop it on loop %p first (%s_stop), or give each loop its own watcher",
        t, static_cast<void *>(w), static_cast<void *>(other->loop),
        w->active ? "" : " (and was re-initialised while active there)", api, static_cast<void *>(loop),
        static_cast<void *>(other->loop), t);
  if (w->active)
    DEBUG_REPORT(api, "active", static_cast<long long>(w->active),
                 "%s watcher %p is active, but not on loop %p: it was started on another loop (one without debug "
                 "mode), or never initialised (%s_init), or its memory was overwritten; initialise a watcher with "
                 "%s_init before its first start, and stop it on the loop it was started on",
                 t, static_cast<void *>(w), static_cast<void *>(loop), t, t);
}

void debug_after(ev_loop *loop, W w, int type)
{
  debug_state *ds = state_of(loop);
  lock_hold g(registry_lock);
  if (w->active)
    record(ds, w, take_snapshot(w, type));
  else if (find(ds, w))
    erase(ds, w);
}

void debug_check_call(ev_loop *loop, const char *api, W w)
{
  const debug_record *r = w ? find(state_of(loop), w) : nullptr;
  check_thread(loop, api, w, r ? r->type : 0);
  if (r && w->active)
    check_watcher(loop, *r, w, api);
}

bool debug_run_enter(ev_loop *loop)
{
  debug_state *ds = state_of(loop);
  if (ds->destroyed)
    report_destroyed(loop, "ev_run");
  thread_id self = thread_self();
  thread_id runner = ds->runner.load(std::memory_order_acquire);
  if (!runner) {
    ds->runner.store(self, std::memory_order_release);
    ds->run_depth = 1;
    return true;
  }
  if (thread_same(runner, self)) {
    ++ds->run_depth;
    return true;
  }
  // A callback run by another thread while the loop is handed over may run
  // it nested, as in the loop's own thread.
  if (ds->released.load(std::memory_order_acquire) || ds->invoking.load(std::memory_order_acquire))
    return false;
  DEBUG_REPORT_PLAIN("ev_run",
                     "loop %p is already running (in ev_run) in another thread; a loop must be run by one thread at a "
                     "time",
                     static_cast<void *>(loop));
}

void debug_run_exit(ev_loop *loop, bool counted)
{
  debug_state *ds = state_of(loop);
  if (counted && !--ds->run_depth)
    ds->runner.store(thread_id{}, std::memory_order_release);
}

void debug_check_fd(ev_loop *loop, int fd) { check_list(loop, loop->fds.entries[fd].head, EV_IO, "ev_run", "fd", fd); }

void debug_check_all(ev_loop *loop)
{
  for (int fd = 0; fd < loop->fds.size; ++fd)
    if (loop->fds.entries[fd].head)
      debug_check_fd(loop, fd);
  check_heap(loop, loop->timers, EV_TIMER);
  check_heap(loop, loop->periodics, EV_PERIODIC);
  for (const auto &idles : loop->idles)
    check_array(loop, idles, EV_IDLE);
  check_array(loop, loop->prepares, EV_PREPARE);
  check_array(loop, loop->checks, EV_CHECK);
  check_array(loop, loop->forks, EV_FORK);
  check_array(loop, loop->cleanups, EV_CLEANUP);
  check_array(loop, loop->asyncs, EV_ASYNC);
  for (int b = 0; b < kInotifyHashSize; ++b)
    check_list(loop, loop->fs_hash[b], EV_STAT, "ev_run", "wd", b);
  visit_context signals{loop, EV_SIGNAL};
  signals_visit(loop, check_visited, &signals);
  visit_context children{loop, EV_CHILD};
  children_visit(loop, check_visited, &children);
}

void debug_reconcile(ev_loop *loop)
{
  debug_state *ds = state_of(loop);
  if (!ds->records.count)
    return;
  const slot_queue &q = loop->pending.slots;  // hook watchers in a virtual batch are active
  for (const auto &l : q.level)
    for (int i = 0; i < l.count; ++i) {
      W w = l.data[i].w;
      if (w == &q.dummy || w->pending != i + 1 || w->active)
        continue;
      if (find(ds, w)) {
        lock_hold g(registry_lock);
        erase(ds, w);
      }
    }
}

void debug_set_release_cbs(ev_loop *loop, void (*release)(EV_P) noexcept, void (*acquire)(EV_P) noexcept)
{
  debug_state *ds = state_of(loop);
  ds->user_release = release;
  ds->user_acquire = acquire;
  const bool hooks = release || acquire;
  loop->release_cb = hooks ? release_wrapper : nullptr;
  loop->acquire_cb = hooks ? acquire_wrapper : nullptr;
  work_set(loop, kWorkHooks, wait_hooks(loop));
  run_entry_update(loop);
}

namespace {

// The call of the program in which the loop invokes its pending watchers itself (invoke_pending,
// loop/loop.h): ev_run, or ev_loop_destroy for the cleanup watchers.  A report names it.
const char *loop_invoking_call(const ev_loop *loop) { return loop->loop_depth ? "ev_run" : "ev_loop_destroy"; }

}  // namespace

void debug_pass_begin(ev_loop *loop, const char *api)
{
  check_thread(loop, api ? api : loop_invoking_call(loop), nullptr, 0);
}

// A watcher's pending state is cleared by the time it is checked, so only its record counts.
void debug_check_callback(ev_loop *loop, W w, const char *api)
{
  if (w != &loop->pending.slots.dummy)
    if (const debug_record *r = find(state_of(loop), w))
      check_watcher(loop, *r, w, api ? api : loop_invoking_call(loop));
}

// The program's invoke-pending callback may hand the loop to other threads.
void debug_invoke_handed_over(ev_loop *loop)
{
  debug_state *ds = state_of(loop);
  ds->invoking.fetch_add(1, std::memory_order_acq_rel);
  loop->invoke_cb(EV_A);
  ds->invoking.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace ev_detail
