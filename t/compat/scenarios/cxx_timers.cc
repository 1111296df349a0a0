// SPDX-License-Identifier: BSD-2-Clause
// ev++.h timers and periodics: timer start (after, repeat), again, remaining, repeating
// callbacks stopping themselves; periodic set/start (at, interval), again; priorities
// through the C field; ev::TIMER/ev::PERIODIC revents.
#include "scenario.h"
#include <ev++.h>

struct counter
{
  int n = 0;

  void on_timer (ev::timer &w, int revents)
  {
    ++n;
    T ("timer #%d revents=0x%x active %d", n, revents, w.is_active ());
    if (n == 3)
      w.stop ();
  }

  void on_periodic (ev::periodic &w, int revents)
  {
    ++n;
    T ("periodic #%d revents=0x%x active %d", n, revents, w.is_active ());
    if (n == 2)
      w.stop ();
  }
};

static void
scenario (void)
{
  ev::dynamic_loop loop (sc_backend);
  counter c;
  ev::timer t (loop);
  ev::periodic p (loop);

  t.set<counter, &counter::on_timer> (&c);
  t.start (0.001, 0.001);
  loop.run ();

  T ("-- again and remaining");
  t.set (0., 5.);
  t.again ();
  T ("again started it %d, remaining in (4.9, 5] %d", t.is_active (),
     B (t.remaining () > 4.9 && t.remaining () <= 5.));
  t.stop ();
  T ("stopped: remaining in (4.9, 5] %d", B (t.remaining () > 4.9 && t.remaining () <= 5.));

  T ("-- periodic every 2 ms");
  c.n = 0;
  p.set<counter, &counter::on_periodic> (&c);
  p.start (0., 0.002);
  T ("at in the future %d", B (p.at > loop.now ()));
  loop.run ();

  T ("-- periodic absolute, in the past");
  c.n = 1;
  p.start (loop.now () - 1., 0.);
  p.again ();
  loop.run ();
  T ("periodic active %d", p.is_active ());
}
