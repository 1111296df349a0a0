/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/supervisor.c - timers, signals and child watchers together: a
 * tiny process supervisor.
 *
 *   usage: supervisor [-r RESTARTS] [-t SILENCE] [-s STATUS] [-g GRACE] [--] 'SHELL COMMAND'...
 *
 * Each argument is one whole command line (quote it): `supervisor 'ls /tmp'`
 * runs one command, `supervisor ls /tmp` two ("ls" and "/tmp").  Runs each
 * command with /bin/sh -c, prints what it writes to stdout
 * (prefixed "[N] ") and how it ended.  A command that fails (non-zero exit,
 * or killed) is restarted after a delay that doubles each time (0.1 s,
 * 0.2 s, ...), at most RESTARTS times (default 2).  A command silent on
 * stdout for SILENCE seconds is sent SIGTERM, and SIGKILL after another
 * SILENCE seconds (default 0: no limit).  Every STATUS seconds a status
 * line is printed (default 0: never).  SIGINT or SIGTERM stops everything:
 * SIGTERM to each command, SIGKILL to what is left GRACE seconds later
 * (default 2), or at once on a second signal.
 *
 * Exit status: 0 if every command succeeded in the end, 1 if one failed for
 * good, 2 if stopped by a signal, 64 on a usage error.
 *
 * The libev watchers used, and why:
 *   ev_child   tells us when a command's process ended, and how (default loop only)
 *   ev_io      reads each command's stdout through a pipe
 *   ev_timer   one-shot: the restart delay, the grace period
 *              repeating: the status line, the silence watchdog
 *              ev_timer_again: pushes the watchdog back on every output
 *   ev_signal  SIGINT/SIGTERM as ordinary callbacks
 */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum state { RUNNING, WAITING, SUCCEEDED, FAILED };

struct command
{
  unsigned id;                /* 1, 2, ... in the order given */
  const char *line;           /* the shell command */
  enum state state;
  pid_t pid;                  /* while RUNNING; also its process group id */
  unsigned restarts;          /* done so far */
  unsigned strikes;           /* silence timeouts since the last output */

  ev_child exited;            /* the process ended */
  ev_io output;               /* its stdout (a pipe) is readable */
  ev_timer silence;           /* watchdog: fires after SILENCE seconds without output */
  ev_timer restart;           /* one-shot: time to run it again */

  char partial[512];          /* the current, incomplete output line */
  size_t partial_len;
};

/* the options */
static unsigned max_restarts = 2;
static double silence_limit, status_every, grace = 2.;

static struct command *commands;
static unsigned ncommands;
static bool stopping;          /* a signal asked us to stop */

static ev_signal on_sigint, on_sigterm;
static ev_timer status_timer;  /* repeating: the status line */
static ev_timer grace_timer;   /* one-shot: SIGKILL what ignored our SIGTERM */

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("supervisor: ", stdout);
  vprintf (fmt, ap);
  putchar ('\n');
  va_end (ap);
}

/* ---- output of the commands ------------------------------------------------ */

static void
forward_line (struct command *c)
{
  printf ("[%u] %.*s\n", c->id, (int) c->partial_len, c->partial);
  c->partial_len = 0;
}

static void
output_close (struct ev_loop *loop, struct command *c)
{
  if (!ev_is_active (&c->output))
    return;
  if (c->partial_len)
    forward_line (c);          /* a last line without a newline */
  ev_io_stop (loop, &c->output);
  close (c->output.fd);
}

/* Reads once from the command's pipe and forwards complete lines.  Returns
 * false when there is nothing more to read for now (EAGAIN) or ever (EOF). */
