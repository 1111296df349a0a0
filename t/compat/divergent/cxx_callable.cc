// SPDX-License-Identifier: BSD-2-Clause
// ev++.h: the documented API that does not compile against libev 4.33.
// libev-ng: calling a watcher object (w (), w (revents)) invokes its callback;
//   w.set (&object) accepts any callable class object: lambdas, const call operators.
// libev 4.33: the call operator is declared but its definition does not compile, and
//   set (&lambda) does not compile either: this program cannot be built against it.
#include "../scenarios/scenario.h"
#include <ev++.h>

struct const_functor
{
  void operator() (ev::idle &w, int revents) const
  {
    T ("const functor revents=0x%x", revents);
    w.stop ();
  }
};

static void
scenario (void)
{
  ev::dynamic_loop loop (sc_backend);
  int calls = 0;
  auto lambda = [&calls] (ev::timer &w, int revents) {
    ++calls;
    T ("lambda revents=0x%x active %d", revents, w.is_active ());
  };
  ev::timer t (loop);
  t.set (&lambda);
  t ();
  t (EV_TIMER);
  t.start (0., 0.);
  loop.run ();
  const_functor cf;
  ev::idle i (loop);
  i.set (&cf);
  i.start ();
  loop.run ();
  T ("lambda calls %d", calls);
}
