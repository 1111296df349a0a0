/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/badinput_cxx.cc - the badinput cases that misuse the C++ wrapper (ev++.h).
 * Built with badinput.c against libev-ng, and by badinput.sh against Debian's ev++.h and
 * libev 4.33 for the reference column. */
#include "ev++.h"
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

struct reader
{
  void on_io (ev::io &w, int revents)
  {
    (void)w;
    bad_event ("io", revents);
  }
  void on_timer (ev::timer &w, int revents)
  {
    (void)w;
    bad_event ("t", revents);
  }
  void on_sig (ev::sig &w, int revents)
  {
    (void)w;
    bad_event ("sig", revents);
  }
  void on_stat (ev::stat &w, int revents)
  {
    (void)w;
    bad_event ("stat", revents);
  }
};

reader r;

}  // namespace

/* An inactive ev::io destroyed after its ev::dynamic_loop: the destructor's stop must touch
 * nothing but the watcher. */
void
cxx_io_outlives_inactive (unsigned backend)
{
  int p[2];
  if (pipe (p))
    abort ();
  ev::io *w;
  {
    ev::dynamic_loop loop (backend | EVFLAG_NOENV);
    w = new ev::io (loop);
    w->set<reader, &reader::on_io> (&r);
    w->set (p[0], ev::READ);
    w->start ();
    loop.run (ev::NOWAIT);
    w->stop ();
  }
  delete w;
  bad_obs ("destroyed");
  close (p[0]);
  close (p[1]);
}

void
cxx_timer_set_while_active (unsigned backend)
{
  ev::dynamic_loop loop (backend | EVFLAG_NOENV);
  ev::timer t (loop);
  t.set<reader, &reader::on_timer> (&r);
  t.start (100., 0.);
  t.set (0., 0.); /* the wrapper stops and restarts an active watcher */
  loop.run (ev::NOWAIT);
  bad_obs ("active=%d", t.is_active () ? 1 : 0);
}

void
cxx_sig_bad_signum (unsigned backend)
{
  ev::dynamic_loop loop (backend | EVFLAG_NOENV);
  ev::sig s (loop);
  s.set<reader, &reader::on_sig> (&r);
  s.start (0);
  bad_obs ("started");
  s.stop ();
}

void
cxx_dynamic_loop_bad_flags (unsigned backend)
{
  (void)backend;
  try
    {
      ev::dynamic_loop loop (EVBACKEND_KQUEUE | EVFLAG_NOENV);
      bad_obs ("created");
    }
  catch (ev::bad_loop &)
    {
      bad_obs ("bad_loop");
    }
}

void
cxx_default_loop_bad_flags (unsigned backend)
{
  try
    {
      ev::default_loop loop (EVBACKEND_PORT | EVFLAG_NOENV);
      bad_obs ("created");
    }
  catch (ev::bad_loop &)
    {
      bad_obs ("bad_loop");
    }
  /* the default loop stays uncreated: another call with good flags makes it */
  ev::default_loop loop (backend | EVFLAG_NOENV);
  bad_obs ("then backend ok=%d", ev_backend (loop.raw_loop) == backend);
}

/* io::set (fd, events) on an active watcher stops, sets and restarts it: onto a bad fd. */
void
cxx_io_set_bad_fd_while_active (unsigned backend)
{
  int p[2];
  if (pipe (p))
    abort ();
  ev::dynamic_loop loop (backend | EVFLAG_NOENV);
  ev::io w (loop);
  w.set<reader, &reader::on_io> (&r);
  w.start (p[1], ev::WRITE);
  loop.run (ev::NOWAIT);
  w.set (1000, ev::READ);
  loop.run (ev::NOWAIT);
  loop.run (ev::NOWAIT);
  bad_obs ("active=%d", w.is_active () ? 1 : 0);
  w.stop ();
  close (p[0]);
  close (p[1]);
}

void
cxx_stat_set_while_active (unsigned backend)
{
  ev::dynamic_loop loop (backend | EVFLAG_NOENV);
  ev::stat s (loop);
  s.set<reader, &reader::on_stat> (&r);
  s.start ("/nonexistent-badinput-a", 0.);
  s.set ("/nonexistent-badinput-b", 0.);
  loop.run (ev::NOWAIT);
  bad_obs ("active=%d", s.is_active () ? 1 : 0);
  s.stop ();
}
