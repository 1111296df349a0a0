/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/prefork-client-check.c - the test client of
 * examples/prefork-server (make check): many short connections, a few at a
 * time, and which worker answered each.
 *
 *   usage: prefork-client-check PORT CONNECTIONS PARALLEL
 *
 * Makes CONNECTIONS connections to 127.0.0.1:PORT in groups of PARALLEL
 * that are open at the same time.  On each it expects the greeting
 * "hello from worker PID", sends "ping N" and expects it echoed, then
 * closes.  Prints one line per worker seen, "worker PID: N connections"
 * (in order of pid), then "N connections answered by K workers".
 *
 * Deliberately libev-free.  Exit status 0, or 1 with a reason on stderr if
 * a connection fails, an answer is wrong or missing after 10 seconds.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARALLEL 64
#define MAX_WORKERS 256
#define TIMEOUT 10.

struct worker
{
  long pid;
  unsigned count;           /* connections it answered */
};
static struct worker seen[MAX_WORKERS];
static unsigned nseen;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die (const char *what, unsigned conn)
{
  fprintf (stderr, "prefork-client-check: connection %u: %s\n", conn, what);
  exit (1);
}

/* Reads one line (without its '\n') from fd into line[size], waiting at
 * most until deadline.  Byte by byte: the lines are short, and nothing past
 * the newline may be consumed. */
static void
read_line (int fd, char *line, size_t size, double deadline, unsigned conn)
{
  size_t len = 0;
  for (;;)
    {
      double left = deadline - now ();
      if (left <= 0)
        die ("no answer in time", conn);
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, (int) (left * 1000) + 1);
      if (r < 0 && errno != EINTR)
        die (strerror (errno), conn);
      if (r <= 0)
        continue;
      char ch;
      ssize_t n = recv (fd, &ch, 1, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die (strerror (errno), conn);
      if (n == 0)
        die ("closed by the server", conn);
      if (ch == '\n')
        {
          line[len] = 0;
          return;
        }
      if (len + 1 >= size)
        die ("line too long", conn);
      line[len++] = ch;
    }
}

static void
count_worker (long pid)
{
  for (unsigned i = 0; i < nseen; i++)
    if (seen[i].pid == pid)
      {
        seen[i].count++;
        return;
      }
  if (nseen == MAX_WORKERS)
    {
      fprintf (stderr, "prefork-client-check: more than %d workers\n", MAX_WORKERS);
      exit (1);
    }
  seen[nseen].pid = pid;
  seen[nseen++].count = 1;
}

static int
by_pid (const void *a, const void *b)
{
  long x = ((const struct worker *) a)->pid, y = ((const struct worker *) b)->pid;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  char *end;
  unsigned long port = argc == 4 ? strtoul (argv[1], &end, 10) : 0;
  unsigned long total = argc == 4 ? strtoul (argv[2], &end, 10) : 0;
  unsigned long parallel = argc == 4 ? strtoul (argv[3], &end, 10) : 0;
  if (argc != 4 || port == 0 || port > 65535 || parallel == 0 || parallel > MAX_PARALLEL)
    {
      fprintf (stderr, "usage: %s PORT CONNECTIONS PARALLEL (1 to %d)\n", argv[0], MAX_PARALLEL);
      return 64;
    }

  struct sockaddr_in addr;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons ((unsigned short) port);

  for (unsigned done = 0; done < total;)
    {
      int fds[MAX_PARALLEL];
      unsigned group = total - done < parallel ? (unsigned) (total - done) : (unsigned) parallel;
      double deadline = now () + TIMEOUT;

      /* open the whole group first: the connections wait together */
      for (unsigned i = 0; i < group; i++)
        {
          fds[i] = socket (AF_INET, SOCK_STREAM, 0);
          if (fds[i] < 0 || connect (fds[i], (struct sockaddr *) &addr, sizeof addr) < 0)
            die (strerror (errno), done + i);
        }
      for (unsigned i = 0; i < group; i++)
        {
          unsigned conn = done + i;
          char line[128], expected[128], ping[32];
          long pid;
          read_line (fds[i], line, sizeof line, deadline, conn);
          if (sscanf (line, "hello from worker %ld", &pid) != 1 || pid <= 0
              || (snprintf (expected, sizeof expected, "hello from worker %ld", pid), strcmp (line, expected)))
            die ("unexpected greeting", conn);
          int n = snprintf (ping, sizeof ping, "ping %u\n", conn);
          if (send (fds[i], ping, (size_t) n, MSG_NOSIGNAL) != n)
            die ("send failed", conn);
          read_line (fds[i], line, sizeof line, deadline, conn);
          ping[n - 1] = 0;
          if (strcmp (line, ping) != 0)
            die ("wrong echo", conn);
          count_worker (pid);
          close (fds[i]);
        }
      done += group;
    }

  qsort (seen, nseen, sizeof seen[0], by_pid);
  for (unsigned i = 0; i < nseen; i++)
    printf ("worker %ld: %u connections\n", seen[i].pid, seen[i].count);
  printf ("%lu connections answered by %u workers\n", total, nseen);
  return 0;
}
