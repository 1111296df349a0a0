/* SPDX-License-Identifier: BSD-2-Clause */
/* t/observe/slow_program.c - an ordinary libev program, built as a user builds one
 * (cc prog.c -lev: not stripped, no -rdynamic), whose callbacks are static functions
 * that take as long as the test asks.  t/observe/watchdog.sh runs it under the
 * watchdog (ev-watchdog -- PROGRAM, or -p PID) and checks the reports; t/observe/probes.sh
 * counts its probes with gdb and compares them with the loop's metrics.
 *
 *   slow_program slow            one timer whose callback slow_cb sleeps 300 ms, then idles 0.5 s
 *   slow_program script          three timers, in three iterations: 30, 250 and 1000 ms
 *   slow_program cpu             one callback that computes for 250 ms (never sleeps)
 *   slow_program fast N          N callbacks of a repeating timer and N of an io watcher, none slow
 *   slow_program wait SECONDS    an idle loop with a 0.3 s timer, for SECONDS (the test stops it)
 *   slow_program stream-idle     a stream on a socket pair that nothing writes to, a fast timer
 *                                callback at 10 ms, then an idle loop until 1.2 s; prints its backend
 *   slow_program api             slow, after ev_watchdog_start with a report callback (which fails
 *                                with ENOSYS: the library starts no watchdog); prints its answer
 *   slow_program slow-exit       slow, with a callback that calls exit (3) after its 300 ms
 *   slow_program fork            a child of fork(2) runs slow_cb in its loop, then exits; the parent
 *                                waits
 *   slow_program forks N         an idle callback forks N children, one an iteration, each of which
 *                                runs its loop once and ends within 3 ms; an ev_child reaps them
 *   slow_program fork-time N     N forks of a child that ends at once, each waited for: the time of
 *                                fork (2), and of the round
 *   slow_program exit-time N     N children that make a loop and call exit (3): the time from the call
 *                                to the parent's waitpid
 *   slow_program locked-alloc    slow, with an allocator (ev_set_allocator) whose lock another thread
 *                                holds all along: nothing of the watchdog's may call it (it would wait
 *                                for that lock forever)
 *   slow_program locked-syslog   slow, where /dev/log is the program's own socket (the test gives it a
 *                                private /dev) and another thread is inside syslog(3), holding its lock,
 *                                waiting for room on that socket when the loop is made; after the
 *                                loop, prints what the log received from the watchdog ("log: LINE")
 *   slow_program plugin PATH     slow, with the callback of a plugin (t/observe/slow_plugin.c) loaded
 *                                with dlopen (3) after the loop is made
 *   slow_program locked-loader   slow, while another thread is inside dl_iterate_phdr (3), which holds
 *                                the loader's lock, from before the loop is made until it has run
 *   slow_program probes N        a loop with metrics on: N timer callbacks, each writing a byte that an
 *                                io watcher reads, a signal, a bad fd, ev_loop_fork; prints the counts */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <ev.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts))
    ;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
slow_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  sleep_ms (300);
}

static void
nap_30ms_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  sleep_ms (30);
}

static void
nap_250ms_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  sleep_ms (250);
}

static void
nap_1000ms_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  sleep_ms (1000);
}

static volatile unsigned long spin_sink;

static void
compute_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  double end = now () + 0.25;
  while (now () < end)
    for (int i = 0; i < 1000; ++i)
      spin_sink += (unsigned long)i;
}

static void
stop_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

/* stream-idle: a callback that returns at once, and a stream that gets nothing */
static void
quick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
idle_stream_cb (struct ev_loop *loop, ev_ng_stream *w, int revents)
{
  const char *data;
  (void)revents;
  while (ev_ng_stream_recv (loop, w, &data) > 0)
    ;
}

/* slow-exit: the program ends inside its slow callback */
static void
slow_exit_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  sleep_ms (300);
  printf ("exiting\n");
  exit (0);
}

/* forks N: an idle watcher forks a child per iteration, which runs its loop once and ends within
 * 3 ms, while the watchdog looks every millisecond; the parent reaps them with an ev_child
 * watcher and never waits in a callback. */
