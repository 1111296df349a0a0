// SPDX-License-Identifier: BSD-2-Clause
// ev++.h loops: dynamic_loop, loop_ref (copies, comparison, conversion to the C type),
// run/break_loop/depth/iteration/ref/unref/now/backend, the five once() flavours,
// feed_fd_event, the global functions, bad_loop for a backend that does not exist.
#include "scenario.h"
#include <ev++.h>

static void plain_once (int revents) { T ("once function(int) revents=0x%x", revents); }
static void noarg_once () { T ("once function()"); }
static void c_once (int revents, void *arg) { T ("once C callback revents=0x%x arg=%s", revents, (const char *)arg); }

struct obj
{
  ev::loop_ref loop;
  explicit obj (ev::loop_ref l) : loop (l) {}
  void m (int revents) { T ("once method(int) revents=0x%x", revents); }
  void m0 () { T ("once method()"); }
  void operator() (int revents) { T ("once functor revents=0x%x", revents); }

  void nested (ev::idle &w, int)
  {
    T ("idle: depth %u", loop.depth ());
    w.stop ();
    loop.break_loop (ev::ALL);
  }

  void outer (ev::timer &, int)
  {
    ev::idle i (loop);
    i.set<obj, &obj::nested> (this);
    i.start ();
    T ("timer: depth %u, nested run", loop.depth ());
    loop.run ();
    T ("nested run left: depth %u", loop.depth ());
  }
};

static void
scenario (void)
{
  ev::dynamic_loop dl (sc_backend);
  ev::loop_ref ref = dl;
  struct ev_loop *raw = dl;
  obj o (dl);
  unsigned int it;

  T ("backend ok %d, ref == dl %d, raw is the same %d, is_default %d",
     B (ref.backend () == sc_backend), B (ref == dl), B (raw == dl.raw_loop), B (dl.is_default ()));
  T ("version %d.%d supported&7 0x%x", ev::version_major (), ev::version_minor (),
     ev::supported_backends () & 7);
  T ("now matches ev_now %d", B (ref.now () == ev_now (raw) && ev::now (raw) == ev_now (raw)));

  it = ref.iteration ();
  ref.run (ev::NOWAIT);
  ref.run (ev::NOWAIT);
  T ("two NOWAIT runs: iterations %u depth %u", ref.iteration () - it, ref.depth ());

  T ("-- nested run, break_loop (ALL)");
  {
    ev::timer t (dl);
    ev::timer guard (dl);
    t.set<obj, &obj::outer> (&o);
    t.start (0., 0.);
    guard.start (10., 0.);
    ref.run ();
    T ("outer run left, guard still active %d", guard.is_active ());
  }

  T ("-- once");
  int p[2];
  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);
  ref.once (-1, 0, 0., c_once, (void *)"arg");
  ref.run ();
  ref.once<obj, &obj::m> (p[0], ev::READ, -1., &o);
  ref.run ();
  ref.once (p[1], ev::WRITE, -1., &o);
  ref.run ();
  ref.once<obj, &obj::m0> (-1, 0, 0., &o);
  ref.run ();
  ref.once<plain_once> (p[0], ev::READ, 0.);
  ref.run ();
  ref.once<noarg_once> (-1, 0, 0.);
  ref.run ();

  T ("-- ref/unref");
  {
    ev::timer t (dl);
    t.start (10., 0.);
    ref.unref ();
    ref.run ();
    T ("unreferenced timer: run left, timer active %d", t.is_active ());
    ref.ref ();
  }
  close (p[0]);
  close (p[1]);

  T ("-- bad_loop");
  try
    {
      ev::dynamic_loop bad (EVBACKEND_KQUEUE);
      T ("kqueue loop created?");
    }
  catch (ev::bad_loop &)
    {
      T ("bad_loop thrown for kqueue");
    }
}
