// SPDX-License-Identifier: BSD-2-Clause
// fd/loop_fd.cc - the kernel fds the loop owns, see loop_fd.h.
#include "fd/loop_fd.h"

#include <unistd.h>

namespace ev_detail {

void loop_fd_watch(ev_loop *loop, loop_fd &lf, int fd, void (*cb)(EV_P_ ev_io *, int), int priority, int events)
{
  fd_claim(loop, fd);
  lf.fd = fd;
  ev_io_init(&lf.w, cb, fd, events);
  ev_set_priority(&lf.w, priority);
  internal_io_start(loop, &lf.w);
}

void loop_fd_close(ev_loop *loop, loop_fd &lf)
{
  internal_io_stop(loop, &lf.w);
  if (lf.fd >= 0)
    close_fd(lf.fd);
  lf.fd = kLoopFdNone;
}

bool loop_fd_release_for_repair(ev_loop *loop, loop_fd &lf, bool replace)
{
  if (lf.fd < 0)
    return false;  // never created, or refused: nothing to repair
  if (replace) {
    loop_fd_close(loop, lf);
    return true;
  }
  if (lf.w.active)
    return false;  // still watched: not lost
  // Lost: the number is not ours any more.
  internal_io_stop(loop, &lf.w);
  lf.fd = kLoopFdNone;
  return true;
}

}  // namespace ev_detail
