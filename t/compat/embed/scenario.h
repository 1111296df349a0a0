/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/scenario.h - the harness of the embedded differential run: a trace on
 * stdout (T), the program's watchers by name (sc_watch: the invocation hook reports only
 * those), and main, which makes the loop on the backend named by argv[1] and runs the
 * scenario.  The same source is compiled against libev 4.33 embedded and libev-ng embedded,
 * with one configuration of configs/ (the compiler's -include), which says how the scenarios
 * reach the loop: EV_A, the global `loop` below with EV_MULTIPLICITY (the default loop, or
 * one from ev_loop_new with SC_LOOP_NEW), nothing without. */
#ifndef EMBED_SCENARIO_H
#define EMBED_SCENARIO_H

#include <ev.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef _WIN32
#include "../../win32/compat/scenario_win32.h"
#else
#include <sys/wait.h>
#endif

#define SC_UNUSED __attribute__ ((unused))
#define B(x) ((x) ? 1 : 0)
#define SC_REQUIRE(cond)                                                               \
  do                                                                                   \
    if (!(cond))                                                                       \
      {                                                                                \
        fprintf (stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
        _exit (99);                                                                    \
      }                                                                                \
  while (0)

#ifndef SC_LOOP_NEW
#define SC_LOOP_NEW 0
#endif

static void scenario (void);

#if EV_MULTIPLICITY
static struct ev_loop *loop;
#endif

static SC_UNUSED __attribute__ ((format (printf, 1, 2))) void
T (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

/* the program's watchers: the hook reports their invocations, not the loop's own */
static void *sc_watchers[64];
static int sc_nwatchers;

#define sc_watch(w, nm) \
  ((w)->tag = 0x5c, (w)->data = (void *)(w), (w)->name = (nm), sc_watchers[sc_nwatchers++] = (void *)(w))

/* the full API's counters (EV_FEATURES bit 8), -1 in a configuration without them */
#if EV_FEATURE_API
#define SC_ITERATION() ((int)ev_iteration (EV_A))
#define SC_DEPTH() ((int)ev_depth (EV_A))
#define SC_PENDING() ((int)ev_pending_count (EV_A))
#else
#define SC_ITERATION() (-1)
#define SC_DEPTH() (-1)
#define SC_PENDING() (-1)
#endif

/* EV_COMMON untouched by the loop */
#define SC_COMMON(w) T ("%s common %s", (w)->name, (w)->tag == 0x5c && (w)->data == (void *)(w) ? "kept" : "CHANGED")

void
sc_invoked (void *w, int revents, int calls)
{
  int i;

  for (i = 0; i < sc_nwatchers; ++i)
    if (sc_watchers[i] == w)
      T ("  invoke %s revents=0x%x call %d", ((ev_watcher *)w)->name, (unsigned)revents, calls);
}

int
main (int argc, char **argv)
{
  static const struct { const char *name; unsigned int flag; } backends[] = {
    { "select", EVBACKEND_SELECT }, { "poll", EVBACKEND_POLL }, { "epoll", EVBACKEND_EPOLL },
    { "io_uring", EVBACKEND_IOURING },
  };
  unsigned int i, flag = 0;

  for (i = 0; argc == 2 && i < sizeof backends / sizeof backends[0]; ++i)
    if (!strcmp (argv[1], backends[i].name))
      flag = backends[i].flag;
  if (!flag)
    {
      fprintf (stderr, "usage: %s select|poll|epoll\n", argv[0]);
      return 2;
    }
#ifdef _WIN32
  sc_start_winsock ();
#else
  signal (SIGPIPE, SIG_IGN);
#endif
#if SC_LOOP_NEW
  loop = ev_loop_new (flag | EVFLAG_NOENV);
  if (!loop)
#elif EV_MULTIPLICITY
  loop = ev_default_loop (flag | EVFLAG_NOENV);
  if (!loop)
#else
  if (!ev_default_loop (flag | EVFLAG_NOENV))
#endif
    {
      /* a backend this configuration left out; without multiplicity the one loop stays
       * usable: it has no backend yet, and a later call may make it with another */
      T ("backend %s: no loop", argv[1]);
#if !EV_MULTIPLICITY
      T ("ev_backend () %u", ev_backend ());
      T ("select: %d", ev_default_loop (EVBACKEND_SELECT | EVFLAG_NOENV));
      T ("ev_backend () %u", ev_backend ());
      ev_loop_destroy ();
#endif
      T ("end");
      return 0;
    }
  SC_REQUIRE (ev_backend (EV_A) == flag);
  T ("backend %s, priorities %d .. %d", argv[1], EV_MINPRI, EV_MAXPRI);
  scenario ();
  ev_loop_destroy (EV_A);
  T ("end");
  return 0;
}

#endif
