/* SPDX-License-Identifier: BSD-2-Clause */
/* The backend sets: supported 0x87 (select, poll, epoll, io_uring), recommended 0x07, the
 * embeddable ones among them; a loop restricted to io_uring can be created, one restricted
 * to Linux AIO (not built into Debian's libev) cannot. */
#include "scenario.h"

static void
scenario (void)
{
  struct ev_loop *l;

  T ("supported 0x%x recommended 0x%x embeddable&supported 0x%x", ev_supported_backends (),
     ev_recommended_backends (), ev_embeddable_backends () & ev_supported_backends ());
  l = ev_loop_new (EVBACKEND_IOURING);
  T ("io_uring loop: %s", l ? "created" : "NULL");
  if (l)
    ev_loop_destroy (l);
  l = ev_loop_new (EVBACKEND_LINUXAIO);
  T ("linuxaio loop: %s", l ? "created" : "NULL");
  if (l)
    ev_loop_destroy (l);
}
