// SPDX-License-Identifier: BSD-2-Clause
// backends/select.h - the select(2) backend's state, modify and poll, inline in the entries of its
// table, which its policy calls (table_policy, backend.h).  The rest, and the quirks (a)-(f) cited
// here: backends/select.cc.
#pragma once

#include "fd/fd.h"

#include <fcntl.h>
#include <sys/select.h>
#include <cerrno>
#include <cstring>

namespace ev_detail {
namespace select_internal {

extern const backend_ops select_backend;

constexpr int kBitsPerWord = static_cast<int>(8 * sizeof(fd_mask));

struct select_state {
  fd_mask *want_read, *want_write;  // what the watchers want
  fd_mask *got_read, *got_write;    // what the call returned
  int words;                        // size of each array
  int nfds;                         // highest fd in the sets + 1
  array<int> not_open;              // added while not open, see (f)
};

inline select_state *state(ev_loop *loop) { return static_cast<select_state *>(loop->backend_state); }

// The rare paths, out of line (backends/select.cc).
void grow(select_state *st, int words);
void lower_nfds(select_state *st);
void kill_not_open(ev_loop *loop, select_state *st, bool ebadf);
void wait_error(ev_loop *loop, int err, ev_tstamp timeout);
bool select_init(ev_loop *loop);
void select_destroy(ev_loop *loop);

inline fd_mask bit_of(int fd) { return static_cast<fd_mask>(1UL << (fd % kBitsPerWord)); }

// The backend's modify (backend.h).
inline void modify(ev_loop *loop, int fd, int oev, int nev)
{
  select_state *st = state(loop);
  int word = fd / kBitsPerWord;
  fd_mask bit = bit_of(fd);
  if (word >= st->words)
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
  } else if (fd + 1 == st->nfds)
    lower_nfds(st);
}

// The timeout as select() takes it: rounded up to the microsecond, never early.
inline struct timeval timeout_to_timeval(ev_tstamp timeout)
{
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(timeout);
  tv.tv_usec = static_cast<suseconds_t>((timeout - static_cast<ev_tstamp>(tv.tv_sec)) * 1e6 + 0.999);
  if (tv.tv_usec >= 1000000) {
    ++tv.tv_sec;
    tv.tv_usec -= 1000000;
  }
  return tv;
}

// Queue the watchers of the res fds the call reported, highest fd first.
inline void queue_reported(ev_loop *loop, select_state *st, int words, int res)
{
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

// The backend's poll (backend.h).  The call overwrites its sets, so the wanted ones are copied (d).
inline void poll(ev_loop *loop, ev_tstamp timeout)
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
  struct timeval tv = timeout_to_timeval(timeout);

  auto wait = [st, words, &tv, timeout] {
    if (!st->nfds && !(timeout > 0.))
      return 0;
    return ::select(st->nfds, words ? reinterpret_cast<fd_set *>(st->got_read) : nullptr,
                    words ? reinterpret_cast<fd_set *>(st->got_write) : nullptr, nullptr, &tv);
  };
  const int res = hooked_wait(loop, -1, wait);
  const int err = res < 0 ? errno : 0;

  if (st->not_open.count)
    kill_not_open(loop, st, err == EBADF);
  if (res < 0)
    return wait_error(loop, err, timeout);
  queue_reported(loop, st, words, res);
}

}  // namespace select_internal

using select_policy = table_policy<&select_internal::select_backend>;

}  // namespace ev_detail
