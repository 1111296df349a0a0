/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo_client.c - the load generator of the echo workload: a separate,
 * cheap raw-epoll process, the same for every library under test.
 *
 *   echo-client <port> <connections> <messages-per-connection> <size> <timeout-s>
 *
 * Opens the connections to 127.0.0.1:<port>, keeps one message in flight on
 * each until it was echoed <messages-per-connection> times, closes each
 * with a reset (no TIME_WAIT left behind across many runs) and exits 0.
 * Exits non-zero on any error; SIGALRM ends it after <timeout-s>.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn
{
  int fd;
  long left;     /* messages still to be echoed */
  int received;  /* bytes of the current message */
};

static void
fail (const char *what)
{
  fprintf (stderr, "echo-client: %s: %s\n", what, strerror (errno));
  exit (1);
}

int
main (int argc, char **argv)
{
  if (argc != 6)
    {
      fprintf (stderr, "usage: echo-client <port> <connections> <messages-per-connection> <size> <timeout-s>\n");
      return 2;
    }
  int port = atoi (argv[1]), n = atoi (argv[2]), size = atoi (argv[4]);
  long per = atol (argv[3]);
  if (port <= 0 || n <= 0 || per <= 0 || size <= 0 || size > 4096)
    {
      fprintf (stderr, "echo-client: bad arguments\n");
      return 2;
    }
  alarm ((unsigned)atoi (argv[5]));
  /* never outlive the server that started us (it may be killed by bench/run's
   * timeout) */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  struct rlimit rl;
  if (!getrlimit (RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  char msg[4096], buf[4096];
  memset (msg, 'x', sizeof msg);
  struct conn *c = calloc ((size_t)n, sizeof *c);
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  if (!c || ep < 0)
    fail ("setup");
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)port) };
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  int one = 1;
  /* all connections first (blocking connects complete in the kernel's
   * backlog), then the first message on each */
  for (int i = 0; i < n; ++i)
    {
      c[i].fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c[i].fd < 0 || connect (c[i].fd, (struct sockaddr *)&sa, sizeof sa))
        fail ("connect");
      setsockopt (c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c[i].left = per;
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
      if (epoll_ctl (ep, EPOLL_CTL_ADD, c[i].fd, &ev))
        fail ("epoll_ctl");
    }
  for (int i = 0; i < n; ++i)
    if (write (c[i].fd, msg, (size_t)size) != size)
      fail ("write");

  int active = n;
  struct epoll_event evs[256];
  while (active)
    {
      int k = epoll_wait (ep, evs, 256, -1);
      if (k < 0)
        {
          if (errno == EINTR)
            continue;
          fail ("epoll_wait");
        }
      for (int e = 0; e < k; ++e)
        {
          struct conn *x = &c[evs[e].data.u32];
          ssize_t r = read (x->fd, buf, sizeof buf);
          if (r <= 0)
            {
              if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
              errno = r ? errno : ECONNRESET;
              fail ("read (server closed early)");
            }
          x->received += (int)r;
          if (x->received < size)
            continue;
          if (x->received > size)
            {
              fprintf (stderr, "echo-client: more bytes than sent\n");
              return 1;
            }
          x->received = 0;
          if (--x->left)
            {
              if (write (x->fd, msg, (size_t)size) != size)
                fail ("write");
              continue;
            }
          struct linger lg = { 1, 0 };
          setsockopt (x->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          close (x->fd);
          --active;
        }
    }
  free (c);
  close (ep);
  return 0;
}
