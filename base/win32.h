// SPDX-License-Identifier: BSD-2-Clause
// base/win32.h - the few POSIX calls the core makes, on Windows (mingw-w64) over the C runtime's
// fds: base/api.h includes it there only, so that the shared units compile unchanged.
//
// An fd is a C runtime fd, as in libev on Windows (ev(3) WIN32 PLATFORM LIMITATIONS):
// _get_osfhandle tells whether it is open.  Nothing here includes Winsock's header: the units that
// need it (backends/select_win32.cc, base/win32.cc) include it first themselves.
#pragma once

#ifdef _WIN32
// It stands for system headers and declares as they do: struct sigaction beside the function
// sigaction, which -Wshadow would name.
#pragma GCC system_header

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// ev(3)'s Windows macros, for a program that compiles the core in and keeps its own table of fds;
// the DLL has the defaults.  They say how an fd maps to its socket, -1 (INVALID_SOCKET) for none,
// how a socket the loop makes becomes an fd, and how the loop closes its own fds.
#ifndef EV_FD_TO_WIN32_HANDLE
#define EV_FD_TO_WIN32_HANDLE(fd) ::_get_osfhandle(fd)
#endif
#ifndef EV_WIN32_HANDLE_TO_FD
#define EV_WIN32_HANDLE_TO_FD(handle) ::_open_osfhandle(handle, 0)
#endif
#ifndef EV_WIN32_CLOSE_FD
#define EV_WIN32_CLOSE_FD(fd) ::_close(fd)
#endif
namespace ev_detail {
inline int close_fd(int fd) { return EV_WIN32_CLOSE_FD(fd); }
// the program's EV_FD_TO_WIN32_HANDLE may give a SOCKET, an intptr_t or a HANDLE
template <class H>
intptr_t handle_of(H h)
{
  if constexpr (std::is_pointer_v<H>)
    return reinterpret_cast<intptr_t>(h);
  else
    return static_cast<intptr_t>(h);
}
inline intptr_t handle_of_fd(int fd) { return handle_of(EV_FD_TO_WIN32_HANDLE(fd)); }
}  // namespace ev_detail

// fcntl (fd, F_GETFD) as the core asks it: is fd open?  F_SETFD and F_SETFL have nothing to do,
// since the wake-up pair is made non-blocking and not inherited when it is made (pipe, below).
#ifndef F_GETFD
#define F_GETFD 1
#define F_SETFD 2
#define F_SETFL 4
#define FD_CLOEXEC 1
#endif
#ifndef O_NONBLOCK
#define O_NONBLOCK 04000
#endif
inline int fcntl(int fd, int cmd, int = 0)
{
  if (ev_detail::handle_of_fd(fd) == -1) {
    errno = EBADF;
    return -1;
  }
  (void)cmd;
  return 0;
}

// poll as the core asks it, without waiting: POLLNVAL for an fd that is not open, nothing else (the
// backend reports readiness).  Not where Winsock's header came first, whose struct pollfd holds a
// socket: those units do not poll.
#ifndef POLLIN
#define POLLIN 0x0100
#define POLLOUT 0x0010
#define POLLERR 0x0001
#define POLLHUP 0x0002
#define POLLNVAL 0x0004
struct pollfd {
  int fd;
  short events, revents;
};
using nfds_t = unsigned long;
inline int poll(struct pollfd *fds, nfds_t n, int)
{
  int bad = 0;
  for (nfds_t i = 0; i < n; ++i) {
    fds[i].revents = ev_detail::handle_of_fd(fds[i].fd) == -1 ? POLLNVAL : 0;
    bad += fds[i].revents != 0;
  }
  return bad;
}
#endif

// The fd limit, which fd/fd.cc asks to know whether an fd that is not open may be opened later and
// the table should grow to it: the largest C runtime table, the UCRT's 8,192 fds (msvcrt's has
// 2,048).  Where a program keeps its own fds (EV_FD_TO_WIN32_HANDLE), one that is open is watched
// at any number; one that is not would get EV_ERROR from the backend anyway.
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0ULL)
using rlim_t = unsigned long long;
struct rlimit {
  rlim_t rlim_cur, rlim_max;
};
inline int getrlimit(int, struct rlimit *rl)
{
  rl->rlim_cur = rl->rlim_max = 8192;
  return 0;
}

// ev_stat's attributes are a struct _stati64 on Windows, as in libev (ev.h),
// and there are no symbolic links to leave unfollowed.
inline int lstat(const char *path, struct _stati64 *st) { return ::_stati64(path, st); }

// No set-user-ID programs: the environment is the program's own (base/env.h).
inline int getuid() { return 0; }
inline int geteuid() { return 0; }
inline int getgid() { return 0; }
inline int getegid() { return 0; }

// The C runtime's signals: no masks, and a handler that the runtime resets
// to SIG_DFL before it runs, which ev_ng_win32_sigaction's installs again.
using sigset_t = unsigned long long;
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SA_RESTART 0x10000000
inline int sigemptyset(sigset_t *s) { return *s = 0, 0; }
inline int sigfillset(sigset_t *s) { return *s = ~0ULL, 0; }
inline int sigaddset(sigset_t *s, int n) { return *s |= 1ULL << (n & 63), 0; }
inline int sigprocmask(int, const sigset_t *, sigset_t *) { return 0; }
struct sigaction {
  void (*sa_handler)(int);
  sigset_t sa_mask;
  int sa_flags;
};
int ev_ng_win32_sigaction(int signum, const struct sigaction *sa, struct sigaction *old);
inline int sigaction(int signum, const struct sigaction *sa, struct sigaction *old)
{
  return ev_ng_win32_sigaction(signum, sa, old);
}

// The wake-up pair (fd/wakeup.cc): two connected loopback sockets as C runtime fds, made
// non-blocking and not inherited, read and written with recv and send (wakeup_read, wakeup_write),
// since the runtime's read and write do not take sockets; closing the fd closes the socket.
int pipe(int fds[2]);
namespace ev_detail {
ssize_t wakeup_read(int fd, void *buf, std::size_t len);
ssize_t wakeup_write(int fd, const void *buf, std::size_t len);
void win32_start_sockets();  // WSAStartup, once per process

// base/sockets.h's calls on a stream socket, over Winsock on the socket behind the fd, with
// errno as POSIX would set it (WSAEWOULDBLOCK is EAGAIN, ...); a gathered send's piece.
struct send_piece {
  const void *base;
  std::size_t len;
};
int socket_prepare(int fd, int kind);
ssize_t socket_receive(int fd, void *buf, std::size_t len);
ssize_t socket_send(int fd, const send_piece *pieces, int n);
int socket_shutdown_send(int fd);
int socket_accept(int fd);
int socket_close(int fd);
}  // namespace ev_detail

#endif  // _WIN32
