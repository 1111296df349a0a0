/* Starting the first ev_periodic of a loop creates the timerfd that watches for clock
 * jumps (unless EVFLAG_NOTIMERFD); libev 4.33 updates the loop time (ev_now) when it does
 * so. Later starts and NOTIMERFD loops leave ev_now alone. Observable by a program that
 * computes several trigger times from ev_now between starts: they differ. */
#include "scenario.h"

static void
probe (unsigned int flags, const char *what)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_periodic p, q;
  ev_tstamp n0, n1, n2;

  ev_sleep (0.01); /* so that any time update yields a different ev_now */
  n0 = ev_now (loop);
  ev_periodic_init (&p, 0, n0 + 100., 0., 0);
  ev_periodic_start (loop, &p);
  n1 = ev_now (loop);
  ev_sleep (0.01);
  ev_periodic_init (&q, 0, n0 + 100., 0., 0);
  ev_periodic_start (loop, &q);
  n2 = ev_now (loop);
  T ("%s: first start updates ev_now %d, second start %d", what, B (n1 != n0), B (n2 != n1));
  ev_periodic_stop (loop, &p);
  ev_periodic_stop (loop, &q);
  ev_loop_destroy (loop);
}

static void
scenario (void)
{
  probe (0, "default flags");
  probe (EVFLAG_NOTIMERFD, "EVFLAG_NOTIMERFD");
}