static bool
output_read (struct ev_loop *loop, struct command *c)
{
  char buf[4096];
  ssize_t n = read (c->output.fd, buf, sizeof buf);
  if (n < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return false;
      n = 0;                   /* a read error ends the output like EOF */
    }
  if (n == 0)
    {
      output_close (loop, c);  /* every writer has closed the pipe */
      return false;
    }

  for (ssize_t i = 0; i < n; i++)
    {
      if (buf[i] == '\n')
        forward_line (c);
      else
        {
          c->partial[c->partial_len++] = buf[i];
          if (c->partial_len == sizeof c->partial)
            forward_line (c);   /* an overlong line is forwarded in pieces */
        }
    }

  if (c->state == RUNNING && silence_limit > 0)
    {
      /* The command spoke: push the watchdog back by the full SILENCE.
       * ev_timer_again restarts a repeating timer from now, cheaply; this is
       * ev(3)'s recommended way to implement inactivity timeouts, instead of
       * stopping and starting the timer on every read. */
      ev_timer_again (loop, &c->silence);
      c->strikes = 0;
    }
  return true;
}

static void
on_output (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  output_read (loop, w->data);
}

/* ---- starting and ending commands ----------------------------------------- */

static void finish_if_done (struct ev_loop *loop);

static void
spawn (struct ev_loop *loop, struct command *c)
{
  /* A grandchild may still hold the previous run's pipe open: let it go. */
  output_close (loop, c);

  int fds[2];
  if (pipe (fds) < 0)
    {
      say ("[%u] cannot start: pipe: %s", c->id, strerror (errno));
      c->state = FAILED;
      return;
    }
  /* the read end is ours alone: close-on-exec keeps it out of this and
   * every later command (the write end is closed here right after fork) */
  fcntl (fds[0], F_SETFD, FD_CLOEXEC);

  pid_t pid = fork ();
  if (pid < 0)
    {
      say ("[%u] cannot start: fork: %s", c->id, strerror (errno));
      close (fds[0]);
      close (fds[1]);
      c->state = FAILED;
      return;
    }

  if (pid == 0)
    {
      /* The child: only plain system calls until exec; the loop belongs to
       * the parent, so no libev call here (that would need ev_loop_fork). */

      /* Its own process group, so that one kill(-pid) reaches the shell and
       * everything the shell started (a "sleep" would survive otherwise). */
      setpgid (0, 0);
      /* ev(3) (ev_signal, "inheritance over fork/execve"): the signal mask
       * is unspecified once signal watchers ran, and exec keeps the mask, so
       * reset it or the command may start with signals blocked. */
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);

      dup2 (fds[1], STDOUT_FILENO);
      if (fds[1] != STDOUT_FILENO)
        close (fds[1]);
      execl ("/bin/sh", "sh", "-c", c->line, (char *) NULL);
      _exit (127);
    }

  /* Also in the parent: whichever of the two runs first, the group exists
   * before we may signal it. */
  setpgid (pid, pid);
  close (fds[1]);
  fcntl (fds[0], F_SETFL, fcntl (fds[0], F_GETFL) | O_NONBLOCK);

  c->pid = pid;
  c->state = RUNNING;
  c->strikes = 0;
  say ("[%u] started (pid %ld)", c->id, (long) pid);

  ev_io_set (&c->output, fds[0], EV_READ);
  ev_io_start (loop, &c->output);

  /* Starting the child watcher after fork() is fine even if the child has
   * already exited: libev reaps children inside ev_run, which we are not
   * in between fork() and here (ev(3), ev_child). */
  ev_child_set (&c->exited, pid, 0);
  ev_child_start (loop, &c->exited);

  if (silence_limit > 0)
    ev_timer_again (loop, &c->silence);   /* repeat == SILENCE: starts it */
}

