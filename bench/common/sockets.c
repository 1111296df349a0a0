/* SPDX-License-Identifier: BSD-2-Clause */
/* sockets.c - see sockets.h */
#define _GNU_SOURCE
#include "sockets.h"
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int *
socket_ring (int n)
{
  if (n < 2 || n % 2)
    die ("socket_ring: n=%d must be even and >= 2", n);
  int *fds = malloc ((size_t)n * sizeof *fds);
  CHECK (fds, "malloc");
  for (int i = 0; i < n; i += 2)
    CHECK (!socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds + i),
           "socketpair (raise the descriptor limit?)");
  return fds;
}

void
socket_ring_free (int *fds, int n)
{
  for (int i = 0; i < n; ++i)
    close (fds[i]);
  free (fds);
}

void
set_nonblock (int fd)
{
  int fl = fcntl (fd, F_GETFL);
  CHECK (fl >= 0 && fcntl (fd, F_SETFL, fl | O_NONBLOCK) == 0, "fcntl(O_NONBLOCK)");
}

int
listen_loopback (int *port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  CHECK (fd >= 0, "socket");
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  CHECK (!bind (fd, (struct sockaddr *)&sa, sizeof sa), "bind(127.0.0.1:0)");
  CHECK (!listen (fd, 4096), "listen");
  socklen_t len = sizeof sa;
  CHECK (!getsockname (fd, (struct sockaddr *)&sa, &len), "getsockname");
  *port = ntohs (sa.sin_port);
  return fd;
}

void
byte_write (int fd)
{
  if (write (fd, "e", 1) != 1)
    die_errno ("write(1 byte)");
}

void
byte_read (int fd)
{
  char c;
  if (read (fd, &c, 1) != 1)
    die_errno ("read(1 byte)");
}
