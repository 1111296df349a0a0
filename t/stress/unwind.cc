/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/unwind.cc - make check-stress: C++ exceptions and longjmp out of every callback
 * kind at random points.
 *
 * Each trial sets up a random set of watchers of every kind (io, timer, periodic, signal,
 * child, idle, prepare, check, fork, cleanup, async, embed - with an embedded loop whose own
 * io watcher runs inside the outer ev_run - and stat), makes them ready (data in pipes,
 * zero timers, raised signals, an exited child, ev_loop_fork, ev_async_send, a modified
 * file, fed events), picks one watcher at random and makes its callback throw a C++
 * exception or longjmp out, on its first or second invocation.  The way in is random too:
 * ev_run with EVRUN_NOWAIT, EVRUN_ONCE or no flags, ev_invoke_pending after feeding, a
 * nested ev_run inside a callback (caught inside that callback), or ev_loop_destroy (a
 * cleanup watcher throws).  After the catch (ev(3) C++ SUPPORT, "mostly exception-safe"):
 *
 *   - ev_verify passes on every loop involved;
 *   - ev_depth is what it was inside the throwing callback (a throw does not decrement it);
 *   - every watcher that was pending when the callback threw is still pending, the thrower
 *     is not, and the next ev_invoke_pending invokes each of them exactly once and leaves
 *     nothing pending;
 *   - the loop keeps working (a new timer fires) and, after a cleanup threw, ev_loop_destroy
 *     can be called again;
 *   - after every loop was destroyed no block allocated through ev_set_allocator is live.
 *
 *   unwind [TRIALS]     (default 10^4 in the short mode, 10^5 in the long one) */
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

long live_blocks, alloc_calls;

void *
counting_alloc (void *ptr, long size) EV_NOEXCEPT
{
  if (size == 0)
    {
      if (ptr)
        --live_blocks;
      free (ptr);
      return nullptr;
    }
  ++alloc_calls;
  void *p = realloc (ptr, (size_t)size);
  if (p && !ptr)
    ++live_blocks;
  return p;
}

struct boom
{
  int id;
};

enum kind
{
  K_IO, K_TIMER, K_PERIODIC, K_SIGNAL, K_CHILD, K_IDLE, K_PREPARE, K_CHECK, K_FORK, K_CLEANUP,
  K_ASYNC, K_EMBED, K_STAT, K_INNER_IO, K_COUNT
};
const char *const kind_names[] = { "io", "timer", "periodic", "signal", "child", "idle", "prepare",
                                   "check", "fork", "cleanup", "async", "embed", "stat", "embedded io" };

enum entry
{
  E_NOWAIT, E_ONCE, E_RUN, E_INVOKE_PENDING, E_NESTED, E_DESTROY, E_COUNT
};
const char *const entry_names[] = { "ev_run NOWAIT", "ev_run ONCE", "ev_run", "ev_invoke_pending",
                                    "nested ev_run", "ev_loop_destroy" };

constexpr int kMax = 48;

struct slot
{
  int kind;
  struct ev_loop *loop;
  ev_watcher *w;
  int invoked;
  int pending_at_throw;
};

union any_watcher
{
  ev_io io;
  ev_timer timer;
  ev_periodic periodic;
  ev_signal signal;
  ev_child child;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_fork fork;
  ev_cleanup cleanup;
  ev_async async;
  ev_embed embed;
  ev_stat stat;
};

any_watcher store[kMax];
slot slots[kMax];
int nslots;

/* the throw */
int target = -1;          /* slot whose callback throws */
int target_at = 1;        /* on its n-th invocation */
int use_longjmp;
jmp_buf jb;
int thrown;
unsigned depth_at_throw_outer, depth_at_throw_inner;
struct ev_loop *outer, *inner;
int nested_active;        /* the nested entry: a callback runs ev_run inside */
jmp_buf nested_jb;
int nested_caught;

/* findings */
long failures;

void
fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void
fail (const char *fmt, ...)
{
  va_list ap;
  ++failures;
  if (failures <= 20)
    {
      char buf[512];
      va_start (ap, fmt);
      vsnprintf (buf, sizeof buf, fmt, ap);
      va_end (ap);
      stress_fail ("%s", buf);
    }
}

void
snapshot (void)
{
  for (int i = 0; i < nslots; ++i)
    slots[i].pending_at_throw = ev_is_pending (slots[i].w) ? 1 : 0;
  depth_at_throw_outer = outer ? ev_depth (outer) : 0;
  depth_at_throw_inner = inner ? ev_depth (inner) : 0;
}

