// SPDX-License-Identifier: BSD-2-Clause
// backends/select_win32.cc - the select backend on Windows (EVBACKEND_SELECT), over the sockets
// behind C runtime fds, as libev's EV_SELECT_IS_WINSOCKET.
//
// Winsock quirks handled here:
//  (a) Winsock's fd_set is a count and an array of sockets, FD_SETSIZE (64) long in the header's
//      type, but select takes any count: the sets here are allocated to the number of watched fds,
//      so there is no limit at 64 (libev 4.33 aborts at the 65th fd).
//  (b) select refuses empty sets (WSAEINVAL): with nothing to watch the wait sleeps instead.
//  (c) A failed connect is reported in the exception set, not the write set: a socket that wants
//      EV_WRITE is watched in both, and either reports EV_WRITE, as POSIX reports a failed connect.
//  (d) An fd that is not a socket (a file, a pipe) cannot be selected: its watchers get EV_ERROR
//      when they start, never an abort or a spin; a socket closed behind the loop's back fails the
//      call (WSAENOTSOCK), and the fds no longer sockets get EV_ERROR.
//  (e) The call overwrites its sets with the ready sockets, in the order given: walking the watched
//      list along with them maps them back to their fds.
#include <winsock2.h>

#include "backends/select_win32.h"

namespace ev_detail::select_win32 {

namespace {

// A Winsock set of any size: the header's type with a longer array.
struct socket_set {
  u_int fd_count;
  SOCKET fd_array[1];
};

struct select_state {
  int *fds;             // the watched fds, in no order
  unsigned char *want;  // EV_READ | EV_WRITE of each, by position
  unsigned char *got;   // what the call reported, by position
  SOCKET *sockets;      // the socket of each, as the last call saw it
  int *position;        // by fd: position + 1 in fds, or 0
  int count, capacity, fd_capacity;
  socket_set *read, *write, *except;
};

select_state *state(ev_loop *loop) { return static_cast<select_state *>(loop->backend_state); }

SOCKET socket_of(int fd) { return static_cast<SOCKET>(ev_detail::handle_of_fd(fd)); }

// Is fd a socket?  See (d).
bool is_socket(int fd)
{
  SOCKET s = socket_of(fd);
  if (s == INVALID_SOCKET)
    return false;
  int type, len = sizeof type;
  return ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char *>(&type), &len) == 0;
}

template <class T>
void grow_array(T *&a, int old, int n)
{
  a = static_cast<T *>(ev_realloc(a, sizeof(T) * static_cast<std::size_t>(n)));
  for (int i = old; i < n; ++i)
    a[i] = T{};
}

void grow_sets(select_state *st, int n)
{
  if (n <= st->capacity)
    return;
  int c = st->capacity ? st->capacity : 16;
  while (c < n)
    c *= 2;
  std::size_t bytes = sizeof(socket_set) + sizeof(SOCKET) * static_cast<std::size_t>(c);
  for (socket_set **set : {&st->read, &st->write, &st->except})
    *set = static_cast<socket_set *>(ev_realloc(*set, bytes));
  grow_array(st->fds, st->capacity, c);
  grow_array(st->want, st->capacity, c);
  grow_array(st->got, st->capacity, c);
  grow_array(st->sockets, st->capacity, c);
  st->capacity = c;
}

void forget(select_state *st, int fd)
{
  if (fd >= st->fd_capacity || !st->position[fd])
    return;
  int i = st->position[fd] - 1, last = --st->count;
  st->fds[i] = st->fds[last];
  st->want[i] = st->want[last];
  st->position[st->fds[i]] = i + 1;
  st->position[fd] = 0;
}

// After a failed call, see (d): the fds that are no longer sockets.
void kill_non_sockets(ev_loop *loop, select_state *st)
{
  for (int i = st->count; i--;) {
    int fd = st->fds[i];
    if (!is_socket(fd)) {
      forget(st, fd);
      fd_kill(loop, fd);
    }
  }
}

bool init(ev_loop *loop)
{
  win32_start_sockets();
  backend_state_new<select_state>(loop->backend_state);
  return true;
}

void destroy(ev_loop *loop)
{
  select_state *st = state(loop);
  if (!st)
    return;
  for (void *p : {static_cast<void *>(st->fds), static_cast<void *>(st->want), static_cast<void *>(st->got),
                  static_cast<void *>(st->sockets), static_cast<void *>(st->position), static_cast<void *>(st->read),
                  static_cast<void *>(st->write), static_cast<void *>(st->except)})
    ev_free(p);
  backend_state_free(loop->backend_state);
}

}  // namespace

