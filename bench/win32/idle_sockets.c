/* SPDX-License-Identifier: BSD-2-Clause */
/* bench/win32/idle_sockets.c - what an idle socket costs a loop iteration on Windows (run under
 * Wine by bench/win32/idle_sockets.sh): ev_run (EVRUN_NOWAIT) with one active socket (one byte
 * never read, so that it is reported in every iteration) and N idle ones watched for EV_READ,
 * on select or AFD (EVBACKEND_NG_AFD).  Prints the fastest and the median of 11 batches of 100
 * iterations, in microseconds per iteration: the fastest is the one least disturbed by other
 * work on a shared machine (each iteration is a few round trips to wineserver, another
 * process), and the process's own CPU time per iteration (GetProcessTimes over all batches),
 * which leaves out wineserver's share, so that what the library does is seen apart from
 * Wine's emulation of the kernel.  Not a test: the figures are Wine's, not Windows'.
 *
 *   idle_sockets.exe select|afd N
 *
 * Built against libev-4.dll, its fds are the C runtime's, whose table (2,048 fds with msvcrt)
 * bounds N.  Built with IDLE_SOCKETS_RAW beside the embedding kit configured by
 * bench/win32/raw_sockets_config.h (ev(3)'s EV_FD_TO_WIN32_HANDLE and EV_WIN32_HANDLE_TO_FD as
 * the identity), its fds are the SOCKET handles themselves, as an embedder may make them, and
 * the C runtime bounds nothing. */
#include <winsock2.h>
#include <windows.h>

#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"

static SOCKET listener;
static struct sockaddr_in addr;

static int
connected_pair (int fds[2])
{
  SOCKET a = socket (AF_INET, SOCK_STREAM, 0), b;
  if (a == INVALID_SOCKET || connect (a, (struct sockaddr *)&addr, sizeof addr)
      || (b = accept (listener, 0, 0)) == INVALID_SOCKET)
    return -1;
#ifdef IDLE_SOCKETS_RAW
  fds[0] = (int)a;
  fds[1] = (int)b;
  return 0;
#else
  fds[0] = _open_osfhandle ((intptr_t)a, 0);
  fds[1] = _open_osfhandle ((intptr_t)b, 0);
  return fds[0] >= 0 && fds[1] >= 0 ? 0 : -1;
#endif
}

static SOCKET
socket_of (int fd)
{
#ifdef IDLE_SOCKETS_RAW
  return (SOCKET)fd;
#else
  return (SOCKET)_get_osfhandle (fd);
#endif
}

static int reports;
static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  ++reports;
}

static unsigned long long
ticks (FILETIME t) /* of 100 ns */
{
  return ((unsigned long long)t.dwHighDateTime << 32) | t.dwLowDateTime;
}

static int
compare (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: idle_sockets.exe select|afd N\n");
      return 2;
    }
  int afd = !strcmp (argv[1], "afd"), idle = atoi (argv[2]);
  WSADATA wsa;
  WSAStartup (MAKEWORD (2, 2), &wsa);
  struct ev_loop *loop = ev_loop_new ((afd ? EVBACKEND_NG_AFD : EVBACKEND_SELECT) | EVFLAG_NOENV);
  int len = sizeof addr;
  listener = socket (AF_INET, SOCK_STREAM, 0);
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (!loop || bind (listener, (struct sockaddr *)&addr, sizeof addr) || listen (listener, 64)
      || getsockname (listener, (struct sockaddr *)&addr, &len))
    return 1;

  int active[2];
  if (connected_pair (active))
    return 1;
  send (socket_of (active[0]), "x", 1, 0);
  ev_io aw;
  ev_io_init (&aw, io_cb, active[1], EV_READ);
  ev_io_start (loop, &aw);
  ev_io *idle_w = calloc ((size_t)idle + 1, sizeof *idle_w);
  int made = 0;
  while (made < idle)
    {
      int p[2];
      if (connected_pair (p))
        break;
      for (int j = 0; j < 2 && made < idle; ++j, ++made)
        {
          ev_io_init (&idle_w[made], io_cb, p[j], EV_READ);
          ev_io_start (loop, &idle_w[made]);
        }
    }
  if (made < idle)
    {
      fprintf (stderr, "idle_sockets: only %d idle sockets (Winsock error %d)\n", made, WSAGetLastError ());
      return 1;
    }

  LARGE_INTEGER f, t0, t1;
  QueryPerformanceFrequency (&f);
  enum { kBatches = 11, kIterations = 100 };
  double us[kBatches];
  for (int i = 0; i < 200; ++i) /* warm up: every request submitted */
    ev_run (loop, EVRUN_NOWAIT);
  reports = 0;
  FILETIME created, exited, kernel0, user0, kernel1, user1;
  GetProcessTimes (GetCurrentProcess (), &created, &exited, &kernel0, &user0);
  for (int b = 0; b < kBatches; ++b)
    {
      QueryPerformanceCounter (&t0);
      for (int i = 0; i < kIterations; ++i)
        ev_run (loop, EVRUN_NOWAIT);
      QueryPerformanceCounter (&t1);
      us[b] = (double)(t1.QuadPart - t0.QuadPart) * 1e6 / (double)f.QuadPart / kIterations;
    }
  GetProcessTimes (GetCurrentProcess (), &created, &exited, &kernel1, &user1);
  double cpu_us = ((double)(ticks (kernel1) - ticks (kernel0)) + (double)(ticks (user1) - ticks (user0))) / 10.
                  / (kBatches * kIterations);
  qsort (us, kBatches, sizeof us[0], compare);
  printf ("%s\t%d idle sockets\tus per iteration: %.1f fastest batch, %.1f median, %.1f CPU of the process\t(%d of "
          "%d reported the active socket)\n",
          afd ? "afd" : "select", idle, us[0], us[kBatches / 2], cpu_us, reports, kBatches * kIterations);
  return reports == kBatches * kIterations ? 0 : 1;
}