[[noreturn]] void
do_throw (int id)
{
  snapshot ();
  thrown = 1;
  if (use_longjmp)
    longjmp (nested_active == 1 ? nested_jb : jb, 1); /* only while the nested run is on */
  throw boom{ id };
}

void
on_any (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop, (void)revents;
  int id = (int)(intptr_t)w->data;
  slot &s = slots[id];
  ++s.invoked;
  if (getenv ("UNWIND_TRACE"))
    printf ("    cb %d %s rev %x depth %u%s\n", id, kind_names[s.kind], (unsigned)revents, ev_depth (loop),
            id == target && s.invoked == target_at && !thrown ? " THROWS" : "");
  if (s.kind == K_IO || s.kind == K_INNER_IO)
    {
      /* level-triggered and always ready: stop so it does not repeat forever */
    }
  if (id == target && s.invoked == target_at && !thrown)
    do_throw (id);
}

/* the nested entry: an idle callback that runs the loop again and catches what its
 * callbacks throw */
int nested_slot = -1;
void
nested_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  on_any (loop, (ev_watcher *)w, revents);
  if (nested_active)
    return;
  nested_active = 1;
  if (use_longjmp)
    {
      if (setjmp (nested_jb) == 0)
        ev_run (loop, EVRUN_NOWAIT);
      else
        nested_caught = 1;
    }
  else
    {
      try
        {
          ev_run (loop, EVRUN_NOWAIT);
        }
      catch (boom &)
        {
          nested_caught = 1;
        }
    }
  nested_active = 2;
}

template <class W>
W *
add (int kind, struct ev_loop *loop)
{
  int id = nslots++;
  slots[id] = slot{ kind, loop, (ev_watcher *)&store[id], 0, 0 };
  W *w = (W *)&store[id];
  ev_init (w, (void (*) (struct ev_loop *, W *, int))on_any);
  w->data = (void *)(intptr_t)id;
  return w;
}

int pipes[4][2];
int inner_pipe[2];
char stat_path[64];
uint64_t rnd;

void
start_slot (int id)
{
  slot &s = slots[id];
  struct ev_loop *l = s.loop;
  switch (s.kind)
    {
    case K_IO:
    case K_INNER_IO: ev_io_start (l, (ev_io *)s.w); break;
    case K_TIMER: ev_timer_start (l, (ev_timer *)s.w); break;
    case K_PERIODIC: ev_periodic_start (l, (ev_periodic *)s.w); break;
    case K_SIGNAL: ev_signal_start (l, (ev_signal *)s.w); break;
    case K_CHILD: ev_child_start (l, (ev_child *)s.w); break;
    case K_IDLE: ev_idle_start (l, (ev_idle *)s.w); break;
    case K_PREPARE: ev_prepare_start (l, (ev_prepare *)s.w); break;
    case K_CHECK: ev_check_start (l, (ev_check *)s.w); break;
    case K_FORK: ev_fork_start (l, (ev_fork *)s.w); break;
    case K_CLEANUP: ev_cleanup_start (l, (ev_cleanup *)s.w); break;
    case K_ASYNC: ev_async_start (l, (ev_async *)s.w); break;
    case K_EMBED: ev_embed_start (l, (ev_embed *)s.w); break;
    case K_STAT: ev_stat_start (l, (ev_stat *)s.w); break;
    }
}

void
stop_slot (int id)
{
  slot &s = slots[id];
  struct ev_loop *l = s.loop;
  switch (s.kind)
    {
    case K_IO:
    case K_INNER_IO: ev_io_stop (l, (ev_io *)s.w); break;
    case K_TIMER: ev_timer_stop (l, (ev_timer *)s.w); break;
    case K_PERIODIC: ev_periodic_stop (l, (ev_periodic *)s.w); break;
    case K_SIGNAL: ev_signal_stop (l, (ev_signal *)s.w); break;
    case K_CHILD: ev_child_stop (l, (ev_child *)s.w); break;
    case K_IDLE: ev_idle_stop (l, (ev_idle *)s.w); break;
    case K_PREPARE: ev_prepare_stop (l, (ev_prepare *)s.w); break;
    case K_CHECK: ev_check_stop (l, (ev_check *)s.w); break;
    case K_FORK: ev_fork_stop (l, (ev_fork *)s.w); break;
    case K_CLEANUP: ev_cleanup_stop (l, (ev_cleanup *)s.w); break;
    case K_ASYNC: ev_async_stop (l, (ev_async *)s.w); break;
    case K_EMBED: ev_embed_stop (l, (ev_embed *)s.w); break;
    case K_STAT: ev_stat_stop (l, (ev_stat *)s.w); break;
    }
}