static int forks_wanted, forks_made, forks_ended;
static ev_idle fork_idle;

static void
fork_idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  pid_t pid = fork ();
  if (pid < 0)
    abort ();
  if (!pid) {
    ev_loop_fork (loop);
    ev_run (loop, EVRUN_NOWAIT);
    sleep_ms (forks_made % 4);
    _exit (0);
  }
  if (++forks_made == forks_wanted)
    ev_idle_stop (loop, w);
}

static void
fork_reaped_cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)w, (void)revents;
  if (++forks_ended == forks_wanted)
    ev_break (loop, EVBREAK_ALL);
}

/* fork-time N / exit-time N: what a fork, and an exit, cost the program, timed by itself */
static int
fork_time (int n)
{
  struct ev_loop *loop = ev_default_loop (0);
  ev_run (loop, EVRUN_NOWAIT);
  double in_fork = 0, start = now ();
  for (int i = 0; i < n; ++i) {
    double t = now ();
    pid_t pid = fork ();
    in_fork += now () - t;
    if (pid < 0)
      return 2;
    if (!pid)
      _exit (0);
    if (waitpid (pid, 0, 0) != pid)
      return 2;
  }
  printf ("fork: %.1f us a call, %.1f us with the child's exit and the wait\n", in_fork / n * 1e6,
          (now () - start) / n * 1e6);
  return 0;
}

static int
exit_time (int n)
{
  double total = 0;
  for (int i = 0; i < n; ++i) {
    int p[2];
    if (pipe (p))
      return 2;
    pid_t pid = fork ();
    if (pid < 0)
      return 2;
    if (!pid) {
      struct ev_loop *loop = ev_loop_new (0);
      ev_run (loop, EVRUN_NOWAIT);
      double t = now ();
      if (write (p[1], &t, sizeof t) != sizeof t)
        _exit (2);
      exit (0); /* through the atexit handlers */
    }
    double t;
    if (read (p[0], &t, sizeof t) != sizeof t || waitpid (pid, 0, 0) != pid)
      return 2;
    total += now () - t;
    close (p[0]);
    close (p[1]);
  }
  printf ("exit: %.1f us from exit (3) to the parent's waitpid\n", total / n * 1e6);
  return 0;
}

static unsigned long fast_calls, fast_timer_calls, fast_io_calls, fast_limit;
static int pipe_fds[2];

static void
fast_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  if (write (pipe_fds[1], "x", 1) != 1)
    abort ();
  ++fast_calls;
  if (++fast_timer_calls >= fast_limit)
    ev_timer_stop (loop, w);
}

static void
fast_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  char c;
  if (read (w->fd, &c, 1) != 1)
    abort ();
  ++fast_calls;
  if (++fast_io_calls >= fast_limit)
    ev_io_stop (loop, w);
}

static unsigned long probe_calls, probe_limit;
static ev_timer probe_timer;
static ev_io probe_io, probe_bad;
static ev_signal probe_signal;

static void
probe_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  ++probe_calls;
  if (write (pipe_fds[1], "x", 1) != 1)
    abort ();
  ++fast_timer_calls;
  ev_verify (loop); /* the loop's phase counts hold while a tracer is attached */
  if (fast_timer_calls == 2)
    raise (SIGUSR1);
  if (fast_timer_calls == 6)
    ev_loop_fork (loop);
  if (fast_timer_calls == probe_limit) {
    ev_timer_stop (loop, w);
    ev_signal_stop (loop, &probe_signal);
  }
}

static void
probe_io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  ++probe_calls;
  char c;
  if (read (w->fd, &c, 1) != 1)
    abort ();
  if (++fast_io_calls == probe_limit)
    ev_io_stop (loop, w);
}

static void
probe_bad_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w;
  ++probe_calls;
  if (!(revents & EV_ERROR))
    abort ();
}

static void
probe_signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++probe_calls;
}

