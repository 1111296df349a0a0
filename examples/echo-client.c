/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/echo-client.c - the test client of the echo servers (make check).
 *
 *   usage: echo-client [-p] PORT CONNECTIONS BYTES [SECONDS]
 *
 * Opens CONNECTIONS connections to 127.0.0.1:PORT at once, sends BYTES
 * bytes of a different pseudo-random stream on each (in chunks of varying
 * size), checks that exactly the same bytes come back, then shuts down its
 * sending side and expects the server to close the connection.  All
 * connections progress together (poll()), and the client reads while it
 * writes, so a server that stops reading when its buffer is full is fine,
 * but a server that loses, reorders or duplicates a byte, mixes up two
 * connections or never closes fails.  Gives up after SECONDS (default 30).
 * With -p, prints "echo-client: all N connections echoing" as soon as a
 * byte came back on every connection (tests wait for it to interrupt a
 * server in the middle of transfers).
 *
 * Deliberately libev-free: the oracle should not share code with what it
 * tests.  Exit status 0 and one summary line on success, 1 and a reason on
 * failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct stream                 /* xorshift32: a reproducible byte stream per connection */
{
  uint32_t state;
};

static unsigned char
stream_next (struct stream *s)
{
  s->state ^= s->state << 13;
  s->state ^= s->state >> 17;
  s->state ^= s->state << 5;
  return (unsigned char) (s->state >> 24);
}

struct conn
{
  int fd;
  struct stream out, expect;  /* what we send, what must come back */
  struct stream chunk;        /* chooses the size of each send */
  unsigned long long sent, received;
  int shut;                   /* our sending side is shut down */
  int closed;                 /* the server closed, after echoing everything */
};

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
fail (unsigned i, const char *what)
{
  fprintf (stderr, "echo-client: connection %u: %s\n", i, what);
  return 1;
}

int
main (int argc, char **argv)
{
  int progress = argc > 1 && strcmp (argv[1], "-p") == 0;
  argc -= progress;
  argv += progress;
  if (argc < 4 || argc > 5)
    {
      fprintf (stderr, "usage: echo-client [-p] PORT CONNECTIONS BYTES [SECONDS]\n");
      return 64;
    }
  unsigned port = (unsigned) strtoul (argv[1], NULL, 10);
  unsigned n = (unsigned) strtoul (argv[2], NULL, 10);
  unsigned long long bytes = strtoull (argv[3], NULL, 10);
  double deadline = now () + (argc == 5 ? strtod (argv[4], NULL) : 30.);
  if (port < 1 || port > 65535 || n < 1 || n > 4096)
    {
      fprintf (stderr, "echo-client: bad arguments\n");
      return 64;
    }

  struct conn *conns = calloc (n, sizeof *conns);
  struct pollfd *pfds = calloc (n, sizeof *pfds);
  if (!conns || !pfds)
    return fail (0, "out of memory");

  struct sockaddr_in addr;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons ((unsigned short) port);

  for (unsigned i = 0; i < n; i++)
    {
      struct conn *c = &conns[i];
      c->fd = socket (AF_INET, SOCK_STREAM, 0);
      if (c->fd < 0 || connect (c->fd, (struct sockaddr *) &addr, sizeof addr) < 0)
        return fail (i, strerror (errno));
      fcntl (c->fd, F_SETFL, fcntl (c->fd, F_GETFL) | O_NONBLOCK);
      c->out.state = c->expect.state = 0x9e3779b9u ^ (i * 2654435761u + 1u);
      c->chunk.state = 0x85ebca6bu + i;
    }

  unsigned open = n, echoing = 0;
  while (open)
    {
      for (unsigned i = 0; i < n; i++)
        {
          struct conn *c = &conns[i];
          if (c->sent == bytes && !c->shut)
            {
              shutdown (c->fd, SHUT_WR);   /* "that was all": the server should close */
              c->shut = 1;
            }
          pfds[i].fd = c->closed ? -1 : c->fd;
          pfds[i].events = POLLIN | (c->sent < bytes ? POLLOUT : 0);
        }
      double left = deadline - now ();
      if (left <= 0)
        break;
      int r = poll (pfds, n, (int) (left * 1000) + 1);
      if (r < 0 && errno != EINTR)
        return fail (0, strerror (errno));

      for (unsigned i = 0; i < n && r > 0; i++)
        {
          struct conn *c = &conns[i];
          if (c->closed || !pfds[i].revents)
            continue;

          if (c->sent < bytes && (pfds[i].revents & POLLOUT))
            {
              unsigned char buf[8192];
              size_t len = 1 + stream_next (&c->chunk) * 32u;   /* 1 .. 8161 bytes */
              if (len > bytes - c->sent)
                len = (size_t) (bytes - c->sent);
              struct stream peek = c->out;
              for (size_t k = 0; k < len; k++)
                buf[k] = stream_next (&peek);
              ssize_t w = send (c->fd, buf, len, MSG_NOSIGNAL);
              if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return fail (i, strerror (errno));
              for (ssize_t k = 0; k < w; k++)
                stream_next (&c->out);     /* advance by what was really sent */
              if (w > 0)
                c->sent += (unsigned long long) w;
            }
          if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
            {
              unsigned char buf[16384];
              ssize_t got = recv (c->fd, buf, sizeof buf, 0);
              if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return fail (i, strerror (errno));
              for (ssize_t k = 0; k < got; k++)
                if (buf[k] != stream_next (&c->expect))
                  {
                    char what[96];
                    snprintf (what, sizeof what, "wrong byte at offset %llu",
                              c->received + (unsigned long long) k);
                    return fail (i, what);
                  }
              if (got > 0)
                {
                  if (c->received == 0 && ++echoing == n && progress)
                    {
                      printf ("echo-client: all %u connections echoing\n", n);
                      fflush (stdout);
                    }
                  c->received += (unsigned long long) got;
                }
              if (c->received > c->sent)
                return fail (i, "received more than was sent");
              if (got == 0)
                {
                  if (c->received != bytes)
                    return fail (i, "closed by the server before everything was echoed");
                  c->closed = 1;
                  close (c->fd);
                  open--;
                }
            }
        }
    }

  if (open)
    {
      for (unsigned i = 0; i < n; i++)
        if (!conns[i].closed)
          {
            char what[128];
            snprintf (what, sizeof what, "timed out: sent %llu, received %llu of %llu bytes%s",
                      conns[i].sent, conns[i].received, bytes,
                      conns[i].received == bytes ? ", no close" : "");
            return fail (i, what);
          }
    }

  printf ("echo-client: %u connections, %llu bytes echoed correctly\n", n, bytes * n);
  free (conns);
  free (pfds);
  return 0;
}