/* One trial on `loop` (the default loop when child watchers are wanted).  Returns 1 if a
 * callback threw. */
struct stats
{
  long trials, throws, by_kind[K_COUNT], by_entry[E_COUNT], longjmps, exceptions;
} st;

void
setup_watchers (struct ev_loop *loop, int entry)
{
  nslots = 0;
  int is_default = ev_is_default_loop (loop);
  unsigned n = 3 + stress_below (&rnd, 10);
  int have_nested = 0;
  for (unsigned i = 0; i < n && nslots < kMax - 2; ++i)
    {
      int k = (int)stress_below (&rnd, K_STAT + 1);
      if (k == K_CHILD && !is_default)
        k = K_TIMER;
      if (k == K_CLEANUP && entry != E_DESTROY)
        k = K_CHECK;
      if (k == K_EMBED && (inner || !(ev_embeddable_backends () & EVBACKEND_EPOLL)))
        k = K_IDLE;
      switch (k)
        {
        case K_IO:
          {
            ev_io *w = add<ev_io> (K_IO, loop);
            int p = (int)stress_below (&rnd, 4);
            ev_io_set (w, pipes[p][0], EV_READ);
            break;
          }
        case K_TIMER:
          {
            ev_timer *w = add<ev_timer> (K_TIMER, loop);
            ev_timer_set (w, 0., stress_below (&rnd, 2) ? 0.0001 : 0.);
            break;
          }
        case K_PERIODIC:
          {
            ev_periodic *w = add<ev_periodic> (K_PERIODIC, loop);
            ev_periodic_set (w, ev_now (loop) - 1., 0., 0);
            break;
          }
        case K_SIGNAL:
          {
            /* one watcher per signal and loop is plenty: SIGUSR1 or SIGUSR2 */
            int signum = stress_below (&rnd, 2) ? SIGUSR1 : SIGUSR2;
            ev_signal *w = add<ev_signal> (K_SIGNAL, loop);
            ev_signal_set (w, signum);
            break;
          }
        case K_CHILD:
          {
            ev_child *w = add<ev_child> (K_CHILD, loop);
            ev_child_set (w, 0, 0);
            break;
          }
        case K_IDLE:
          {
            ev_idle *w = add<ev_idle> (K_IDLE, loop);
            if (entry == E_NESTED && !have_nested)
              {
                have_nested = 1;
                ev_set_cb (w, nested_cb);
                nested_slot = nslots - 1;
              }
            break;
          }
        case K_PREPARE: add<ev_prepare> (K_PREPARE, loop); break;
        case K_CHECK: add<ev_check> (K_CHECK, loop); break;
        case K_FORK: add<ev_fork> (K_FORK, loop); break;
        case K_CLEANUP: add<ev_cleanup> (K_CLEANUP, loop); break;
        case K_ASYNC: add<ev_async> (K_ASYNC, loop); break;
        case K_EMBED:
          {
            inner = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
            ev_embed *w = add<ev_embed> (K_EMBED, loop);
            ev_embed_set (w, inner);
            if (stress_below (&rnd, 2))
              ev_set_cb (w, 0); /* the outer loop sweeps the inner one itself */
            ev_io *iw = add<ev_io> (K_INNER_IO, inner);
            ev_io_set (iw, inner_pipe[0], EV_READ);
            break;
          }
        case K_STAT:
          {
            ev_stat *w = add<ev_stat> (K_STAT, loop);
            ev_stat_set (w, stat_path, 0.);
            break;
          }
        }
    }
  if (entry == E_NESTED && !have_nested)
    {
      ev_idle *w = add<ev_idle> (K_IDLE, loop);
      ev_set_cb (w, nested_cb);
      nested_slot = nslots - 1;
    }
  if (entry == E_DESTROY)
    {
      /* at least one cleanup watcher to throw */
      add<ev_cleanup> (K_CLEANUP, loop);
    }
  for (int i = 0; i < nslots; ++i)
    start_slot (i);
}

