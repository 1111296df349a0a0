// SPDX-License-Identifier: BSD-2-Clause
// backends/select.cc - the select(2) backend (EVBACKEND_SELECT).
//
// Kernel quirks handled here:
//  (a) fd_set is a fixed 1024-bit type, but the Linux system call takes any number of fds: the sets
//      here are fd_mask arrays that grow with the highest fd, so fds >= FD_SETSIZE work.
//  (b) One fd that is not open makes the whole call fail with EBADF and tells nothing about which,
//      so every watched fd is checked and the invalid ones killed.
//  (c) ENOMEM means the sets are too large for the kernel: the watchers of the highest fd are
//      killed, so the next call has a chance.
//  (d) The call overwrites its sets: the wanted sets are copied first.
//  (e) No kernel state survives between calls, so a fork needs nothing.
//  (f) The kernel silently ignores an fd beyond the process's fd table: its watchers would hear
//      nothing until the wait ends, and libev 4.33's then get a false EV_READ.  An fd not open when
//      added to the sets is remembered and that call does not wait; if it succeeds anyway, the fd
//      is killed in the iteration that applied the change, as elsewhere.  Within the table, (b)
//      applies.
#include "backends/select.h"

#include <fcntl.h>
#include <cerrno>

namespace ev_detail::select_internal {

constinit const backend_ops select_backend =
    number_watching_backend("select", EVBACKEND_SELECT, 1e-6, select_init, select_destroy, modify, poll);

void grow(select_state *st, int words)
{
  if (words <= st->words)
    return;
  int n = st->words ? st->words : 1;
  while (n < words)
    n *= 2;
  std::size_t bytes = sizeof(fd_mask) * static_cast<std::size_t>(n);
  std::size_t old = sizeof(fd_mask) * static_cast<std::size_t>(st->words);
  for (fd_mask **set : {&st->want_read, &st->want_write, &st->got_read, &st->got_write}) {
    *set = static_cast<fd_mask *>(ev_realloc(*set, bytes));
    std::memset(reinterpret_cast<char *>(*set) + old, 0, bytes - old);
  }
  st->words = n;
}

// The highest fd left the sets: nfds comes down to the next one in them.
void lower_nfds(select_state *st)
{
  while (st->nfds > 0) {
    int f = st->nfds - 1;
    int w = f / kBitsPerWord;
    if ((st->want_read[w] | st->want_write[w]) & bit_of(f))
      break;
    --st->nfds;
  }
}

void kill_not_open(ev_loop *loop, select_state *st, bool ebadf)
{
  for (int i = 0; i < st->not_open.count && !ebadf; ++i) {
    int fd = st->not_open.data[i];
    if (fd < loop->fds.size && (loop->fds.entries[fd].events & (EV_READ | EV_WRITE)) && ::fcntl(fd, F_GETFD) < 0 &&
        errno == EBADF)
      fd_kill(loop, fd);
  }
  st->not_open.count = 0;
}

namespace {

void kill_highest_fd(ev_loop *loop)
{
  for (int fd = loop->fds.size; fd--;)
    if (loop->fds.entries[fd].head) {
      fd_kill(loop, fd);
      return;
    }
}

}  // namespace

// A failed call: see (b) and (c); EINTR returns quietly.
void wait_error(ev_loop *loop, int err, ev_tstamp timeout)
{
  if (err == EBADF)
    fd_kill_invalid(loop);
  else if (err == ENOMEM)
    kill_highest_fd(loop);
  else if (err != EINTR) {
    errno = err;
    wait_failed("(libev) select", timeout);
  }
}

bool select_init(ev_loop *loop)
{
  backend_state_new<select_state>(loop->backend_state);
  return true;
}

void select_destroy(ev_loop *loop)
{
  select_state *st = state(loop);
  if (!st)
    return;
  ev_free(st->want_read);
  ev_free(st->want_write);
  ev_free(st->got_read);
  ev_free(st->got_write);
  st->not_open.release();
  backend_state_free(loop->backend_state);
}

}  // namespace ev_detail::select_internal
