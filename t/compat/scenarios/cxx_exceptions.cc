// SPDX-License-Identifier: BSD-2-Clause
// C++ exceptions thrown by callbacks propagate out of ev_run; the thrower is no longer
// pending, the rest of the pass stays queued and runs at the start of the next ev_run;
// ev_depth is not decremented by the exception (libev quirk); the loop stays usable.
#include "scenario.h"
#include <ev++.h>
#include <stdexcept>

struct thrower
{
  void cb (ev::idle &w, int revents)
  {
    T ("%s revents=0x%x depth %d", (const char *)name, revents, ev_depth (w.loop));
    if (name[0] == 'B')
      throw std::runtime_error ("from B");
  }
  const char *name;
};

static void
scenario (void)
{
  ev::dynamic_loop loop (sc_backend);
  thrower a{ "A" }, b{ "B" }, c{ "C" };
  ev::idle wa (loop), wb (loop), wc (loop);

  wa.set<thrower, &thrower::cb> (&a);
  wb.set<thrower, &thrower::cb> (&b);
  wc.set<thrower, &thrower::cb> (&c);
  wa.feed_event (EV_CUSTOM);
  wb.feed_event (EV_CUSTOM);
  wc.feed_event (EV_CUSTOM);
  try
    {
      loop.run (ev::NOWAIT);
      T ("no exception?");
    }
  catch (std::runtime_error &e)
    {
      T ("caught %s; depth %u; pending A %d B %d C %d count %u", e.what (), loop.depth (),
         wa.is_pending (), wb.is_pending (), wc.is_pending (), ev_pending_count (loop));
    }
  loop.run (ev::NOWAIT);
  T ("after the next run: depth %u, pending count %u", loop.depth (), ev_pending_count (loop));
}