void
make_ready (struct ev_loop *loop)
{
  for (int i = 0; i < nslots; ++i)
    {
      slot &s = slots[i];
      switch (s.kind)
        {
        case K_SIGNAL: raise (((ev_signal *)s.w)->signum); break;
        case K_ASYNC: ev_async_send (s.loop, (ev_async *)s.w); break;
        case K_STAT:
          {
            int fd = open (stat_path, O_WRONLY | O_APPEND);
            if (fd >= 0)
              {
                if (write (fd, "z", 1) != 1)
                  abort ();
                close (fd);
              }
            break;
          }
        case K_CHILD:
          if (fork () == 0)
            _exit (0);
          break;
        case K_FORK: ev_loop_fork (loop); break;
        }
    }
}

/* kinds that the loop's internal watchers queue (SIGCHLD reaping, the wake-up fd), so
 * that they may be queued again within the same invocation pass */
int
refed (int kind)
{
  return kind == K_CHILD || kind == K_SIGNAL || kind == K_ASYNC;
}

/* after the catch: the checks of the header */
void
check_after_throw (struct ev_loop *loop, const char *what)
{
  ev_verify (loop);
  if (inner)
    ev_verify (inner);
  if (ev_depth (loop) != depth_at_throw_outer)
    fail ("%s: ev_depth %u after the throw, %u in the throwing callback", what, ev_depth (loop), depth_at_throw_outer);
  if (inner && ev_depth (inner) != depth_at_throw_inner)
    fail ("%s: embedded loop's ev_depth %u after the throw, %u in the throwing callback", what,
          ev_depth (inner), depth_at_throw_inner);
  if (target >= 0 && ev_is_pending (slots[target].w) && slots[target].kind != K_FORK)
    fail ("%s: the %s watcher that threw is still pending", what, kind_names[slots[target].kind]);
  for (int i = 0; i < nslots; ++i)
    if (slots[i].pending_at_throw && !ev_is_pending (slots[i].w))
      fail ("%s: a %s watcher pending when the %s callback threw is no longer pending", what,
            kind_names[slots[i].kind], kind_names[slots[target].kind]);
  /* the next invocation pass invokes each of them once, and nothing stays pending */
  for (int i = 0; i < nslots; ++i)
    slots[i].invoked = 0;
  if (getenv ("UNWIND_TRACE"))
    {
      printf ("  after the catch (%s):", what);
      for (int i = 0; i < nslots; ++i)
        printf (" %d:%s%s", i, kind_names[slots[i].kind], slots[i].pending_at_throw ? "(pending)" : "");
      printf ("\n  ev_invoke_pending:\n");
    }
  target = -1;
  ev_invoke_pending (loop);
  if (inner)
    ev_invoke_pending (inner);
  for (int i = 0; i < nslots; ++i)
    if (slots[i].pending_at_throw && (slots[i].invoked < 1 || (slots[i].invoked > 1 && !refed (slots[i].kind))))
      fail ("%s: a %s watcher pending at the throw was invoked %d times by the next ev_invoke_pending",
            what, kind_names[slots[i].kind], slots[i].invoked);
  if (ev_pending_count (loop) || (inner && ev_pending_count (inner)))
    fail ("%s: %u watchers still pending after ev_invoke_pending", what, ev_pending_count (loop));
}

void
probe_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

