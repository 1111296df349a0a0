/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/full-backlog.c - test helper (no libev): a listening socket whose
 * accept queue is full, so that a connect() to it hangs.
 *
 *   usage: full-backlog
 *
 * Prints "full-backlog: listening on 127.0.0.1:PORT" and then sleeps until
 * killed.  examples/test-tcp-client.sh points tcp-client at it to exercise
 * the connect timeout without leaving the loopback interface.
 *
 * Why this works (Linux): the socket listens with a backlog of 0 and never
 * accepts.  The kernel admits one finished connection into the accept queue
 * (the helper makes it itself); once that queue is full it silently drops
 * every further SYN, without a reset, so the connecting side stays in
 * SYN-SENT and only retransmits, exactly like a peer behind a firewall that
 * drops packets.  An address that merely does not exist would not do: on
 * loopback the kernel answers at once with "connection refused" or "network
 * unreachable".
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A few more than the accept queue holds: whatever the exact admission rule
 * of the kernel, the queue is full once these are made. */
#define FILLERS 3

int
main (void)
{
  struct sockaddr_in addr;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  socklen_t len = sizeof addr;

  int lfd = socket (AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (lfd, 0) < 0 || getsockname (lfd, (struct sockaddr *) &addr, &len) < 0)
    {
      perror ("full-backlog");
      return 1;
    }

  /* Fill the queue with our own connections: non-blocking, because those
   * beyond the queue's capacity hang just like the ones we want to cause. */
  for (int i = 0; i < FILLERS; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || fcntl (fd, F_SETFL, O_NONBLOCK) < 0
          || (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0 && errno != EINPROGRESS))
        {
          perror ("full-backlog: filler");
          return 1;
        }
      struct timespec gap = { 0, 20 * 1000 * 1000 };
      nanosleep (&gap, NULL);   /* let the handshake finish before the next SYN */
    }

  printf ("full-backlog: listening on 127.0.0.1:%u\n", (unsigned) ntohs (addr.sin_port));
  fflush (stdout);
  for (;;)
    pause ();           /* until killed; the kernel closes everything */
}