static int
probes (unsigned long n)
{
  struct ev_loop *loop = ev_loop_new (EVFLAG_NG_METRICS | EVFLAG_NG_ANY_LOOP);
  probe_limit = n;
  if (!loop || pipe (pipe_fds))
    return 2;
  ev_timer_init (&probe_timer, probe_timer_cb, 0., 0.002);
  ev_timer_start (loop, &probe_timer);
  ev_io_init (&probe_io, probe_io_cb, pipe_fds[0], EV_READ);
  ev_io_start (loop, &probe_io);
  ev_io_init (&probe_bad, probe_bad_cb, 1000, EV_READ); /* never open: EV_ERROR */
  ev_io_start (loop, &probe_bad);
  ev_signal_init (&probe_signal, probe_signal_cb, SIGUSR1);
  ev_signal_start (loop, &probe_signal);
  ev_run (loop, 0);
  struct ev_metrics m;
  m.size = sizeof m;
  ev_metrics_get (loop, &m);
  printf ("iterations %lu poll_events %lu callbacks %lu lag_count %lu\n", m.iterations, m.poll_events, probe_calls,
          m.lag_count);
  ev_loop_destroy (loop);
  return 0;
}

static void
report_cb (const struct ev_watchdog_report *r, void *data)
{
  (void)data;
  printf ("report kind %d symbol %s events %#x duration %.3f watcher-ok %d\n", r->kind, r->symbol ? r->symbol : "-",
          (unsigned)r->events, r->duration, r->watcher != 0);
  fflush (stdout);
}

/* locked-alloc: the program's allocator takes a lock in any process but the program's own,
 * and a thread of the program holds that lock from before the loop is made to the end: a
 * process cloned from the program (as the library once started the watchdog) that called the
 * allocator would wait forever, as it would for a malloc lock that a thread of the program
 * held when it was cloned. */
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t program_pid;

static void *
locking_alloc (void *ptr, long size)
{
  if (getpid () != program_pid) {
    pthread_mutex_lock (&alloc_lock);
    pthread_mutex_unlock (&alloc_lock);
  }
  if (size)
    return realloc (ptr, size);
  free (ptr);
  return 0;
}

static pthread_mutex_t holder_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t holder_ready = PTHREAD_COND_INITIALIZER;
static int holding;

static void *
hold_alloc_lock (void *arg)
{
  (void)arg;
  pthread_mutex_lock (&alloc_lock);
  pthread_mutex_lock (&holder_ready_lock);
  holding = 1;
  pthread_cond_signal (&holder_ready);
  pthread_mutex_unlock (&holder_ready_lock);
  for (;;)
    pause ();
  return 0;
}

/* locked-syslog: the log is a datagram socket nobody reads until the loop has run, so the
 * thread that logs fills it and then waits inside syslog (3) with its lock held. */
static int log_fd = -1;
static atomic_int logged, stop_logging, logger_done;

static void *
fill_log (void *arg)
{
  (void)arg;
  while (!atomic_load (&stop_logging)) {
    syslog (LOG_INFO, "filler %d", atomic_load (&logged));
    atomic_fetch_add (&logged, 1);
  }
  atomic_store (&logger_done, 1);
  return 0;
}

/* 0 once the logger waits inside syslog (its count stands still), 77 without the socket */
static int
start_blocked_logger (void)
{
  struct sockaddr_un to = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
  pthread_t logger;
  log_fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  if (log_fd < 0 || bind (log_fd, (struct sockaddr *)&to, sizeof to)) {
    perror ("slow_program: /dev/log");
    return 77;
  }
  if (pthread_create (&logger, 0, fill_log, 0) || pthread_detach (logger))
    return 2;
  for (int still = 0, last = -1, i = 0; i < 200; ++i, sleep_ms (50)) {
    int n = atomic_load (&logged);
    still = n == last ? still + 1 : 0;
    last = n;
    if (n > 0 && still >= 6)
      return 0;
  }
  fprintf (stderr, "slow_program: the logger never waited (%d lines logged)\n", atomic_load (&logged));
  return 2;
}

