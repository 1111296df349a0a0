/* SPDX-License-Identifier: BSD-2-Clause */
/* scenario.h - the shared frame of every differential scenario (t/compat/run).
 *
 * A scenario is one small program that drives libev through some situation and prints a
 * deterministic trace of everything a program could observe.  The same source is built
 * against Debian's libev 4.33 and against libev-ng; the traces must be identical.  So a
 * trace line never contains a time, a pointer, a pid or an fd number: only orders, counts,
 * revents, booleans and the raw field values libev defines (heap indices, pending slots).
 *
 * Usage: prog select|poll|epoll.  The file defines `static void scenario (void)`; main()
 * below prints which library is mapped ("library: PATH", filtered out of the diff by the
 * runner, which checks it separately), the backend, runs the scenario and prints "end".
 *
 * Output goes through write(2) one whole line at a time (no stdio buffer), so lines written
 * by forked children appear exactly where they happen and are never duplicated by a buffer
 * inherited across fork().  The header is plain C that also compiles as C++ (for the ev++.h
 * scenarios).
 */
#ifndef COMPAT_SCENARIO_H
#define COMPAT_SCENARIO_H

#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* dladdr, realpath */
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef _WIN32
/* (Windows, t/win32/compat/scenarios.sh: no fork, no dladdr; a pipe of loopback sockets) */
# include "../../win32/compat/scenario_win32.h"
#else
# include <dlfcn.h>
# include <sys/prctl.h>
# include <sys/wait.h>
#endif

#include <ev.h> /* which ev.h is decided by the include path: Debian's or ours */

#define SC_UNUSED __attribute__ ((unused))

/* the backend under test, from argv[1] */
static unsigned int sc_backend SC_UNUSED;
static const char *sc_backend_name SC_UNUSED;

static void scenario (void);

/* one trace line */
static SC_UNUSED __attribute__ ((format (printf, 1, 2))) void
T (const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    n = 0;
  if (n > (int)sizeof buf - 2)
    n = (int)sizeof buf - 2;
  buf[n++] = '\n';

  {
    const char *p = buf;
    while (n > 0)
      {
        ssize_t w = write (1, p, (size_t)n);
        if (w < 0 && errno == EINTR)
          continue;
        if (w <= 0)
          _exit (111);
        p += w;
        n -= (int)w;
      }
  }
}

/* a scenario precondition that is not part of what is compared: failing it is a broken
 * test environment, reported on stderr and with a distinctive exit status */
#define SC_REQUIRE(cond)                                                              \
  do                                                                                  \
    if (!(cond))                                                                      \
      {                                                                               \
        fprintf (stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
        _exit (99);                                                                   \
      }                                                                               \
  while (0)

/* booleans for the state macros, which return raw fields */
#define B(x) ((x) ? 1 : 0)

/* "name active=B pending=B" of any watcher */
#define STATE(name, w) T ("%s active=%d pending=%d", (name), B (ev_is_active (w)), B (ev_is_pending (w)))

/* a loop on the backend under test, plus extra flags; checks the backend really is that one */
static SC_UNUSED struct ev_loop *
sc_loop_new (unsigned int flags)
{
  struct ev_loop *loop = ev_loop_new (sc_backend | flags);

  SC_REQUIRE (loop);
  SC_REQUIRE (ev_backend (loop) == sc_backend);
  return loop;
}

static SC_UNUSED struct ev_loop *
sc_default_loop (unsigned int flags)
{
  struct ev_loop *loop = ev_default_loop (sc_backend | flags);

  SC_REQUIRE (loop);
  SC_REQUIRE (ev_backend (loop) == sc_backend);
  return loop;
}

/* Interfaces that have no flags argument (event_init, ev++'s default constructors)
 * pick the backend from LIBEV_FLAGS, which replaces the flags of every loop creation
 * that does not pass EVFLAG_NOENV. */
static SC_UNUSED void
sc_backend_env (void)
{
  char v[16];

  snprintf (v, sizeof v, "%u", sc_backend);
#ifdef _WIN32
  SC_REQUIRE (_putenv_s ("LIBEV_FLAGS", v) == 0);
#else
  SC_REQUIRE (setenv ("LIBEV_FLAGS", v, 1) == 0);
#endif
}

#ifndef _WIN32

/* fork() for scenario children: a child dies with its parent, so that a scenario killed
 * by the runner's timeout leaves no process behind */
static SC_UNUSED pid_t
sc_fork (void)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();

  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent) /* the parent died before prctl */
        _exit (98);
    }
  return pid;
}

/* waits for a child and returns its wait status */
static SC_UNUSED int
sc_wait_status (pid_t pid)
{
  int st;

  while (waitpid (pid, &st, 0) < 0)
    SC_REQUIRE (errno == EINTR);
  return st;
}

/* how a child ended, as a trace line */
static SC_UNUSED void
sc_print_status (const char *what, int st)
{
  if (WIFEXITED (st))
    T ("%s: exit %d", what, WEXITSTATUS (st));
  else if (WIFSIGNALED (st))
    T ("%s: killed by signal %d", what, WTERMSIG (st));
  else
    T ("%s: status 0x%x", what, st);
}

#endif

/* Prints the file of the object that defines ev_run, as the dynamic linker resolved it
 * for this process: the proof of which libev is running. */
#ifdef _WIN32
static void
sc_print_library (void)
{
  T ("library: (Windows)");
}
#else
static void
sc_print_library (void)
{
  union { int (*fn) (struct ev_loop *, int); void *p; } sym;
  Dl_info info;
  char path[PATH_MAX];
  const char *name = "unknown";

  sym.fn = ev_run;
  if (dladdr (sym.p, &info) && info.dli_fname && *info.dli_fname)
    name = info.dli_fname;
  /* glibc names the main program by argv[0], which is how a static link shows up;
   * /proc/self/exe gives it in canonical form */
  if (realpath (name, path))
    name = path;
  T ("library: %s", name);
}
#endif

int
main (int argc, char **argv)
{
  static const struct { const char *name; unsigned int flag; } backends[] = {
    { "select", EVBACKEND_SELECT }, { "poll", EVBACKEND_POLL }, { "epoll", EVBACKEND_EPOLL },
  };
  unsigned int i;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s select|poll|epoll\n", argv[0]);
      return 2;
    }
  for (i = 0; i < sizeof backends / sizeof backends[0]; ++i)
    if (!strcmp (argv[1], backends[i].name))
      {
        sc_backend = backends[i].flag;
        sc_backend_name = backends[i].name;
      }
  if (!sc_backend)
    {
      fprintf (stderr, "%s: unknown backend %s\n", argv[0], argv[1]);
      return 2;
    }

#ifdef _WIN32
  sc_start_winsock ();
#else
  /* a broken pipe must be a trace line, not a silent death */
  signal (SIGPIPE, SIG_IGN);
#endif

  sc_print_library ();
  T ("backend %s", sc_backend_name);
  scenario ();
  T ("end");
  return 0;
}

#endif
