// SPDX-License-Identifier: BSD-2-Clause
// base/win32.cc - the POSIX calls of base/win32.h that are not inline, on
// Windows: the C runtime's signals and the wake-up pair of sockets.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "base/api.h"

#include <atomic>
#include <initializer_list>

#ifdef _WIN32

namespace {

constexpr int kSignals = NSIG > 0 ? NSIG : 23;
constinit std::atomic<void (*)(int)> handlers[kSignals];

// The C runtime resets the handler before it calls it: install it again
// first, so that a signal arriving during the handler is not lost.
void trampoline(int signum)
{
  ::signal(signum, trampoline);
  if (signum > 0 && signum < kSignals)
    if (void (*h)(int) = handlers[signum].load())
      h(signum);
}

std::atomic<bool> wsa_started{false};

void wsa_start()
{
  if (wsa_started.exchange(true))
    return;
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
}

SOCKET socket_of(int fd) { return static_cast<SOCKET>(ev_detail::handle_of_fd(fd)); }

// ev(3) EV_USE_WSASOCKET: WSASocket, which works better in some environments
// (layered providers), or socket, which works better in others.
#ifndef EV_USE_WSASOCKET
#define EV_USE_WSASOCKET 0
#endif
SOCKET tcp_socket()
{
#if EV_USE_WSASOCKET
  return ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
#else
  return ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
#endif
}

}  // namespace

int ev_ng_win32_sigaction(int signum, const struct sigaction *sa, struct sigaction *old)
{
  if (signum <= 0 || signum >= kSignals) {
    errno = EINVAL;
    return -1;
  }
  if (old)
    *old = {};
  if (sa) {
    handlers[signum].store(sa->sa_handler);
    if (::signal(signum, trampoline) == SIG_ERR)
      return -1;
  }
  return 0;
}

// A listening socket on 127.0.0.1 accepts the connection of a second one:
// the pair, without handle inheritance, non-blocking, as C runtime fds.
int pipe(int fds[2])
{
  wsa_start();
  SOCKET lst = tcp_socket(), out = INVALID_SOCKET, in = INVALID_SOCKET;
  sockaddr_in addr = {};
  int len = sizeof addr;
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = lst != INVALID_SOCKET && ::bind(lst, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
            ::listen(lst, 1) == 0 && ::getsockname(lst, reinterpret_cast<sockaddr *>(&addr), &len) == 0 &&
            (out = tcp_socket()) != INVALID_SOCKET &&
            ::connect(out, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
            (in = ::accept(lst, nullptr, nullptr)) != INVALID_SOCKET;
  if (lst != INVALID_SOCKET)
    ::closesocket(lst);
  u_long on = 1;
  int one = 1;
  for (SOCKET s : {in, out})
    ok = ok && ::ioctlsocket(s, FIONBIO, &on) == 0 &&
         ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0) &&
         ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one), sizeof one) == 0;
  fds[0] = ok ? EV_WIN32_HANDLE_TO_FD(static_cast<intptr_t>(in)) : -1;
  fds[1] = ok && fds[0] >= 0 ? EV_WIN32_HANDLE_TO_FD(static_cast<intptr_t>(out)) : -1;
  if (fds[1] >= 0)
    return 0;
  if (fds[0] >= 0)
    ev_detail::close_fd(fds[0]);  // closes `in`
  else if (in != INVALID_SOCKET)
    ::closesocket(in);
  if (out != INVALID_SOCKET)
    ::closesocket(out);
  errno = EMFILE;
  return -1;
}

namespace ev_detail {

// errno as the wake-up code tests it: EAGAIN when there is nothing to read or no room, else EIO.
ssize_t wakeup_read(int fd, void *buf, std::size_t len)
{
  int n = ::recv(socket_of(fd), static_cast<char *>(buf), static_cast<int>(len), 0);
  if (n == SOCKET_ERROR)
    errno = WSAGetLastError() == WSAEWOULDBLOCK ? EAGAIN : EIO;
  return n;
}

ssize_t wakeup_write(int fd, const void *buf, std::size_t len)
{
  int n = ::send(socket_of(fd), static_cast<const char *>(buf), static_cast<int>(len), 0);
  if (n == SOCKET_ERROR)
    errno = WSAGetLastError() == WSAEWOULDBLOCK ? EAGAIN : EIO;
  return n;
}

void win32_start_sockets() { wsa_start(); }

}  // namespace ev_detail

#endif  // _WIN32
