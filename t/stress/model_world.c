/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_world.c - the resources of one sequence: its loops, the watcher pool, the
 * pipes and the socketpair, the temporary files, forked children; setup and teardown.
 *
 * Everything a sequence opens is closed by its teardown, and the teardown checks that no
 * file descriptor stayed open: fd numbers then repeat from sequence to sequence, which keeps
 * the kernel's report order (select: by fd number) the same when one seed is rerun alone. */
#define _GNU_SOURCE 1
#include "model.h"
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_PROBE 256
/* a sequence with the default loop runs in a process of its own (model.c): they cost a fork */
#define DEFAULT_LOOP_PERCENT 10
static unsigned char open_at_start[FD_PROBE];
static int baseline_taken;
static int probe_limit; /* above the highest fd a sequence saw */
static int first_free = -1;

/* The pipes and the socketpair of every sequence: made once, before any loop, so that they
 * have the same numbers in every sequence (and the loops' own fds too, above them). */
static int
make_fds (void)
{
  S.nfds = 0;
  for (int i = 0; i < M_PIPES; ++i)
    {
      int p[2];
      if (pipe2 (p, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
      S.fds[S.nfds] = (struct mfd){ p[0], FD_PIPE_R, S.nfds + 1, 0 };
      S.fds[S.nfds + 1] = (struct mfd){ p[1], FD_PIPE_W, S.nfds, 0 };
      S.nfds += 2;
    }
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0)
    return -1;
  S.fds[S.nfds] = (struct mfd){ sp[0], FD_SOCK, S.nfds + 1, 0 };
  S.fds[S.nfds + 1] = (struct mfd){ sp[1], FD_SOCK, S.nfds, 0 };
  S.nfds += 2;
  return 0;
}

static int
take_baseline (void)
{
  if (make_fds () != 0)
    return -1;
  for (int fd = 0; fd < FD_PROBE; ++fd)
    if ((open_at_start[fd] = fcntl (fd, F_GETFD) != -1))
      probe_limit = fd + 32; /* and the loops' own fds, above them */
    else if (first_free < 0)
      first_free = fd;
  baseline_taken = 1;
  return 0;
}

static void cb_io (struct ev_loop *l, ev_io *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_timer (struct ev_loop *l, ev_timer *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_periodic (struct ev_loop *l, ev_periodic *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_signal (struct ev_loop *l, ev_signal *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_child (struct ev_loop *l, ev_child *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_stat (struct ev_loop *l, ev_stat *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_idle (struct ev_loop *l, ev_idle *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_prepare (struct ev_loop *l, ev_prepare *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_check (struct ev_loop *l, ev_check *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_fork (struct ev_loop *l, ev_fork *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_cleanup (struct ev_loop *l, ev_cleanup *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_async (struct ev_loop *l, ev_async *w, int r) { ops_callback (l, (ev_watcher *)w, r); }
static void cb_embed (struct ev_loop *l, ev_embed *w, int r) { ops_callback (l, (ev_watcher *)w, r); }

static void
stale_signal (struct ev_loop *l, ev_signal *w, int r)
{
  (void)l;
  tr ("stale signal sig%d %#x", *(int *)w->data, r);
}

static void
invoke_hook (struct ev_loop *l)
{
  struct mloop *L = world_loop_of (l);
  ++L->invokes;
  tr ("invoke-hook L%d it=%u d=%u", L->idx, tr_iter (L->idx), ev_depth (l));
  ev_invoke_pending (l);
}

/* the release/acquire callbacks bracket the poll: one pair per iteration */
static void
release_hook (struct ev_loop *l)
{
  ++world_loop_of (l)->releases;
}

static void
acquire_hook (struct ev_loop *l)
{
  ++world_loop_of (l)->acquires;
}

struct mloop *
world_loop_of (struct ev_loop *l)
{
  struct mloop *L = ev_userdata (l);
  if (!L || L->l != l)
    {
      m_fail ("ev_userdata does not give back the loop's model");
      abort ();
    }
  return L;
}

static void
init_watcher (struct mw *m)
{
  ev_watcher *w = &m->u.w;
  switch (m->kind)
    {
    case K_IO: ev_init (&m->u.io, cb_io); break;
    case K_TIMER: ev_init (&m->u.timer, cb_timer); break;
    case K_PERIODIC: ev_init (&m->u.periodic, cb_periodic); break;
    case K_SIGNAL: ev_init (&m->u.sig, cb_signal); break;
    case K_CHILD: ev_init (&m->u.child, cb_child); break;
    case K_STAT: ev_init (&m->u.stat, cb_stat); break;
    case K_IDLE: ev_init (&m->u.idle, cb_idle); break;
    case K_PREPARE: ev_init (&m->u.prepare, cb_prepare); break;
    case K_CHECK: ev_init (&m->u.check, cb_check); break;
    case K_FORK: ev_init (&m->u.fork, cb_fork); break;
    case K_CLEANUP: ev_init (&m->u.cleanup, cb_cleanup); break;
    case K_ASYNC: ev_init (&m->u.async, cb_async); break;
    case K_EMBED:
      if (m->ecb)
        ev_init (&m->u.embed, cb_embed);
      else
        ev_init (&m->u.embed, 0);
      break;
    case K_STREAM:
    case K_ACCEPT:
      streams_init_watcher (m);
      break;
    }
  w->data = m;
}

static int
embeddable (const struct mloop *L)
{
  return !L->is_default && L->backend == EVBACKEND_EPOLL;
}

/* the first draws of world_setup: does the sequence of this generator state use the
 * default loop? */
int
world_uses_default_loop (uint64_t rng)
{
  unsigned nloops = 1 + stress_below (&rng, 3);
  (void)nloops;
  return stress_below (&rng, 100) < DEFAULT_LOOP_PERCENT;
}

int
world_setup (uint64_t seed)
{
  /* io_uring only with -S: model checks only, libev 4.33's traces have no io_uring loops */
  static const unsigned backends[] = { EVBACKEND_SELECT, EVBACKEND_POLL, EVBACKEND_EPOLL, EVBACKEND_IOURING };
  unsigned nbackends = S.streams && (ev_supported_backends () & EVBACKEND_IOURING) ? 4 : 3;
  if (!baseline_taken && take_baseline () != 0)
    {
      m_fail ("cannot make the pipes: %s", strerror (errno));
      return -1;
    }

  memset (&S.loops, 0, sizeof S.loops);
  memset (&S.w, 0, sizeof S.w);
  memset (&S.children, 0, sizeof S.children);
  memset (&S.onces, 0, sizeof S.onces);
  memset (&S.cbs, 0, sizeof S.cbs);
  S.seed = seed;
  S.started = stress_now ();
  S.nchildren = 0;
  S.ncbs = 0;
  S.invoking = -1;
  S.tearing = 0;
  S.settling = 0;
  S.destroying = -1;
  S.ops = 0;
  S.failed = 0;
  for (int i = 0; i < M_SIGS; ++i)
    {
      S.sig_owner[i] = -1;
      S.sig_until[i] = 0;
      S.sig_taint[i] = 0;
    }

  /* the loops: 1-3, sometimes the default loop, sometimes an embeddable epoll loop */
  S.nloops = 1 + (int)m_rand (3);
  int def = m_chance (DEFAULT_LOOP_PERCENT) ? (int)m_rand ((unsigned)S.nloops) : -1;
  /* closing an inotify fd costs the kernel ~10 ms (an RCU grace period): most sequences
   * watch their files by polling (every 5 s: never within a sequence) */
  int inotify = m_chance (3);
  int want_embeddable = S.nloops > 1 && m_chance (50) ? (int)m_rand ((unsigned)S.nloops) : -1;
  if (want_embeddable == def)
    want_embeddable = -1;
  for (int i = 0; i < S.nloops; ++i)
    {
      struct mloop *L = &S.loops[i];
      L->idx = i;
      L->embedded_by = -1;
      L->is_default = i == def;
      L->backend = i == want_embeddable ? EVBACKEND_EPOLL : backends[m_rand (nbackends)];
      if (S.backend && i != want_embeddable)
        L->backend = S.backend;
      L->sigfd = m_chance (15);
      L->flags = EVFLAG_NOENV | L->backend | (L->sigfd ? EVFLAG_SIGNALFD : 0u)
                 | (m_chance (10) ? EVFLAG_FORKCHECK : 0u) | (inotify ? 0u : EVFLAG_NOINOTIFY);
      L->inotify = inotify;
      S.inotify = inotify;
      L->l = L->is_default ? ev_default_loop (L->flags) : ev_loop_new (L->flags);
      if (!L->l || ev_backend (L->l) != L->backend)
        {
          m_fail ("cannot create a loop with backend %u", L->backend);
          return -1;
        }
      L->alive = 1;
      L->wakeup_made = L->is_default && !L->sigfd; /* the SIGCHLD watcher's wake-up pipe */
      L->iter = ev_iteration (L->l);
      ev_set_userdata (L->l, L);
      L->invoke_hook = m_chance (10);
      if (L->invoke_hook)
        ev_set_invoke_pending_cb (L->l, invoke_hook);
      L->time_hooks = m_chance (10);
      if (L->time_hooks)
        ev_set_loop_release_cb (L->l, release_hook, acquire_hook);
      tr ("loop L%d backend=%u default=%d sigfd=%d inotify=%d invoke-hook=%d time-hooks=%d", i, L->backend,
          L->is_default, L->sigfd, L->inotify, L->invoke_hook, L->time_hooks);
    }

  /* the fds, emptied (a sequence in a child process may have left data in them) */
  for (int i = 0; i < S.nfds; ++i)
    {
      char buf[256];
      S.fds[i].bytes = 0;
      if (S.fds[i].kind != FD_PIPE_W)
        while (read (S.fds[i].fd, buf, sizeof buf) > 0)
          ;
    }

  /* the files start empty; no watcher looks at them yet */
  for (int i = 0; i < M_FILES; ++i)
    {
      struct stat st;
      if ((stat (m_file_path[i], &st) != 0 || st.st_size) && truncate (m_file_path[i], 0) != 0)
        {
          m_fail ("truncate %s: %s", m_file_path[i], strerror (errno));
          return -1;
        }
      S.file_size[i] = 0;
    }

  /* the watcher pool */
  S.nw = 3 + (int)m_rand (M_WATCHERS - 2);
  for (int i = 0; i < S.nw; ++i)
    {
      struct mw *m = &S.w[i];
      m->id = i;
      m->guard = 0;
      for (;;)
        {
          m->kind = (int)m_rand (S.streams ? K_NKINDS : K_LIBEV_KINDS);
          if (S.streams && m_chance (40))
            m->kind = m_chance (80) ? K_STREAM : K_ACCEPT;
          /* the rare sequences with inotify, or with the default loop, use them more */
          if (inotify && m_chance (25))
            m->kind = K_STAT;
          else if (def >= 0 && m_chance (15))
            m->kind = K_CHILD;
          m->loop = (int)m_rand ((unsigned)S.nloops);
          if (m->kind == K_CHILD)
            {
              if (def < 0)
                continue;
              m->loop = def;
            }
          if (m->kind == K_EMBED)
            {
              int cand[M_LOOPS], n = 0;
              /* only into loops of a higher index: no cycle, not even through a stopped
               * embed watcher whose fd the embedding epoll set still holds (libev 4.33
               * aborts on the ELOOP) */
              for (int j = m->loop + 1; j < S.nloops; ++j)
                if (embeddable (&S.loops[j]))
                  cand[n++] = j;
              if (!n)
                continue;
              m->inner = cand[m_rand ((unsigned)n)];
              m->ecb = m_chance (60);
            }
          break;
        }
      init_watcher (m);
      m->prio = 0;
      m->sent = 0;
      m->fdi = -1;
      m->cidx = -1;
      tr ("watcher w%d %s L%d%s", i, m_kind_name[m->kind], m->loop,
          m->kind == K_EMBED ? (m->ecb ? " embed-cb" : " embed-auto") : "");
    }
  /* known difference 9 (model.c): a loop with ev_stat watchers on inotify gets no ev_loop_fork */
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_STAT && S.loops[S.w[i].loop].inotify)
      S.loops[S.w[i].loop].statloop = 1;
  S.child_any = S.known ? (int)m_rand (2) : -1;
  /* an embedded loop gets an io watcher (an embedding loop has something to report) */
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED)
      {
        int has_io = 0, cand = -1;
        for (int j = 0; j < S.nw; ++j)
          {
            if (S.w[j].loop == S.w[i].inner && S.w[j].kind == K_IO)
              has_io = 1;
            if (S.w[j].kind != K_EMBED && S.w[j].kind != K_CHILD && S.w[j].kind != K_IO && cand < 0 && j != i)
              cand = j;
          }
        if (!has_io && cand >= 0)
          {
            S.w[cand].kind = K_IO;
            S.w[cand].loop = S.w[i].inner;
            init_watcher (&S.w[cand]);
            tr ("watcher w%d is io L%d", cand, S.w[cand].loop);
          }
      }
  /* the guards: one idle per loop, started by a run that must end on its own */
  S.nall = S.nw + S.nloops;
  for (int i = 0; i < S.nloops; ++i)
    {
      struct mw *m = &S.w[S.nw + i];
      m->id = S.nw + i;
      m->kind = K_IDLE;
      m->loop = i;
      m->guard = 1;
      init_watcher (m);
      m->fdi = -1;
      m->cidx = -1;
      S.loops[i].guard = m;
    }
  if (S.streams)
    streams_setup ();
  return 0;
}

int
world_ready (int fdi)
{
  const struct mfd *f = &S.fds[fdi];
  switch (f->kind)
    {
    case FD_PIPE_R: return f->bytes > 0 ? EV_READ : 0;
    case FD_PIPE_W: return EV_WRITE;
    default: return EV_WRITE | (f->bytes > 0 ? EV_READ : 0);
    }
}

int
world_refcount (int loop)
{
  int n = 0;
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == loop && S.w[i].active)
      n += ref_refs_of (&S.w[i]);
  for (int i = 0; i < M_ONCES; ++i)
    if (S.onces[i].used && !S.onces[i].fired && S.onces[i].loop == loop)
      n += (S.onces[i].fdi >= 0) + S.onces[i].has_timer;
  return n - S.loops[loop].unrefs;
}

int
world_stable_refs (int loop)
{
  int n = 0;
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == loop && S.w[i].active && ref_stable (&S.w[i]))
      n += ref_refs_of (&S.w[i]);
  return n;
}

int
world_loop_on_stack (int loop)
{
  if (S.loops[loop].nframes)
    return 1;
  for (int i = 0; i < S.ncbs; ++i)
    if (S.cbs[i].loop == loop)
      return 1;
  return 0;
}

int
world_in_progress (int loop)
{
  if (S.loops[loop].nframes)
    return 1; /* an ev_run of it is on the stack: a pass of it is running */
  for (int i = 0; i < S.ncbs; ++i)
    if (S.cbs[i].loop == loop && !S.cbs[i].via_invoke)
      return 1;
  return 0;
}

/* Timing mode: let the timers and periodics that are due in a few ms expire (so that their
 * expiry is checked), with ev_run (EVRUN_ONCE) waiting for them where the loop calls nothing
 * before its poll, else with short sleeps between non-blocking iterations. */
void
world_wait_timers (void)
{
  for (int round = 0; round < 12; ++round)
    {
      int waiting = 0;
      for (int l = 0; l < S.nloops; ++l)
        {
          ref_sync ();
          if (!S.loops[l].alive || !ref_medium_pending (l))
            continue;
          waiting = 1;
          if (ref_no_callback_before_poll (l))
            op_run (l, EVRUN_ONCE);
          else
            {
              ev_sleep (0.0005);
              op_run (l, EVRUN_NOWAIT);
            }
          ops_verify_all (1);
        }
      if (!waiting)
        break;
    }
}

void
world_teardown (void)
{
  /* every stream's bytes, completions and errors have arrived before anything stops */
  streams_settle ();
  S.tearing = 1;
  ref_sync ();
  /* embeds first, then everything but the cleanup watchers (the loops' destruction must
   * invoke those) */
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < S.nall; ++i)
      {
        struct mw *m = &S.w[i];
        if (!S.loops[m->loop].alive || m->kind == K_CLEANUP)
          continue;
        if ((pass == 0) != (m->kind == K_EMBED))
          continue;
        if (streams_leave_active (m))
          continue; /* ev_loop_destroy frees what it holds */
        if (m->active || m->pend || m->spend)
          op_stop (m);
      }
  /* ev_once callbacks that are still outstanding are all due at the next iteration */
  for (int tries = 0; tries < 3; ++tries)
    for (int l = 0; l < S.nloops; ++l)
      for (int i = 0; i < M_ONCES; ++i)
        if (S.onces[i].used && !S.onces[i].fired && S.onces[i].loop == l)
          {
            op_run (l, EVRUN_NOWAIT);
            break;
          }
  for (int i = 0; i < M_ONCES; ++i)
    if (S.onces[i].used && !S.onces[i].fired)
      m_fail ("once%d: still not called after three iterations", S.onces[i].id);

  for (int l = 0; l < S.nloops; ++l)
    {
      struct mloop *L = &S.loops[l];
      if (!L->alive)
        continue;
      ref_sync ();
      if (L->unrefs)
        m_fail ("L%d: %d ev_unref outstanding with every watcher stopped", l, L->unrefs);
      /* ev_loop_destroy queues the cleanup watchers and, only if there are any, runs an
       * invocation pass, which also invokes everything else that is pending */
      int cleanups = 0;
      for (int i = 0; i < S.nall; ++i)
        if (S.w[i].loop == l && S.w[i].kind == K_CLEANUP && S.w[i].active)
          {
            S.w[i].pend |= EV_CLEANUP;
            cleanups = 1;
          }
      tr ("destroy L%d", l);
      S.cbs[S.ncbs++] = (struct cbframe){ l, NULL, 0 };  /* the cleanup pass */
      S.destroying = l;
      ev_loop_destroy (L->l);
      S.destroying = -1;
      --S.ncbs;
      streams_loop_destroyed (l);
      L->alive = 0;
      for (int i = 0; i < S.nall; ++i)
        if (S.w[i].loop == l)
          {
            if (S.w[i].pend && cleanups)
              m_fail ("w%d: pending %#x but not invoked by ev_loop_destroy", i, S.w[i].pend);
            S.w[i].active = 0;
            S.w[i].pend = 0;
          }
      if (L->time_hooks && L->releases != L->acquires)
        m_fail ("L%d: %ld release but %ld acquire callbacks", l, L->releases, L->acquires);
      L->l = NULL;
    }

  /* A signal raised and then no longer watched before a loop processed it stays pending in
   * libev's process-wide state and would reach the next watcher of it when its loop is woken
   * (in a later sequence): let a loop of its own take it now. */
  for (int si = 0; si < M_SIGS; ++si)
    if (S.sig_taint[si])
      {
        struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
        ev_signal w;
        ev_signal_init (&w, stale_signal, m_signals[si]);
        w.data = &si;
        ev_signal_start (l, &w);
        raise (m_signals[si]); /* libev looks at its pending flags only when woken */
        ev_run (l, EVRUN_NOWAIT);
        ev_run (l, EVRUN_NOWAIT);
        ev_signal_stop (l, &w);
        ev_loop_destroy (l);
      }

  if (S.streams)
    streams_teardown ();

  /* children the default loop did not reap (it was destroyed first) */
  for (;;)
    {
      int st;
      pid_t p = waitpid (-1, &st, WNOHANG);
      if (p > 0)
        continue;
      if (p < 0 && errno == EINTR)
        continue;
      break;
    }
  /* no fd left open: the lowest free one is the first one above the baseline (cheap); every
   * 64th sequence also looks at each number */
  int lowest = fcntl (0, F_DUPFD_CLOEXEC, first_free);
  if (lowest >= 0)
    close (lowest);
  if (lowest != first_free)
    m_fail ("fd %d is still open after the sequence's loops were destroyed", first_free);
  if (S.seed % 64 == 0 || lowest != first_free)
    for (int fd = 0; fd < probe_limit && fd < FD_PROBE; ++fd)
      if (!open_at_start[fd] && fcntl (fd, F_GETFD) != -1)
        {
          m_fail ("fd %d is still open after the sequence's loops were destroyed", fd);
          close (fd);
        }
}
