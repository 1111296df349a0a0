/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/compat/layout.c - what a Windows program sees of ev.h and of the library, one
 * line per fact: the sizes and member offsets of every watcher and of struct _stati64
 * (ev_stat's attr and prev), the constants, the backend answers and ev_stat's reading of a
 * file over 2 GiB.  t/win32/compat/run.sh compiles it against libev 4.33 embedded the
 * documented Windows way and against libev-ng's ev.h and DLL, runs both under Wine and
 * requires the same lines (ev(3) "WIN32 PLATFORM LIMITATIONS AND WORKAROUNDS"). */
#include <fcntl.h>
#include <io.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ev.h"

#define SIZE(t) printf ("sizeof %s %u\n", #t, (unsigned) sizeof (t))
#define OFFSET(t, m) printf ("offsetof %s.%s %u\n", #t, #m, (unsigned) offsetof (t, m))
#define CONSTANT(c) printf ("constant %s %ld\n", #c, (long) (c))
#define WATCHER(t)          \
  do                        \
    {                       \
      SIZE (t);             \
      OFFSET (t, active);   \
      OFFSET (t, pending);  \
      OFFSET (t, priority); \
      OFFSET (t, data);     \
      OFFSET (t, cb);       \
    }                       \
  while (0)

static void
layouts (void)
{
  SIZE (ev_tstamp);
  SIZE (sig_atomic_t);
  WATCHER (ev_watcher);
  WATCHER (ev_watcher_list);
  OFFSET (ev_watcher_list, next);
  WATCHER (ev_watcher_time);
  OFFSET (ev_watcher_time, at);
  WATCHER (ev_io);
  OFFSET (ev_io, next);
  OFFSET (ev_io, fd);
  OFFSET (ev_io, events);
  WATCHER (ev_timer);
  OFFSET (ev_timer, at);
  OFFSET (ev_timer, repeat);
  WATCHER (ev_periodic);
  OFFSET (ev_periodic, at);
  OFFSET (ev_periodic, offset);
  OFFSET (ev_periodic, interval);
  OFFSET (ev_periodic, reschedule_cb);
  WATCHER (ev_signal);
  OFFSET (ev_signal, next);
  OFFSET (ev_signal, signum);
  WATCHER (ev_child);
  OFFSET (ev_child, next);
  OFFSET (ev_child, flags);
  OFFSET (ev_child, pid);
  OFFSET (ev_child, rpid);
  OFFSET (ev_child, rstatus);
  SIZE (ev_statdata);
  SIZE (struct _stati64);
  OFFSET (struct _stati64, st_size);
  OFFSET (struct _stati64, st_mtime);
  WATCHER (ev_stat);
  OFFSET (ev_stat, next);
  OFFSET (ev_stat, timer);
  OFFSET (ev_stat, interval);
  OFFSET (ev_stat, path);
  OFFSET (ev_stat, prev);
  OFFSET (ev_stat, attr);
  OFFSET (ev_stat, wd);
  WATCHER (ev_idle);
  WATCHER (ev_prepare);
  WATCHER (ev_check);
  WATCHER (ev_fork);
  WATCHER (ev_cleanup);
  WATCHER (ev_embed);
  OFFSET (ev_embed, other);
  OFFSET (ev_embed, io);
  OFFSET (ev_embed, prepare);
  OFFSET (ev_embed, check);
  OFFSET (ev_embed, timer);
  OFFSET (ev_embed, periodic);
  OFFSET (ev_embed, idle);
  OFFSET (ev_embed, fork);
  OFFSET (ev_embed, cleanup);
  WATCHER (ev_async);
  OFFSET (ev_async, sent);
  SIZE (union ev_any_watcher);
}

static void
constants (void)
{
  CONSTANT (EV_VERSION_MAJOR);
  CONSTANT (EV_VERSION_MINOR);
  CONSTANT (EV_UNDEF);
  CONSTANT (EV_NONE);
  CONSTANT (EV_READ);
  CONSTANT (EV_WRITE);
  CONSTANT (EV__IOFDSET);
  CONSTANT (EV_IO);
  CONSTANT (EV_TIMER);
  CONSTANT (EV_TIMEOUT);
  CONSTANT (EV_PERIODIC);
  CONSTANT (EV_SIGNAL);
  CONSTANT (EV_CHILD);
  CONSTANT (EV_STAT);
  CONSTANT (EV_IDLE);
  CONSTANT (EV_PREPARE);
  CONSTANT (EV_CHECK);
  CONSTANT (EV_EMBED);
  CONSTANT (EV_FORK);
  CONSTANT (EV_CLEANUP);
  CONSTANT (EV_ASYNC);
  CONSTANT (EV_CUSTOM);
  CONSTANT (EV_ERROR);
  CONSTANT (EVFLAG_AUTO);
  CONSTANT (EVFLAG_NOENV);
  CONSTANT (EVFLAG_FORKCHECK);
  CONSTANT (EVFLAG_NOINOTIFY);
  CONSTANT (EVFLAG_NOSIGFD);
  CONSTANT (EVFLAG_SIGNALFD);
  CONSTANT (EVFLAG_NOSIGMASK);
  CONSTANT (EVFLAG_NOTIMERFD);
  CONSTANT (EVBACKEND_SELECT);
  CONSTANT (EVBACKEND_POLL);
  CONSTANT (EVBACKEND_EPOLL);
  CONSTANT (EVBACKEND_KQUEUE);
  CONSTANT (EVBACKEND_DEVPOLL);
  CONSTANT (EVBACKEND_PORT);
  CONSTANT (EVBACKEND_LINUXAIO);
  CONSTANT (EVBACKEND_IOURING);
  CONSTANT (EVBACKEND_ALL);
  CONSTANT (EVBACKEND_MASK);
  CONSTANT (EVRUN_NOWAIT);
  CONSTANT (EVRUN_ONCE);
  CONSTANT (EVBREAK_CANCEL);
  CONSTANT (EVBREAK_ONE);
  CONSTANT (EVBREAK_ALL);
  CONSTANT (EV_MINPRI);
  CONSTANT (EV_MAXPRI);
  CONSTANT (EV_FEATURES);
  CONSTANT (EV_MULTIPLICITY);
  CONSTANT (EV_PERIODIC_ENABLE);
  CONSTANT (EV_STAT_ENABLE);
  CONSTANT (EV_PREPARE_ENABLE);
  CONSTANT (EV_CHECK_ENABLE);
  CONSTANT (EV_IDLE_ENABLE);
  CONSTANT (EV_FORK_ENABLE);
  CONSTANT (EV_CLEANUP_ENABLE);
  CONSTANT (EV_SIGNAL_ENABLE);
  CONSTANT (EV_CHILD_ENABLE);
  CONSTANT (EV_ASYNC_ENABLE);
  CONSTANT (EV_EMBED_ENABLE);
  CONSTANT (EV_WALK_ENABLE);
  CONSTANT (EV_COMPAT3);
}

static void
answers (void)
{
  struct ev_loop *loop = ev_default_loop (0);

  printf ("ev_version %d.%d\n", ev_version_major (), ev_version_minor ());
  printf ("ev_supported_backends 0x%x\n", ev_supported_backends ());
  printf ("ev_recommended_backends 0x%x\n", ev_recommended_backends ());
  printf ("ev_embeddable_backends 0x%x\n", ev_embeddable_backends ());
  printf ("ev_default_loop %s\n", loop ? "made" : "NULL");
  if (loop)
    printf ("ev_backend 0x%x\n", ev_backend (loop));
}

/* a sparse file of 3 GiB and 5 bytes: st_size must come through whole (struct _stati64) */
static void
large_file (void)
{
  const char *path = "layout-large.tmp";
  const long long size = 3LL * 1024 * 1024 * 1024 + 5;
  struct ev_loop *loop = ev_default_loop (0);
  ev_stat w;
  int fd = _open (path, _O_CREAT | _O_TRUNC | _O_RDWR | _O_BINARY, _S_IREAD | _S_IWRITE);

  if (fd < 0 || _chsize_s (fd, size) != 0)
    {
      printf ("ev_stat large file: cannot make it\n");
      return;
    }
  _close (fd);
  ev_stat_init (&w, 0, path, 0.);
  ev_stat_start (loop, &w);
  ev_stat_stat (loop, &w);
  printf ("ev_stat large file: st_size %lld (%s), st_nlink %d\n", (long long) w.attr.st_size,
          (long long) w.attr.st_size == size ? "right" : "WRONG", (int) w.attr.st_nlink);
  ev_stat_stop (loop, &w);
  _unlink (path);
}

int
main (void)
{
  layouts ();
  constants ();
  answers ();
  large_file ();
  return 0;
}
