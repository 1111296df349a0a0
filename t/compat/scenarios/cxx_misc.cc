// SPDX-License-Identifier: BSD-2-Clause
// ev++.h for the other watcher kinds: sig, child (default loop), async (send,
// async_pending), stat (update), fork (post_fork in a child), embed (set_embed, sweep),
// prepare; the default loop through ev::default_loop and get_default_loop.
#include "scenario.h"
#include <ev++.h>
#include <sys/stat.h>

struct h
{
  void on_sig (ev::sig &w, int revents) { T ("sig revents=0x%x signum USR1 %d", revents, B (w.signum == SIGUSR1)); w.stop (); }
  void on_child (ev::child &w, int revents)
  {
    T ("child revents=0x%x exit code %d", revents, WEXITSTATUS (w.rstatus));
    w.stop ();
  }
  void on_async (ev::async &w, int revents) { T ("async revents=0x%x pending %d", revents, w.async_pending ()); w.stop (); }
  void on_prepare (ev::prepare &, int revents) { T ("inner prepare revents=0x%x", revents); }
  void on_fork (ev::fork &, int revents) { T ("fork revents=0x%x", revents); }
  void on_stat (ev::stat &w, int revents)
  {
    T ("stat revents=0x%x nlink %d->%d", revents, (int)w.prev.st_nlink, (int)w.attr.st_nlink);
    w.stop ();
  }
};

static void
scenario (void)
{
  sc_backend_env (); // the default loop below is created with flags 0
  ev::default_loop loop;
  h o;

  T ("default loop: backend ok %d is_default %d get_default_loop is it %d",
     B (loop.backend () == sc_backend), B (loop.is_default ()),
     B ((struct ev_loop *)ev::get_default_loop () == loop.raw_loop));

  ev::sig s; // default loop
  s.set<h, &h::on_sig> (&o);
  s.start (SIGUSR1);
  raise (SIGUSR1);
  loop.run ();

  pid_t pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    _exit (7);
  ev::child c;
  c.set<h, &h::on_child> (&o);
  c.start (pid, 0);
  loop.run ();

  ev::async a;
  a.set<h, &h::on_async> (&o);
  a.start ();
  a.send ();
  T ("async pending after send %d", a.async_pending ());
  loop.run ();

  char dir[] = "/tmp/ev-compat-cxx-XXXXXX";
  SC_REQUIRE (mkdtemp (dir));
  char path[64];
  snprintf (path, sizeof path, "%s/f", dir);
  ev::stat st;
  st.set<h, &h::on_stat> (&o);
  st.start (path, 0.);
  st.update ();
  T ("stat update on a missing path: nlink %d", (int)st.attr.st_nlink);
  FILE *f = fopen (path, "w");
  SC_REQUIRE (f);
  fclose (f);
  loop.run ();
  unlink (path);
  rmdir (dir);

  ev::fork fk;
  fk.set<h, &h::on_fork> (&o);
  fk.start ();
  pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    {
      loop.post_fork ();
      loop.run (ev::NOWAIT);
      _exit (0);
    }
  sc_print_status ("forked child", sc_wait_status (pid));
  loop.run (ev::NOWAIT);
  fk.stop ();

  // NOENV: LIBEV_FLAGS would replace the epoll flag, and only epoll is embeddable
  ev::dynamic_loop inner (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev::embed e;
  e.set_embed (inner);
  e.start ();
  ev::prepare pr (inner);
  pr.set<h, &h::on_prepare> (&o);
  pr.start ();
  T ("embed active %d; sweep", e.is_active ());
  e.sweep ();
  e.stop ();
  pr.stop ();
}
