// SPDX-License-Identifier: BSD-2-Clause
// ev++.h watchers and their callback flavours: method (watcher &, int), method without
// arguments, plain function, functor object (operator ()); start with arguments, the
// setters that restart an active watcher, is_active/is_pending, feed_event, the data
// pointer the callback setters store, and the destructor stopping an active watcher.
#include "scenario.h"
#include <ev++.h>

struct handler
{
  int ticks = 0;

  void on_io (ev::io &w, int revents)
  {
    char c;
    T ("method io revents=0x%x read=%d", revents, (int)read (w.fd, &c, 1));
    w.stop ();
  }

  void on_timer ()
  {
    T ("no-argument method timer, ticks %d", ++ticks);
  }

  void operator() (ev::idle &w, int revents)
  {
    T ("functor idle revents=0x%x data is the object %d", revents, B (w.data == this));
    w.stop ();
  }
};

static void
on_check (ev::check &w, int revents)
{
  T ("function check revents=0x%x data=%s", revents, (const char *)w.data);
  w.stop ();
}

static void
scenario (void)
{
  ev::dynamic_loop loop (sc_backend);
  handler h;
  int p[2];

  SC_REQUIRE (loop.backend () == sc_backend);
  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "x", 1) == 1);

  ev::io io (loop);
  io.set<handler, &handler::on_io> (&h);
  io.start (p[0], ev::READ);

  ev::timer t (loop);
  t.set<handler, &handler::on_timer> (&h);
  t.start (0.2, 0.); /* well after the idle watcher has run, even on a loaded machine */

  ev::idle idle (loop);
  idle.set (&h);
  idle.start ();

  ev::check ck (loop);
  ck.set<on_check> ((void *)"user data");
  ck.start ();

  T ("active io %d timer %d idle %d check %d", io.is_active (), t.is_active (), idle.is_active (),
     ck.is_active ());
  loop.run ();
  T ("run left: io %d timer %d idle %d check %d", io.is_active (), t.is_active (),
     idle.is_active (), ck.is_active ());

  T ("-- setters restart an active watcher");
  t.start (10., 0.);
  t.set (20., 0.);
  T ("timer active after set %d", t.is_active ());
  io.set (p[1], ev::WRITE);
  T ("io inactive stays inactive after set %d", io.is_active ());
  io.start ();
  io.set (ev::READ);
  T ("io active after set (events) %d, events 0x%x", io.is_active (), io.events & 3);
  io.stop ();
  t.stop ();

  T ("-- feed_event");
  t.feed_event (ev::TIMER);
  T ("timer pending %d", t.is_pending ());
  loop.run (ev::NOWAIT);

  T ("-- destructor stops");
  {
    ev::timer scoped (loop);
    scoped.start (10., 0.);
    T ("scoped active %d; NOWAIT with it", scoped.is_active ());
    loop.run (ev::NOWAIT);
  }
  T ("after its scope: refcount 0, so ONCE returns at once");
  loop.run (ev::ONCE);
  close (p[0]);
  close (p[1]);
}