/* Reads the log until the logger has ended and a watchdog line came, 5 s at most. */
static void
print_log (void)
{
  int seen = 0;
  atomic_store (&stop_logging, 1);
  for (double end = now () + 5.; now () < end && !(seen && atomic_load (&logger_done));) {
    struct pollfd p = { log_fd, POLLIN, 0 };
    char line[2048];
    if (poll (&p, 1, 100) <= 0)
      continue;
    ssize_t n = recv (log_fd, line, sizeof line - 1, 0);
    if (n <= 0)
      continue;
    line[n] = 0;
    if (strstr (line, "libev-ng watchdog:")) {
      printf ("log: %s\n", line);
      seen = 1;
    }
  }
}

/* locked-loader: a thread stays inside dl_iterate_phdr's callback until the loop has run (the
 * exit must not wait for the lock: LeakSanitizer's check at exit asks the loader too). */
static pthread_cond_t loader_release = PTHREAD_COND_INITIALIZER;
static int released;

static int
stay_in_loader (struct dl_phdr_info *info, size_t size, void *data)
{
  (void)info, (void)size, (void)data;
  pthread_mutex_lock (&holder_ready_lock);
  holding = 1;
  pthread_cond_signal (&holder_ready);
  while (!released)
    pthread_cond_wait (&loader_release, &holder_ready_lock);
  pthread_mutex_unlock (&holder_ready_lock);
  return 1;
}

