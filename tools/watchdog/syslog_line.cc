// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/syslog_line.cc - see syslog_line.h.  Not syslog(3),
// which tags a line with the caller's own name and pid, where the line must
// carry those of the program watched.
#include "syslog_line.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <initializer_list>

namespace ev_watchdog {

namespace {

// The log's socket, _PATH_LOG of the C library.
constexpr char kLogPath[] = "/dev/log";

// <PRI>: facility user (1) times 8, plus severity warning (4).
constexpr int kUserWarning = 1 * 8 + 4;

// A connected socket to the log, or -1.  The log may be a datagram socket
// (every syslog daemon on Linux) or a stream socket (some minimal ones).
int connect_log(int &type)
{
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::memcpy(to.sun_path, kLogPath, sizeof kLogPath);
  for (int t : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = ::socket(AF_UNIX, t | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) == 0) {
      type = t;
      return fd;
    }
    const int why = errno;
    ::close(fd);
    if (why != EPROTOTYPE)
      return -1;
  }
  return -1;
}

}  // namespace

bool syslog_line(const char *text, const char *name, pid_t pid)
{
  // No timestamp: every Linux syslog daemon stamps a local message that has
  // none with the time it arrived, and the local time needs the zone lock.
  char line[1024];
  int n = std::snprintf(line, sizeof line, "<%d>%s[%d]: %s", kUserWarning, name, static_cast<int>(pid), text);
  if (n < 0)
    return false;
  if (n >= static_cast<int>(sizeof line))
    n = sizeof line - 1;
  int type = 0;
  const int fd = connect_log(type);
  if (fd < 0)
    return false;
  // A stream log reads a line up to its NUL.
  const std::size_t size = static_cast<std::size_t>(n) + (type == SOCK_STREAM ? 1 : 0);
  ssize_t sent;
  do
    sent = ::send(fd, line, size, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(size);
}

}  // namespace ev_watchdog