static void
on_child_exit (struct ev_loop *loop, ev_child *w, int revents)
{
  struct command *c = w->data;
  int status = w->rstatus;    /* as from waitpid() */
  (void) revents;

  /* A watcher for one pid stays active after that process ended; stop it. */
  ev_child_stop (loop, w);
  ev_timer_stop (loop, &c->silence);

  /* The pipe and SIGCHLD become ready independently, even in the same
   * iteration: forward what the command wrote before it ended first, so the
   * report comes after its output. */
  while (ev_is_active (&c->output) && output_read (loop, c))
    ;

  if (WIFEXITED (status))
    say ("[%u] exited with status %d", c->id, WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    say ("[%u] killed by signal %d", c->id, WTERMSIG (status));
  c->pid = 0;

  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    c->state = SUCCEEDED;
  else if (stopping)
    c->state = FAILED;         /* we killed it: no restart */
  else if (c->restarts < max_restarts)
    {
      c->restarts++;
      /* back off: 0.1 s, 0.2 s, 0.4 s ... (at most 5 s), so a command that
       * crashes at once does not make us burn the CPU restarting it */
      double delay = 0.1;
      for (unsigned i = 1; i < c->restarts; i++)
        delay = delay < 2.5 ? delay * 2. : 5.;
      say ("[%u] restarting in %g s (restart %u of %u)", c->id, delay, c->restarts, max_restarts);
      /* ev_timer_set is allowed: a one-shot timer is inactive once it fired */
      ev_timer_set (&c->restart, delay, 0.);
      ev_timer_start (loop, &c->restart);
      c->state = WAITING;
    }
  else
    {
      say ("[%u] failed, giving up after %u restarts", c->id, c->restarts);
      c->state = FAILED;
    }

  finish_if_done (loop);
}

static void
on_restart (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) revents;
  spawn (loop, w->data);
  finish_if_done (loop);       /* in case it could not be started */
}

/* Repeating, every SILENCE seconds while the command is quiet. */
static void
on_silence (struct ev_loop *loop, ev_timer *w, int revents)
{
  struct command *c = w->data;
  (void) revents;

  if (++c->strikes == 1)
    {
      say ("[%u] silent for %g s, stopping it", c->id, silence_limit);
      kill (-c->pid, SIGTERM);
    }
  else
    {
      say ("[%u] still running, killing it", c->id);
      kill (-c->pid, SIGKILL);
      ev_timer_stop (loop, w);  /* nothing left to escalate to */
    }
}

/* ---- the whole supervisor -------------------------------------------------- */

static unsigned
count (enum state s)
{
  unsigned n = 0;
  for (unsigned i = 0; i < ncommands; i++)
    n += commands[i].state == s;
  return n;
}

static void
on_status (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) loop;
  (void) w;
  (void) revents;
  say ("status: %u running, %u waiting to restart, %u done",
       count (RUNNING), count (WAITING), count (SUCCEEDED) + count (FAILED));
}

static void
kill_remaining (struct ev_loop *loop)
{
  ev_timer_stop (loop, &grace_timer);
  for (unsigned i = 0; i < ncommands; i++)
    if (commands[i].state == RUNNING)
      kill (-commands[i].pid, SIGKILL);
}

static void
on_grace_over (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  say ("grace period over, killing %u remaining", count (RUNNING));
  kill_remaining (loop);
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;

  if (stopping)
    {
      say ("caught signal %d again, killing %u remaining", w->signum, count (RUNNING));
      kill_remaining (loop);
      return;
    }

  stopping = true;
  say ("caught signal %d, stopping %u commands", w->signum, count (RUNNING));
  for (unsigned i = 0; i < ncommands; i++)
    {
      struct command *c = &commands[i];
      if (c->state == WAITING)
        {
          ev_timer_stop (loop, &c->restart);   /* cancel the pending restart */
          c->state = FAILED;
        }
      else if (c->state == RUNNING)
        kill (-c->pid, SIGTERM);
    }
  /* Their ev_child watchers will report them; the grace timer catches those
   * that ignore SIGTERM. */
  if (count (RUNNING))
    ev_timer_start (loop, &grace_timer);
  finish_if_done (loop);
}

