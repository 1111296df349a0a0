// SPDX-License-Identifier: BSD-2-Clause
// base/sockets.h - the calls streams make on a socket (fd/stream.cc): POSIX's inline here,
// Windows' out of line in base/win32.cc, on the socket behind a C runtime fd.
//
// Each returns what the POSIX call returns and sets errno as POSIX does, so that the stream code
// has one set of error numbers on every system: Winsock's WSAEWOULDBLOCK is EAGAIN there,
// WSAECONNRESET is ECONNRESET, and so on.
#pragma once

#include "base/api.h"

#include <cerrno>
#include <cstddef>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

namespace ev_detail {

#ifndef _WIN32
// One piece of a gathered send, laid out as POSIX's struct iovec, so that it is one.  (Windows':
// base/win32.h, which declares the calls there too.)
struct send_piece {
  const void *base;
  std::size_t len;
};
#endif

// A socket's error of a failed receive or send that ends the connection, as against EAGAIN and
// EINTR, which only say "not now".
inline bool socket_error_is_final(int err) { return err != EAGAIN && err != EWOULDBLOCK && err != EINTR; }

#ifndef _WIN32
static_assert(sizeof(send_piece) == sizeof(struct iovec) &&
                  offsetof(send_piece, len) == offsetof(struct iovec, iov_len),
              "a send_piece is an iovec");

// A send on a socket whose peer is gone fails with EPIPE and must not raise SIGPIPE, which would end
// the program: MSG_NOSIGNAL where the system has it (POSIX 2008), else the socket's SO_NOSIGPIPE.
#ifdef MSG_NOSIGNAL
inline constexpr int kSendFlags = MSG_NOSIGNAL;
#else
inline constexpr int kSendFlags = 0;
#endif

inline int socket_nonblocking(int fd)
{
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0)
    return errno;
  if (!(fl & O_NONBLOCK) && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return errno;
#if !defined MSG_NOSIGNAL && defined SO_NOSIGPIPE
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return 0;
}

// 0 when fd is a stream socket that is connected (kind 1) or listening (kind 2), made
// non-blocking; else the error number: EBADF (not open), ENOTSOCK, EPROTOTYPE (not a stream),
// ENOTCONN (not connected), EINVAL (not listening).
inline int socket_prepare(int fd, int kind)
{
  int type = 0;
  socklen_t len = sizeof type;
  if (fd < 0)
    return EBADF;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
    return errno;
  if (type != SOCK_STREAM)
    return EPROTOTYPE;
  if (kind == 1) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<struct sockaddr *>(&peer), &plen) < 0)
      return errno;
  } else {
#ifdef SO_ACCEPTCONN
    int listening = 0;
    len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && !listening)
      return EINVAL;
#endif
  }
  return socket_nonblocking(fd);
}

inline ssize_t socket_receive(int fd, void *buf, std::size_t len) { return ::recv(fd, buf, len, 0); }

inline ssize_t socket_send(int fd, const send_piece *pieces, int n)
{
  struct msghdr m = {};
  m.msg_iov = reinterpret_cast<struct iovec *>(const_cast<send_piece *>(pieces));
  m.msg_iovlen = static_cast<decltype(m.msg_iovlen)>(n);
  return ::sendmsg(fd, &m, kSendFlags);
}

inline int socket_shutdown_send(int fd) { return ::shutdown(fd, SHUT_WR); }

// A connection of the listening fd, non-blocking and closed on exec, or -1 with errno.  accept4
// does both at once where the system has it, else a program's exec in another thread between the
// accept and the fcntl may inherit the fd, as with libev 4.33's accept loops.
inline int socket_accept(int fd)
{
#if EV_NG_HAVE_ACCEPT4
  return ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  int s = ::accept(fd, nullptr, nullptr);
  if (s >= 0) {
    ::fcntl(s, F_SETFD, FD_CLOEXEC);
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
  }
  return s;
#endif
}

inline int socket_close(int fd) { return ::close(fd); }
#endif

}  // namespace ev_detail
