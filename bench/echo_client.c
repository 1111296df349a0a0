/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo_client.c - the load generator of the echo workload and of bench/echo-servers: a
 * separate, cheap raw-epoll process, the same for every server under test.
 *
 *   echo-client <port> <connections> <messages-per-connection> <size> <timeout-s>
 *
 * Opens the connections to 127.0.0.1:<port>, keeps one message in flight on
 * each until it was echoed <messages-per-connection> times, closes each
 * with a reset (no TIME_WAIT left behind across many runs) and exits 0.
 * Exits non-zero on any error; SIGALRM ends it after <timeout-s>.
 *
 *   echo-client -p PORT -c CONNECTIONS -n MESSAGES-PER-CONNECTION -s SIZE -t TIMEOUT-S [-b BATCH] [-w]
 *
 * The same load in phases, for a script that measures the server over the load only (-w, on
 * stdin and stdout): connects in batches of BATCH (default 1,000; fewer than the listen
 * backlog, so that no connect waits for a SYN to be sent again) and echoes one message on each
 * connection of a batch before the next, so that at most BATCH are in flight at once; prints
 * "ready CONNECTIONS" and waits for a line on stdin; then the ping-pong, every connection with
 * one message in flight until each was echoed MESSAGES-PER-CONNECTION times (0: none; the
 * connections stay idle); prints "done MESSAGES NS" (the messages echoed and the nanoseconds
 * they took) and waits for another line; then closes every connection with a reset and exits 0.  Without -w the phases follow each other at once.
 * Every byte that comes back is checked: the k-th message of a connection is SIZE times one
 * letter that changes from message to message.  SIZE is at most 1 MiB.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn
{
  int fd;
  long left;     /* messages still to be echoed */
  long sent;     /* messages sent on this connection (the letter of the next) */
  int received;  /* bytes of the current message */
};

static void
fail (const char *what)
{
  fprintf (stderr, "echo-client: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
raise_fd_limit (void)
{
  struct rlimit rl;
  if (!getrlimit (RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

/* the legacy form: every connection at once, each closed when its messages are done */
static int
legacy (int argc, char **argv)
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
  raise_fd_limit ();

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

/* --- the phased form (-p ...) --------------------------------------------------------- */

static int ep, size;
static char *msg, *buf;
#define BUF_SIZE (1 << 20)

static char
letter (long k)
{
  return (char)('a' + k % 26);
}

static void
send_message (struct conn *x)
{
  memset (msg, letter (x->sent), (size_t)size);
  ++x->sent;
  /* a blocking socket: write returns when all was queued (or on an error) */
  for (int done = 0; done < size;)
    {
      ssize_t w = write (x->fd, msg + done, (size_t)(size - done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        fail ("write");
      done += (int)w;
    }
}

/* Runs until `active` connections of c have no message left; each gets its next message as
 * soon as the last was echoed in full. */
static void
ping_pong (struct conn *c, long active)
{
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
          ssize_t r = read (x->fd, buf, BUF_SIZE);
          if (r <= 0)
            {
              if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
              errno = r ? errno : ECONNRESET;
              fail ("read (server closed early)");
            }
          if (x->left <= 0 || x->received + r > size)
            {
              fprintf (stderr, "echo-client: more bytes than sent\n");
              exit (1);
            }
          char want = letter (x->sent - 1);
          for (ssize_t i = 0; i < r; ++i)
            if (buf[i] != want)
              {
                fprintf (stderr, "echo-client: a byte came back changed\n");
                exit (1);
              }
          x->received += (int)r;
          if (x->received < size)
            continue;
          x->received = 0;
          if (--x->left)
            send_message (x);
          else
            --active;
        }
    }
}

static void
wait_line (const char *say)
{
  if (say)
    {
      fputs (say, stdout);
      fflush (stdout);
    }
  char line[64];
  if (!fgets (line, sizeof line, stdin))
    {
      fprintf (stderr, "echo-client: standard input closed: stopping\n");
      exit (1);
    }
}

static int
phased (int argc, char **argv)
{
  int port = 0, n = 0, opt, wait = 0, bound = 60, batch = 1000;
  long per = -1;
  while ((opt = getopt (argc, argv, "p:c:n:s:t:b:w")) != -1)
    switch (opt)
      {
      case 'p': port = atoi (optarg); break;
      case 'c': n = atoi (optarg); break;
      case 'n': per = atol (optarg); break;
      case 's': size = atoi (optarg); break;
      case 't': bound = atoi (optarg); break;
      case 'b': batch = atoi (optarg); break;
      case 'w': wait = 1; break;
      default: return 2;
      }
  if (optind != argc || port <= 0 || port > 65535 || n <= 0 || per < 0 || size <= 0 || size > BUF_SIZE
      || bound <= 0 || batch <= 0 || batch > 4096)
    {
      fprintf (stderr, "usage: echo-client -p PORT -c CONNECTIONS -n MESSAGES-PER-CONNECTION -s SIZE -t TIMEOUT-S [-b BATCH] [-w]\n");
      return 2;
    }
  alarm ((unsigned)bound);
  raise_fd_limit ();
  msg = malloc (BUF_SIZE);
  buf = malloc (BUF_SIZE);
  struct conn *c = calloc ((size_t)n, sizeof *c);
  ep = epoll_create1 (EPOLL_CLOEXEC);
  if (!c || !msg || !buf || ep < 0)
    fail ("setup");
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)port) };
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  int one = 1;

  /* the connections, and one message echoed on each, a batch at a time */
  for (int first = 0; first < n; first += batch)
    {
      int last = first + batch < n ? first + batch : n;
      for (int i = first; i < last; ++i)
        {
          c[i].fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          if (c[i].fd < 0)
            fail ("socket");
          if (connect (c[i].fd, (struct sockaddr *)&sa, sizeof sa))
            fail ("connect");
          setsockopt (c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
          if (epoll_ctl (ep, EPOLL_CTL_ADD, c[i].fd, &ev))
            fail ("epoll_ctl");
          c[i].left = 1;
          send_message (&c[i]);
        }
      ping_pong (c, last - first);
    }

  char line[64];
  snprintf (line, sizeof line, "ready %d\n", n);
  if (wait)
    wait_line (line);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  if (per > 0)
    {
      for (int i = 0; i < n; ++i)
        {
          c[i].left = per;
          send_message (&c[i]);
        }
      ping_pong (c, n);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  printf ("done %lld %lld\n", (long long)n * per, ns);
  fflush (stdout);
  if (wait)
    wait_line (0);

  for (int i = 0; i < n; ++i)
    {
      struct linger lg = { 1, 0 };
      setsockopt (c[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close (c[i].fd);
    }
  free (c);
  close (ep);
  return 0;
}

int
main (int argc, char **argv)
{
  /* never outlive whoever started us (bench/run's timeout may kill it) */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (argc > 1 && argv[1][0] == '-')
    return phased (argc, argv);
  return legacy (argc, argv);
}