constinit const backend_ops select_backend =
    number_watching_backend("select", EVBACKEND_SELECT, 1e-6, init, destroy, modify, poll);

void modify(ev_loop *loop, int fd, int, int nev)
{
  select_state *st = state(loop);
  nev &= EV_READ | EV_WRITE;
  if (!nev) {
    forget(st, fd);
    return;
  }
  if (!is_socket(fd)) {  // see (d)
    forget(st, fd);
    fd_kill(loop, fd);
    return;
  }
  if (fd >= st->fd_capacity) {
    int c = st->fd_capacity ? st->fd_capacity : 64;
    while (c <= fd)
      c *= 2;
    grow_array(st->position, st->fd_capacity, c);
    st->fd_capacity = c;
  }
  if (!st->position[fd]) {
    grow_sets(st, st->count + 1);
    st->fds[st->count] = fd;
    st->position[fd] = ++st->count;
  }
  st->want[st->position[fd] - 1] = static_cast<unsigned char>(nev);
}

// The position of the reported socket s, looked for from `from` on, see (e).
static int find(const select_state *st, SOCKET s, int from)
{
  for (int k = 0; k < st->count; ++k) {
    int i = (from + k) % st->count;
    if (st->sockets[i] == s)
      return i;
  }
  return -1;
}

static void collect(select_state *st, const socket_set *set, int events)
{
  int at = 0;
  for (u_int j = 0; j < set->fd_count; ++j) {
    int i = find(st, set->fd_array[j], at);
    if (i >= 0) {
      st->got[i] |= static_cast<unsigned char>(events);
      at = i + 1;
    }
  }
}

void poll(ev_loop *loop, ev_tstamp timeout)
{
  select_state *st = state(loop);
  if (!st->count) {  // see (b)
    hooked_wait(loop, 0, [timeout] {
      if (timeout > 0.)
        ev_sleep(timeout);
      return 0;
    });
    return;
  }
  st->read->fd_count = st->write->fd_count = st->except->fd_count = 0;
  for (int i = 0; i < st->count; ++i) {
    SOCKET s = st->sockets[i] = socket_of(st->fds[i]);
    st->got[i] = 0;
    if (st->want[i] & EV_READ)
      st->read->fd_array[st->read->fd_count++] = s;
    if (st->want[i] & EV_WRITE) {
      st->write->fd_array[st->write->fd_count++] = s;
      st->except->fd_array[st->except->fd_count++] = s;  // see (c)
    }
  }
  timeval tv;
  tv.tv_sec = static_cast<long>(timeout);
  tv.tv_usec = static_cast<long>((timeout - static_cast<ev_tstamp>(tv.tv_sec)) * 1e6 + 0.999);
  if (tv.tv_usec >= 1000000) {
    ++tv.tv_sec;
    tv.tv_usec -= 1000000;
  }
  int res = hooked_wait(loop, 0, [st, &tv] {
    return ::select(0, reinterpret_cast<fd_set *>(st->read), reinterpret_cast<fd_set *>(st->write),
                    reinterpret_cast<fd_set *>(st->except), &tv);
  });
  if (res == SOCKET_ERROR) {
    int err = WSAGetLastError();
    if (err == WSAENOTSOCK || err == WSAEBADF)
      kill_non_sockets(loop, st);
    else if (err != WSAEINTR) {
      errno = EINVAL;
      wait_failed("(libev) select", timeout);
    }
    return;
  }
  if (!res)
    return;
  collect(st, st->read, EV_READ);
  collect(st, st->write, EV_WRITE);
  collect(st, st->except, EV_WRITE);
  for (int i = 0; i < st->count; ++i)
    if (st->got[i])
      fd_event(loop, st->fds[i], st->got[i]);
}

}  // namespace ev_detail::select_win32
