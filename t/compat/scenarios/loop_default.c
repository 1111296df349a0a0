/* SPDX-License-Identifier: BSD-2-Clause */
/* The default loop: created once, later flags ignored, ev_is_default_loop,
 * ev_default_loop_ptr (read by EV_DEFAULT_UC), destroying it and creating a new one. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  T ("idle revents=0x%x in default loop %d", revents, ev_is_default_loop (loop));
  ev_idle_stop (loop, w);
}

static void
scenario (void)
{
  struct ev_loop *d1, *d2, *other;
  ev_idle idle;

  T ("before: EV_DEFAULT_UC set %d", B (EV_DEFAULT_UC));
  d1 = sc_default_loop (0);
  T ("after: EV_DEFAULT_UC is it %d, EV_DEFAULT is it %d", B (EV_DEFAULT_UC == d1),
     B (EV_DEFAULT == d1));
  d2 = ev_default_loop (EVBACKEND_SELECT == sc_backend ? EVBACKEND_POLL : EVBACKEND_SELECT);
  T ("second call: same loop %d, backend kept %d", B (d1 == d2), B (ev_backend (d2) == sc_backend));
  other = sc_loop_new (0);
  T ("is_default: default %d, other %d", ev_is_default_loop (d1), ev_is_default_loop (other));
  ev_idle_init (&idle, cb);
  ev_idle_start (EV_DEFAULT_UC_ &idle);
  T ("run returns %d", ev_run (EV_DEFAULT, 0));
  ev_loop_destroy (other);

  ev_loop_destroy (d1);
  T ("destroyed: EV_DEFAULT_UC set %d", B (EV_DEFAULT_UC));
  d1 = sc_default_loop (0);
  T ("recreated: EV_DEFAULT_UC is it %d, default %d", B (EV_DEFAULT_UC == d1),
     ev_is_default_loop (d1));
  ev_idle_start (d1, &idle);
  T ("run returns %d", ev_run (d1, 0));
  ev_loop_destroy (d1);
  T ("ev_loop_destroy (NULL) is a no-op");
  ev_loop_destroy (NULL);
}
