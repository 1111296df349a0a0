/* SPDX-License-Identifier: BSD-2-Clause */
/* t/embed/layout.c - the layout a configuration gives the watchers (t/embed/kit.sh compiles
 * it against libev-ng's ev.h and against Debian's libev 4.33 ev.h with the same symbols: the
 * output must be equal, since a program's files and its embedded core must agree on it). */
#include <ev.h>
#include <stddef.h>
#include <stdio.h>

#define W(type) printf (#type " %zu active %zu pending %zu cb %zu\n", sizeof (type), \
                        offsetof (type, active), offsetof (type, pending), offsetof (type, cb))

int
main (void)
{
  printf ("multiplicity %d priorities %d..%d any %zu\n", EV_MULTIPLICITY, EV_MINPRI, EV_MAXPRI,
          sizeof (union ev_any_watcher));
  W (ev_watcher);
  W (ev_watcher_list);
  W (ev_watcher_time);
  W (ev_io);
  printf ("ev_io fd %zu events %zu\n", offsetof (ev_io, fd), offsetof (ev_io, events));
  W (ev_timer);
  printf ("ev_timer at %zu repeat %zu\n", offsetof (ev_timer, at), offsetof (ev_timer, repeat));
  W (ev_periodic);
  W (ev_signal);
  W (ev_child);
  printf ("ev_child rstatus %zu\n", offsetof (ev_child, rstatus));
  W (ev_idle);
  W (ev_prepare);
  W (ev_check);
  W (ev_fork);
  W (ev_cleanup);
#if EV_STAT_ENABLE
  W (ev_stat);
  printf ("ev_stat wd %zu\n", offsetof (ev_stat, wd));
#endif
#if EV_EMBED_ENABLE
  W (ev_embed);
  printf ("ev_embed fork %zu\n", offsetof (ev_embed, fork));
#endif
#if EV_ASYNC_ENABLE
  W (ev_async);
#endif
  return 0;
}
