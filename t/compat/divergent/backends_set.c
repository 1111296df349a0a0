/* The backend sets. libev-ng implements select, poll and epoll only:
 * ev_supported_backends is 0x7 and a loop restricted to io_uring or Linux AIO cannot be
 * created. libev 4.33 (Debian) supports io_uring as well (0x87). */
#include "../scenarios/scenario.h"

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
