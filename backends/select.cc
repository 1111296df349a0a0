// SPDX-License-Identifier: BSD-2-Clause
// backends/select.cc - the select(2) backend (EVBACKEND_SELECT).
//
// Kernel quirks handled here:
//  (a) fd_set is a fixed 1024-bit type, but the Linux system call accepts
//      any number of fds: the sets here are arrays of fd_mask words that
//      grow with the highest fd, so fds >= FD_SETSIZE work.
//  (b) One fd that is not open makes the whole call fail with EBADF and
//      tells nothing about which: every watched fd is checked and the
//      invalid ones killed (EV_ERROR|EV_READ|EV_WRITE to their watchers).
//  (c) ENOMEM means the sets are too large for the kernel: the watchers of
//      the highest fd are killed, so the next call has a chance.
//  (d) The call overwrites its sets: the wanted sets are copied first.
//  (e) No kernel state survives between calls, so a fork needs nothing.
//  (f) An fd beyond the process's fd table (never opened) is ignored by the
//      kernel without an error, so its watchers would hear nothing until the
//      wait ends (libev 4.33's then get a false EV_READ): an fd that is not
//      open when it is added to the sets is remembered, that call does not
//      wait, and if it succeeds all the same, the fd is killed after it, in
//      the iteration that applied the change, as on the other backends.
//      (One that is inside the table makes the call fail, (b).)
#include "watchers/io.h"

#include <fcntl.h>
#include <sys/select.h>
#include <cerrno>

namespace ev_detail {
namespace {

constexpr int kBitsPerWord = static_cast<int>(8 * sizeof(fd_mask));

struct select_state {
  fd_mask *want_read, *want_write;  // what the watchers want
  fd_mask *got_read, *got_write;    // what the call returned
  int words;                        // size of each array
  int nfds;                         // highest fd in the sets + 1
  array<int> not_open;              // added while not open, see (f)
};

inline select_state *state(ev_loop *loop) { return static_cast<select_state *>(loop->backend_state); }

bool select_init(ev_loop *loop)
{
  auto *st = static_cast<select_state *>(ev_realloc(nullptr, sizeof(select_state)));
  *st = select_state{};
  loop->backend_state = st;
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
  ev_free(st);
  loop->backend_state = nullptr;
}

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

void select_modify(ev_loop *loop, int fd, int oev, int nev)
{
  select_state *st = state(loop);
  int word = fd / kBitsPerWord;
  fd_mask bit = static_cast<fd_mask>(1UL << (fd % kBitsPerWord));
  grow(st, word + 1);

  if (nev & EV_READ)
    st->want_read[word] |= bit;
  else
    st->want_read[word] &= ~bit;
  if (nev & EV_WRITE)
    st->want_write[word] |= bit;
  else
    st->want_write[word] &= ~bit;

  if (nev & (EV_READ | EV_WRITE)) {
    if ((!(oev & (EV_READ | EV_WRITE)) || (nev & EV__IOFDSET)) && ::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
      st->not_open.push(fd);  // see (f)
    if (fd >= st->nfds)
      st->nfds = fd + 1;
  } else if (fd + 1 == st->nfds) {
    // the highest fd left: find the new highest
    while (st->nfds > 0) {
      int f = st->nfds - 1;
      int w = f / kBitsPerWord;
      fd_mask b = static_cast<fd_mask>(1UL << (f % kBitsPerWord));
      if ((st->want_read[w] | st->want_write[w]) & b)
        break;
      --st->nfds;
    }
  }
}

void kill_highest_fd(ev_loop *loop)
{
  for (int fd = loop->fds.size; fd--;)
    if (loop->fds.entries[fd].head) {
      fd_kill(loop, fd);
      return;
    }
}

// See (f): after a call that did not fail with EBADF, the fds that were
// not open when added and still are not (and are still wanted) are beyond
// the process's fd table.  (A failed call is handled by fd_kill_invalid.)
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

void select_poll(ev_loop *loop, ev_tstamp timeout)
{
  select_state *st = state(loop);
  int words = (st->nfds + kBitsPerWord - 1) / kBitsPerWord;
  std::size_t bytes = sizeof(fd_mask) * static_cast<std::size_t>(words);
  if (words) {
    std::memcpy(st->got_read, st->want_read, bytes);
    std::memcpy(st->got_write, st->want_write, bytes);
  }

  if (st->not_open.count)
    timeout = 0.;  // see (f)
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(timeout);
  tv.tv_usec = static_cast<suseconds_t>((timeout - static_cast<ev_tstamp>(tv.tv_sec)) * 1e6 + 0.999);
  if (tv.tv_usec >= 1000000) {
    ++tv.tv_sec;
    tv.tv_usec -= 1000000;
  }

  // With no fd in the sets and no time to wait, select() could only return
  // 0: an EVRUN_NOWAIT iteration without io watchers makes no system call.
  int res = 0, err = 0;
  release_hook(loop);
  if (st->nfds || timeout > 0.) {
    res = ::select(st->nfds, words ? reinterpret_cast<fd_set *>(st->got_read) : nullptr,
                   words ? reinterpret_cast<fd_set *>(st->got_write) : nullptr, nullptr, &tv);
    err = res < 0 ? errno : 0;
  }
  acquire_hook(loop);

  if (st->not_open.count)
    kill_not_open(loop, st, err == EBADF);

  if (res < 0) {
    if (err == EBADF)
      fd_kill_invalid(loop);
    else if (err == ENOMEM)
      kill_highest_fd(loop);
    else if (err != EINTR) {
      errno = err;
      wait_failed("(libev) select", timeout);
    }
    return;
  }

  // From the highest fd down: the (LIFO) callbacks then run from the lowest
  // fd up, in libev 4.33's order for select.
  for (int w = words; res > 0 && w--;) {
    fd_mask r = st->got_read[w], wr = st->got_write[w];
    fd_mask any = r | wr;
    while (any) {
      int b = kBitsPerWord - 1 - __builtin_clzl(static_cast<unsigned long>(any));
      fd_mask bit = static_cast<fd_mask>(1UL << b);
      any &= ~bit;
      int got = (r & bit ? EV_READ : 0) | (wr & bit ? EV_WRITE : 0);
      res -= (r & bit ? 1 : 0) + (wr & bit ? 1 : 0);
      fd_event(loop, w * kBitsPerWord + b, got);
    }
  }
}

void select_fork(ev_loop *) {}

}  // namespace

constinit const backend_ops select_backend = {
    "select",      EVBACKEND_SELECT, 1e-6,  select_init, select_destroy, select_fork,
    select_modify, select_poll,      false, nullptr,     nullptr,
};

}  // namespace ev_detail