/* Once no command runs or waits, stop every watcher: ev_run() then returns. */
static void
finish_if_done (struct ev_loop *loop)
{
  if (count (RUNNING) || count (WAITING))
    return;
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
  ev_timer_stop (loop, &status_timer);
  ev_timer_stop (loop, &grace_timer);
  for (unsigned i = 0; i < ncommands; i++)
    output_close (loop, &commands[i]);   /* pipes a grandchild kept open */
}

static int
parse_seconds (const char *arg, double *out)
{
  char *end;
  double v = strtod (arg, &end);
  if (end == arg || *end || !(v >= 0. && v <= 86400.))
    return -1;
  *out = v;
  return 0;
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-r RESTARTS] [-t SILENCE] [-s STATUS] [-g GRACE] [--] 'SHELL COMMAND'...\n"
           "  each argument is one command line, run with /bin/sh -c (quote it)\n"
           "  -r RESTARTS  restarts of a failing command, doubling the delay from 0.1 s (default 2)\n"
           "  -t SILENCE   SIGTERM a command silent on stdout for SILENCE s, SIGKILL after as long again\n"
           "  -s STATUS    a status line every STATUS s\n"
           "  -g GRACE     on SIGINT/SIGTERM, SIGKILL what is left after GRACE s (default 2)\n",
           argv0);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "r:t:s:g:")) != -1)
    {
      char *end;
      switch (opt)
        {
        case 'r':
          max_restarts = (unsigned) strtoul (optarg, &end, 10);
          if (end == optarg || *end || optarg[0] == '-' || max_restarts > 100)
            return usage (argv[0]);
          break;
        case 't':
          if (parse_seconds (optarg, &silence_limit) < 0)
            return usage (argv[0]);
          break;
        case 's':
          if (parse_seconds (optarg, &status_every) < 0)
            return usage (argv[0]);
          break;
        case 'g':
          if (parse_seconds (optarg, &grace) < 0)
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  if (optind == argc)
    return usage (argv[0]);

  /* Line-buffered even into a pipe or file: whoever reads our output sees
   * each line as it happens, and nothing is left in the buffer at fork(). */
  setvbuf (stdout, NULL, _IOLBF, 0);

  /* Child watchers only work in the default loop: it is the one that
   * handles SIGCHLD (ev(3), ev_child). */
  struct ev_loop *loop = EV_DEFAULT;

  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  /* after = repeat = STATUS: first line after STATUS seconds, then every STATUS */
  ev_timer_init (&status_timer, on_status, status_every, status_every);
  if (status_every > 0)
    ev_timer_start (loop, &status_timer);
  ev_timer_init (&grace_timer, on_grace_over, grace, 0.);   /* one-shot, started on a signal */

  ncommands = (unsigned) (argc - optind);
  commands = calloc (ncommands, sizeof *commands);
  if (!commands)
    {
      perror ("supervisor");
      return 1;
    }
  for (unsigned i = 0; i < ncommands; i++)
    {
      struct command *c = &commands[i];
      c->id = i + 1;
      c->line = argv[optind + (int) i];
      /* init once; spawn() only changes what each watcher waits for */
      ev_io_init (&c->output, on_output, -1, EV_READ);
      ev_child_init (&c->exited, on_child_exit, 0, 0);
      ev_timer_init (&c->restart, on_restart, 0., 0.);
      /* after = 0, repeat = SILENCE: ev_timer_again uses the repeat value */
      ev_timer_init (&c->silence, on_silence, 0., silence_limit);
      c->exited.data = c->restart.data = c->silence.data = c->output.data = c;
      spawn (loop, c);
    }
  finish_if_done (loop);       /* nothing to wait for if no command could start */

  ev_run (loop, 0);            /* until finish_if_done stopped the last watcher */

  unsigned failed = count (FAILED);
  say ("done: %u succeeded, %u failed", count (SUCCEEDED), failed);
  ev_loop_destroy (loop);
  free (commands);
  return stopping ? 2 : failed ? 1 : 0;
}
