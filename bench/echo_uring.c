/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo_uring.c - the echo server of bench/echo-servers written directly on liburing: the limit
 * the streams server is measured against (issue 61).  Built only where liburing is found.
 *
 *   echo-server-uring [-b BUFFERS] [PORT]
 *
 * One ring, one thread.  A multishot accept takes the connections (each gets TCP_NODELAY, as in
 * bench/echo_server.c); each connection has a multishot receive into a ring of provided
 * buffers (BUFFERS of 16 KiB, default 1,024: the 16 MiB libev-ng's stream pool lends at most);
 * what arrives is sent back from the buffer it arrived in by a send request, one in flight a
 * connection (the rest queued in order behind it), and the buffer goes back to the ring when
 * its send completed.  A receive that ends for want of buffers is started again once buffers
 * came back.  Every iteration is one io_uring_submit_and_wait: the sends prepared while the
 * completions were handled go to the kernel with the wait for the next ones.  The ring asks
 * for single issuer and deferred task work where the kernel has them.  Prints
 * "echo-server-uring: listening on 127.0.0.1:PORT setup FLAGS" first, then runs until killed.
 */
#define _GNU_SOURCE

#include <liburing.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (16 * 1024)
#define BGID 1
enum { OP_ACCEPT, OP_RECV, OP_SEND };

struct piece
{
  struct piece *next;
  unsigned bid, off, len;            /* bytes off..len of buffer bid, still to send */
};

struct conn
{
  int fd;
  int recv_armed;                    /* the multishot receive is on */
  int sending;                       /* the head of the queue is in a send request */
  int closing;                       /* end of stream or error: close once nothing is in flight */
  struct piece *head, *tail;         /* received, not yet sent back, in order */
  struct conn *starved;              /* the next on the list of receives waiting for buffers */
  int waiting;                       /* on that list */
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static unsigned nbufs = 1024, returned;
static struct piece *free_pieces;
static struct conn *starved;
static int lfd;

static void
die (const char *what, int err)
{
  fprintf (stderr, "echo-server-uring: %s: %s\n", what, strerror (err));
  exit (1);
}

static struct io_uring_sqe *
sqe (void)
{
  struct io_uring_sqe *s = io_uring_get_sqe (&ring);
  if (!s)
    {
      /* the submission queue is full: hand it over now (rare: 4,096 entries) */
      io_uring_submit (&ring);
      s = io_uring_get_sqe (&ring);
      if (!s)
        die ("io_uring_get_sqe", EBUSY);
    }
  return s;
}

static void *
tag (void *p, int op)
{
  return (void *) ((uintptr_t) p | (uintptr_t) op);
}

static void
arm_accept (void)
{
  struct io_uring_sqe *s = sqe ();
  io_uring_prep_multishot_accept (s, lfd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data (s, tag (0, OP_ACCEPT));
}

static void
arm_recv (struct conn *c)
{
  struct io_uring_sqe *s = sqe ();
  io_uring_prep_recv_multishot (s, c->fd, NULL, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = BGID;
  io_uring_sqe_set_data (s, tag (c, OP_RECV));
  c->recv_armed = 1;
}

static void
send_head (struct conn *c)
{
  struct piece *p = c->head;
  struct io_uring_sqe *s = sqe ();
  io_uring_prep_send (s, c->fd, bufs + (size_t) p->bid * BUF_SIZE + p->off, p->len - p->off, MSG_NOSIGNAL);
  io_uring_sqe_set_data (s, tag (c, OP_SEND));
  c->sending = 1;
}

static void
give_back (unsigned bid)
{
  io_uring_buf_ring_add (br, bufs + (size_t) bid * BUF_SIZE, BUF_SIZE, (unsigned short) bid,
                         io_uring_buf_ring_mask (nbufs), (int) returned);
  ++returned;
}

/* closes the connection once no request of it is in flight */
static void
maybe_free (struct conn *c)
{
  if (!c->closing || c->recv_armed || c->sending || c->waiting)
    return;
  while (c->head)
    {
      struct piece *p = c->head;
      c->head = p->next;
      give_back (p->bid);
      p->next = free_pieces;
      free_pieces = p;
    }
  close (c->fd);
  free (c);
}

static void
on_accept (struct io_uring_cqe *cqe)
{
  if (!(cqe->flags & IORING_CQE_F_MORE))
    arm_accept ();
  if (cqe->res < 0)
    return;
  int fd = cqe->res, one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct conn *c = calloc (1, sizeof *c);
  if (!c)
    {
      close (fd);
      return;
    }
  c->fd = fd;
  arm_recv (c);
}

static void
on_recv (struct conn *c, struct io_uring_cqe *cqe)
{
  if (!(cqe->flags & IORING_CQE_F_MORE))
    c->recv_armed = 0;
  if (cqe->res > 0)
    {
      struct piece *p = free_pieces;
      if (p)
        free_pieces = p->next;
      else if (!(p = malloc (sizeof *p)))
        die ("malloc", ENOMEM);
      p->next = 0;
      p->bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      p->off = 0;
      p->len = (unsigned) cqe->res;
      if (c->tail)
        c->tail->next = p;
      else
        c->head = p;
      c->tail = p;
      if (!c->sending && !c->closing)
        send_head (c);
      if (!c->recv_armed && !c->closing)
        arm_recv (c);               /* ended with data: the kernel's choice, go on */
      return;
    }
  if (cqe->res == -ENOBUFS && !c->closing)
    {
      /* every buffer is out: the bytes wait in the kernel until some come back */
      c->starved = starved;
      c->waiting = 1;
      starved = c;
      return;
    }
  /* end of stream, or an error (the client's reset at the end) */
  c->closing = 1;
  if (c->recv_armed)
    shutdown (c->fd, SHUT_RDWR);     /* ends the receive */
  maybe_free (c);
}

static void
on_send (struct conn *c, struct io_uring_cqe *cqe)
{
  struct piece *p = c->head;
  c->sending = 0;
  if (cqe->res < 0)
    {
      c->closing = 1;
      if (c->recv_armed)
        shutdown (c->fd, SHUT_RDWR);
      maybe_free (c);
      return;
    }
  p->off += (unsigned) cqe->res;
  if (p->off < p->len && !c->closing)
    {
      send_head (c);                /* a partial send: the rest, before anything after it */
      return;
    }
  c->head = p->next;
  if (!c->head)
    c->tail = 0;
  give_back (p->bid);
  p->next = free_pieces;
  free_pieces = p;
  if (c->head && !c->closing)
    send_head (c);
  maybe_free (c);
}

int
main (int argc, char **argv)
{
  int opt;
  unsigned port = 0;
  while ((opt = getopt (argc, argv, "b:")) != -1)
    if (opt == 'b')
      nbufs = (unsigned) atoi (optarg);
    else
      return 64;
  if (optind < argc)
    port = (unsigned) atoi (argv[optind]);
  if (nbufs < 1 || nbufs > 32768 || (nbufs & (nbufs - 1)) || port > 65535)
    {
      fprintf (stderr, "usage: %s [-b BUFFERS, a power of 2] [PORT]\n", argv[0]);
      return 64;
    }
  struct rlimit rl;
  if (!getrlimit (RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &sa, sizeof sa) || listen (lfd, SOMAXCONN)
      || getsockname (lfd, (struct sockaddr *) &sa, &len))
    die ("listen", errno);

  /* the best setup the kernel has, then less */
  struct io_uring_params params;
  unsigned flags[] = { IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
                       IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, 0 };
  int err = -EINVAL;
  unsigned used = 0;
  for (unsigned i = 0; i < sizeof flags / sizeof *flags && err < 0; ++i)
    {
      memset (&params, 0, sizeof params);
      params.flags = flags[i] | IORING_SETUP_CQSIZE;
      params.cq_entries = 16384;
      err = io_uring_queue_init_params (4096, &ring, &params);
      used = params.flags;
    }
  if (err < 0)
    die ("io_uring_queue_init_params", -err);

  /* the provided buffers: a ring the kernel takes them from, and the buffers themselves */
  size_t ring_size = nbufs * sizeof (struct io_uring_buf);
  br = mmap (NULL, ring_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (br == MAP_FAILED)
    die ("mmap", errno);
  if (posix_memalign ((void **) &bufs, 4096, (size_t) nbufs * BUF_SIZE))
    die ("posix_memalign", ENOMEM);
  struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t) br, .ring_entries = nbufs, .bgid = BGID };
  if ((err = io_uring_register_buf_ring (&ring, &reg, 0)) < 0)
    die ("io_uring_register_buf_ring", -err);
  io_uring_buf_ring_init (br);
  for (unsigned b = 0; b < nbufs; ++b)
    give_back (b);
  io_uring_buf_ring_advance (br, (int) returned);
  returned = 0;

  arm_accept ();
  printf ("echo-server-uring: listening on 127.0.0.1:%u setup 0x%x buffers %u\n", ntohs (sa.sin_port), used,
          nbufs);
  fflush (stdout);

  for (;;)
    {
      err = io_uring_submit_and_wait (&ring, 1);
      if (err < 0 && err != -EINTR && err != -ETIME)
        die ("io_uring_submit_and_wait", -err);
      struct io_uring_cqe *cqe;
      unsigned head, seen = 0;
      io_uring_for_each_cqe (&ring, head, cqe)
        {
          ++seen;
          uintptr_t data = (uintptr_t) io_uring_cqe_get_data (cqe);
          struct conn *c = (struct conn *) (data & ~(uintptr_t) 3);
          switch (data & 3)
            {
            case OP_ACCEPT: on_accept (cqe); break;
            case OP_RECV: on_recv (c, cqe); break;
            case OP_SEND: on_send (c, cqe); break;
            }
        }
      io_uring_cq_advance (&ring, seen);
      if (returned)
        {
          io_uring_buf_ring_advance (br, (int) returned);
          returned = 0;
          /* buffers came back: the receives that ran out go on */
          while (starved)
            {
              struct conn *c = starved;
              starved = c->starved;
              c->waiting = 0;
              if (c->closing)
                maybe_free (c);
              else
                arm_recv (c);
            }
        }
    }
}