void
check_works (struct ev_loop *loop, const char *what)
{
  ev_timer probe;
  int fired = 0;
  ev_timer_init (&probe, probe_cb, 0., 0.);
  probe.data = &fired;
  ev_timer_start (loop, &probe);
  for (int i = 0; i < 3 && !fired; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  ev_timer_stop (loop, &probe);
  if (!fired)
    fail ("%s: the loop does not work after the throw (a zero timer never fired)", what);
  ev_verify (loop);
}

/* Runs the entry; returns 1 if the callback threw out of it. */
int run_entry (struct ev_loop *loop, int entry) __attribute__ ((noinline));
int
run_entry (struct ev_loop *loop, int entry)
{
  thrown = 0;
  if (use_longjmp)
    {
      if (setjmp (jb))
        return 1;
    }
  try
    {
      switch (entry)
        {
        case E_NOWAIT: ev_run (loop, EVRUN_NOWAIT); break;
        case E_ONCE: ev_run (loop, EVRUN_ONCE); break;
        case E_RUN:
          {
            /* ends after a few iterations: a check watcher of the lowest priority breaks */
            ev_run (loop, 0);
            break;
          }
        case E_INVOKE_PENDING:
          for (int i = 0; i < nslots; ++i)
            if (slots[i].loop == loop && ev_cb (slots[i].w)) /* not an embed without callback */
              ev_feed_event (loop, slots[i].w, EV_CUSTOM);
          ev_invoke_pending (loop);
          break;
        case E_NESTED: ev_run (loop, EVRUN_NOWAIT); break;
        case E_DESTROY: ev_loop_destroy (loop); break;
        }
    }
  catch (boom &)
    {
      return 1;
    }
  return 0;
}

int breaker_left;
void
breaker_cb (struct ev_loop *loop, ev_check *w, int revents)
{
  (void)w, (void)revents;
  if (--breaker_left <= 0)
    ev_break (loop, EVBREAK_ALL);
}

void
breaker_tick (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

void
one_trial (struct ev_loop *loop, int entry)
{
  char what[160];
  inner = nullptr;
  outer = loop;
  nested_slot = -1;
  nested_active = 0;
  nested_caught = 0;
  setup_watchers (loop, entry);
  use_longjmp = (int)stress_below (&rnd, 2);
  target = (int)stress_below (&rnd, (unsigned)nslots);
  if (entry == E_DESTROY)
    {
      /* a cleanup watcher throws */
      do
        target = (int)stress_below (&rnd, (unsigned)nslots);
      while (slots[target].kind != K_CLEANUP);
    }
  if (entry == E_NESTED && target == nested_slot)
    target = (target + 1) % nslots;
  target_at = 1 + (int)stress_below (&rnd, 2);
  snprintf (what, sizeof what, "%s out of a %s callback (invocation %d) under %s",
            use_longjmp ? "longjmp" : "exception", kind_names[slots[target].kind], target_at, entry_names[entry]);
  make_ready (loop);

  ev_check breaker;
  ev_check_init (&breaker, breaker_cb);
  ev_set_priority (&breaker, EV_MINPRI);
  breaker_left = 3;
  /* a ticker, so that EVRUN_ONCE and a full ev_run never block for long when nothing
   * else is ready; neither it nor the breaker keeps the loop alive */
  ev_timer ticker;
  ev_timer_init (&ticker, breaker_tick, 0.001, 0.001);
  if (entry == E_RUN || entry == E_ONCE)
    {
      ev_timer_start (loop, &ticker);
      ev_unref (loop);
    }
  if (entry == E_RUN)
    {
      ev_check_start (loop, &breaker);
      ev_unref (loop);
    }

  unsigned depth_before = ev_depth (loop);
  int threw = 0;
  for (int iter = 0; iter < 4 && !threw; ++iter)
    {
      threw = run_entry (loop, entry);
      if (entry == E_DESTROY && !threw)
        {
          /* destroyed without a throw (the cleanup threw on its 2nd invocation, which a
           * single destroy never makes): nothing more to check on this loop */
          outer = nullptr;
          break;
        }
      if (entry == E_NESTED && nested_caught)
        break;
    }
  ++st.trials;
  if (entry == E_NESTED && nested_caught)
    {
      threw = 1;
      /* the outer run finished normally: its depth is back; the nested run's is not */
      if (ev_depth (loop) != depth_before + 1)
        fail ("%s: ev_depth %u after the outer run, expected %u (the nested run's increment stays)",
              what, ev_depth (loop), depth_before + 1);
      depth_at_throw_outer = ev_depth (loop);
      depth_at_throw_inner = inner ? ev_depth (inner) : 0;
      /* pending watchers after the outer pass: the outer pass invoked them; nothing to hold */
      for (int i = 0; i < nslots; ++i)
        slots[i].pending_at_throw = ev_is_pending (slots[i].w) ? 1 : 0;
    }
  nested_active = 2; /* from now on the nesting idle callback does not nest */
  if (threw)
    {
      ++st.throws;
      ++st.by_kind[slots[target].kind];
      ++st.by_entry[entry];
      ++(use_longjmp ? st.longjmps : st.exceptions);
      check_after_throw (loop, what);
      if (entry != E_DESTROY)
        check_works (loop, what);
    }
  if ((entry == E_RUN || entry == E_ONCE) && outer)
    {
      ev_ref (loop);
      ev_timer_stop (loop, &ticker);
    }
  if (entry == E_RUN && outer)
    {
      ev_ref (loop);
      ev_check_stop (loop, &breaker);
    }

  /* tidy up: stop everything (the loop of E_DESTROY is gone or still to be destroyed) */
  if (outer)
    for (int i = 0; i < nslots; ++i)
      stop_slot (i);
  else
    for (int i = 0; i < nslots; ++i)
      if (slots[i].loop == inner)
        stop_slot (i);
  if (outer && entry == E_DESTROY)
    {
      /* a cleanup threw out of ev_loop_destroy: destroying again must work */
      ev_loop_destroy (loop);
    }
  if (inner)
    {
      ev_verify (inner);
      ev_loop_destroy (inner);
      inner = nullptr;
    }
  while (waitpid (-1, nullptr, WNOHANG) > 0)
    ;
}

}  // namespace

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  long trials = argc > 1 ? atol (argv[1]) : stress_scale (10000, 100000);
  rnd = stress_seed (0x0a11ce5eedull);
  ev_set_allocator (counting_alloc);
  unsetenv ("LIBEV_FLAGS");
  stress_watchdog (stress_long () ? 7200 : 600, "unwind");
  /* raised signals nobody watches any more must not kill us */
  signal (SIGUSR1, SIG_IGN);
  signal (SIGUSR2, SIG_IGN);

  for (int i = 0; i < 4; ++i)
    {
      if (pipe (pipes[i]) || write (pipes[i][1], "x", 1) != 1)
        return 2;
    }
  if (pipe (inner_pipe) || write (inner_pipe[1], "x", 1) != 1)
    return 2;
  snprintf (stat_path, sizeof stat_path, "/tmp/unwind-%d", (int)getpid ());
  close (open (stat_path, O_CREAT | O_WRONLY | O_TRUNC, 0600));

  struct stress_backend bs[4];
  int nb = stress_backends (bs);
  double t0 = stress_now ();
  long done = 0;
  int seq = 0;
  while (done < trials)
    {
      const stress_backend &b = bs[seq % nb];
      int use_default = seq % 5 == 4;
      struct ev_loop *loop = use_default ? ev_default_loop (b.flag | EVFLAG_NOENV) : ev_loop_new (b.flag | EVFLAG_NOENV);
      if (!loop)
        {
          stress_fail ("cannot create a %s loop", b.name);
          break;
        }
      /* a sequence of up to 20 trials on one loop: depth builds up by one per throw */
      for (int t = 0; t < 20 && done < trials; ++t, ++done)
        {
          int entry = (int)stress_below (&rnd, E_COUNT);
          if (entry == E_DESTROY && t < 19)
            entry = E_NOWAIT; /* destroy only as the last trial of a sequence */
          /* (not the default loop: its child watchers would stay linked after the destroy,
           * and this program reuses their memory) */
          if (t == 19 && !use_default && stress_below (&rnd, 2))
            entry = E_DESTROY;
          if (entry == E_DESTROY && use_default)
            entry = E_ONCE;
          one_trial (loop, entry);
          if (entry == E_DESTROY)
            {
              loop = nullptr;
              ++done;
              break;
            }
        }
      if (loop)
        {
          ev_verify (loop);
          ev_loop_destroy (loop);
        }
      ++seq;
    }
  double secs = stress_now () - t0;
  unlink (stat_path);
  if (live_blocks != 0)
    stress_fail ("%ld blocks still allocated after every loop was destroyed (leak)", live_blocks);
  long pend_checked = 0;
  (void)pend_checked;
  stress_figure ("%ld trials (%ld with a throw: %ld C++ exceptions, %ld longjmps) on %d backends in %.0f s: "
                 "%ld findings (ev_verify, ev_depth, pending kept and invoked once, loop works), "
                 "%ld blocks live at the end (must be 0)",
                 st.trials, st.throws, st.exceptions, st.longjmps, nb, secs, failures, live_blocks);
  char kinds[512] = "";
  for (int k = 0; k < K_COUNT; ++k)
    {
      size_t l = strlen (kinds);
      snprintf (kinds + l, sizeof kinds - l, "%s%s %ld", k ? ", " : "", kind_names[k], st.by_kind[k]);
    }
  stress_figure ("throws by callback kind: %s", kinds);
  char entries[512] = "";
  for (int e = 0; e < E_COUNT; ++e)
    {
      size_t l = strlen (entries);
      snprintf (entries + l, sizeof entries - l, "%s%s %ld", e ? ", " : "", entry_names[e], st.by_entry[e]);
    }
  stress_figure ("throws by way in: %s", entries);
  for (int k = 0; k < K_COUNT; ++k)
    if (!st.by_kind[k] && k != K_CHILD)
      stress_fail ("no throw out of a %s callback", kind_names[k]);
  return stress_exit_status ();
}
