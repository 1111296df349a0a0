/* SPDX-License-Identifier: BSD-2-Clause */
/* Loop creation flags: LIBEV_FLAGS replaces the flags unless EVFLAG_NOENV; a backend
 * that does not exist gives NULL; no backend bit means the recommended set; the global
 * functions about versions and backends (select|poll|epoll bits only: which other
 * backends exist is a documented difference, see divergent/backends_set). */
#include "scenario.h"

static void
scenario (void)
{
  struct ev_loop *loop;
  char v[16];

  T ("version %d.%d (header %d.%d)", ev_version_major (), ev_version_minor (), EV_VERSION_MAJOR,
     EV_VERSION_MINOR);
  T ("supported&7=0x%x recommended&7=0x%x embeddable has epoll %d",
     ev_supported_backends () & 7, ev_recommended_backends () & 7,
     B (ev_embeddable_backends () & EVBACKEND_EPOLL));

  loop = ev_loop_new (EVBACKEND_KQUEUE);
  T ("kqueue loop: %s", loop ? "created" : "NULL");
  loop = ev_loop_new (EVBACKEND_DEVPOLL | EVBACKEND_PORT);
  T ("devpoll|port loop: %s", loop ? "created" : "NULL");

  loop = ev_loop_new (0);
  T ("flags 0: backend is epoll %d", B (ev_backend (loop) == EVBACKEND_EPOLL));
  ev_loop_destroy (loop);
  loop = ev_loop_new (EVFLAG_AUTO);
  T ("EVFLAG_AUTO: backend is epoll %d", B (ev_backend (loop) == EVBACKEND_EPOLL));
  ev_loop_destroy (loop);

  snprintf (v, sizeof v, "%u", sc_backend);
  setenv ("LIBEV_FLAGS", v, 1);
  loop = ev_loop_new (EVBACKEND_SELECT == sc_backend ? EVBACKEND_POLL : EVBACKEND_SELECT);
  T ("LIBEV_FLAGS replaces the flags: backend is %s's %d", sc_backend_name,
     B (ev_backend (loop) == sc_backend));
  ev_loop_destroy (loop);
  loop = ev_loop_new (EVFLAG_NOENV | EVBACKEND_SELECT);
  T ("EVFLAG_NOENV ignores it: backend is select %d", B (ev_backend (loop) == EVBACKEND_SELECT));
  ev_loop_destroy (loop);
  setenv ("LIBEV_FLAGS", "0", 1);
  loop = ev_loop_new (EVBACKEND_POLL);
  T ("LIBEV_FLAGS=0 means auto: backend is epoll %d", B (ev_backend (loop) == EVBACKEND_EPOLL));
  ev_loop_destroy (loop);
  unsetenv ("LIBEV_FLAGS");

  loop = sc_loop_new (EVFLAG_NOINOTIFY | EVFLAG_NOSIGMASK | EVFLAG_NOTIMERFD);
  T ("extra flags accepted, backend kept");
  ev_loop_destroy (loop);
}
