/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockets.h - descriptors for the workloads: rings of socketpair ends, a
 * loopback listener, one-byte reads and writes that must not fail.
 */
#ifndef BENCH_SOCKETS_H
#define BENCH_SOCKETS_H

/* n descriptors (n even) from n/2 non-blocking AF_UNIX socketpairs: fds[i]
 * and fds[i ^ 1] are the two ends of one pair, so writing to fds[i ^ 1] makes
 * fds[i] readable.  Every end is watched: N watched descriptors cost N, not
 * 2N, descriptors, which keeps N = 10000 under a hard limit of 20000. */
int *socket_ring (int n);
void socket_ring_free (int *fds, int n);

void set_nonblock (int fd);

/* a listening TCP socket on 127.0.0.1 with an ephemeral port */
int listen_loopback (int *port);

/* exactly one byte, or die: a short read or write would silently change the
 * workload */
void byte_write (int fd);
void byte_read (int fd);

#endif
