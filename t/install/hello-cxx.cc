// SPDX-License-Identifier: BSD-2-Clause
// t/install/hello-cxx.cc - the installed ev++.h: a timer whose callback is a
// method, on the default loop.
#include <ev++.h>

#include "where.h"

#include <cstdio>

namespace {

struct ticker
{
  int ticks = 0;
  ev::timer timer;

  ticker ()
  {
    timer.set<ticker, &ticker::on_timer> (this);
    timer.start (0.005, 0.005);
  }

  void on_timer (ev::timer &w, int)
  {
    if (++ticks == 3)
      w.stop ();                // the last watcher: run () returns
  }
};

} // namespace

int
main ()
{
  ev::default_loop loop;
  ticker t;
  loop.run ();
  if (t.ticks != 3)
    return 1;
  std::printf ("hello-cxx: ev++.h ok\n");
  print_where ();
  return 0;
}