static void *
hold_loader_lock (void *arg)
{
  (void)arg;
  dl_iterate_phdr (stay_in_loader, 0);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "slow";
  if (!strcmp (mode, "probes"))
    return probes (argc > 2 ? strtoul (argv[2], 0, 10) : 50);
  if (!strcmp (mode, "fork-time"))
    return fork_time (argc > 2 ? atoi (argv[2]) : 1000);
  if (!strcmp (mode, "exit-time"))
    return exit_time (argc > 2 ? atoi (argv[2]) : 200);
  pthread_t holder;
  const int locked_loader = !strcmp (mode, "locked-loader");
  if (!strcmp (mode, "locked-alloc") || locked_loader) {
    program_pid = getpid ();
    if (!strcmp (mode, "locked-alloc"))
      ev_set_allocator (locking_alloc);
    if (pthread_create (&holder, 0, !strcmp (mode, "locked-alloc") ? hold_alloc_lock : hold_loader_lock, 0))
      return 2;
    pthread_mutex_lock (&holder_ready_lock);
    while (!holding)
      pthread_cond_wait (&holder_ready, &holder_ready_lock);
    pthread_mutex_unlock (&holder_ready_lock);
    mode = "slow";
  }
  const int locked_syslog = !strcmp (mode, "locked-syslog");
  if (locked_syslog) {
    int status = start_blocked_logger ();
    if (status)
      return status;
    mode = "slow";
  }
  struct ev_loop *loop = ev_default_loop (0);
  ev_timer t1, t2, t3, stop;

  if (!strcmp (mode, "slow") || !strcmp (mode, "api") || !strcmp (mode, "slow-exit")) {
    /* (the library starts no watchdog: the call fails, the program runs on) */
    if (!strcmp (mode, "api")) {
      errno = 0;
      int started = ev_watchdog_start (loop, 0.1, report_cb, 0);
      printf ("ev_watchdog_start %d %s\n", started, errno == ENOSYS ? "ENOSYS" : strerror (errno));
    }
    ev_timer_init (&t1, !strcmp (mode, "slow-exit") ? slow_exit_cb : slow_cb, 0.05, 0.);
    ev_timer_start (loop, &t1);
    /* idles 0.5 s after slow_cb */
    ev_timer_init (&stop, stop_cb, 0.85, 0.);
    ev_timer_start (loop, &stop);
  } else if (!strcmp (mode, "forks")) {
    static ev_child reaped;
    forks_wanted = argc > 2 ? atoi (argv[2]) : 20;
    ev_idle_init (&fork_idle, fork_idle_cb);
    ev_idle_start (loop, &fork_idle);
    ev_child_init (&reaped, fork_reaped_cb, 0, 0);
    ev_child_start (loop, &reaped);
  } else if (!strcmp (mode, "plugin")) {
    void *plugin = dlopen (argc > 2 ? argv[2] : "", RTLD_NOW);
    void *(*callback) (void) = plugin ? (void *(*) (void))dlsym (plugin, "slow_plugin_callback") : 0;
    if (!callback) {
      fprintf (stderr, "slow_program: %s\n", dlerror ());
      return 2;
    }
    ev_timer_init (&t1, (void (*) (struct ev_loop *, ev_timer *, int))callback (), 0.05, 0.);
    ev_timer_start (loop, &t1);
    ev_timer_init (&stop, stop_cb, 0.85, 0.);
    ev_timer_start (loop, &stop);
  } else if (!strcmp (mode, "script")) {
    ev_timer_init (&t1, nap_30ms_cb, 0.01, 0.);
    ev_timer_init (&t2, nap_250ms_cb, 0.06, 0.); /* each due after the one before has ended */
    ev_timer_init (&t3, nap_1000ms_cb, 0.35, 0.);
    ev_timer_start (loop, &t1);
    ev_timer_start (loop, &t2);
    ev_timer_start (loop, &t3);
    ev_timer_init (&stop, stop_cb, 1.6, 0.);
    ev_timer_start (loop, &stop);
  } else if (!strcmp (mode, "cpu")) {
    ev_timer_init (&t1, compute_cb, 0.05, 0.);
    ev_timer_start (loop, &t1);
    ev_timer_init (&stop, stop_cb, 0.6, 0.);
    ev_timer_start (loop, &stop);
  } else if (!strcmp (mode, "fast")) {
    static ev_io io;
    fast_limit = argc > 2 ? strtoul (argv[2], 0, 10) : 10000;
    if (pipe (pipe_fds))
      return 2;
    ev_timer_init (&t1, fast_timer_cb, 0., 1e-5);
    ev_timer_start (loop, &t1);
    ev_io_init (&io, fast_io_cb, pipe_fds[0], EV_READ);
    ev_io_start (loop, &io);
  } else if (!strcmp (mode, "fork")) {
    pid_t pid = fork ();
    if (pid < 0)
      return 2;
    if (!pid) {
      /* the child's slow callback, 0.1 s after the fork, is its own to report */
      ev_loop_fork (loop);
      ev_timer_init (&t1, slow_cb, 0.1, 0.);
      ev_timer_start (loop, &t1);
      ev_timer_init (&stop, stop_cb, 0.6, 0.);
      ev_timer_start (loop, &stop);
      ev_run (loop, 0);
      exit (0);
    }
    int status;
    if (waitpid (pid, &status, 0) != pid)
      return 2;
    printf ("child exited %d\n", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    return 0;
  } else if (!strcmp (mode, "stream-idle")) {
    static ev_ng_stream stream;
    static int sv[2];
    if (socketpair (AF_UNIX, SOCK_STREAM, 0, sv))
      return 2;
    ev_ng_stream_init (&stream, idle_stream_cb, sv[0], EV_READ);
    ev_ng_stream_start (loop, &stream);
    printf ("backend %u\n", ev_backend (loop));
    ev_timer_init (&t1, quick_cb, 0.01, 0.);
    ev_timer_start (loop, &t1);
    ev_timer_init (&stop, stop_cb, 1.2, 0.);
    ev_timer_start (loop, &stop);
  } else if (!strcmp (mode, "wait")) {
    ev_timer_init (&t1, stop_cb, argc > 2 ? atof (argv[2]) : 1., 0.);
    ev_timer_start (loop, &t1);
    printf ("waiting %d\n", (int)getpid ());
    fflush (stdout);
  } else {
    fprintf (stderr, "slow_program: unknown mode %s\n", mode);
    return 2;
  }
  double start = now ();
  ev_run (loop, 0);
  printf ("done in %.3f s, %lu fast callbacks\n", now () - start, fast_calls);
  if (locked_syslog)
    print_log ();
  if (locked_loader) {
    pthread_mutex_lock (&holder_ready_lock);
    released = 1;
    pthread_cond_signal (&loader_release);
    pthread_mutex_unlock (&holder_ready_lock);
    pthread_join (holder, 0);
  }
  printf ("pid %d\n", (int)getpid ());
  return 0;
}
