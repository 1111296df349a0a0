/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - server side of the echo workload (see echo.h) */
#define _GNU_SOURCE
#include "echo.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockets.h"

extern char **environ;

static pid_t guard_pid;

/* the time bound: a hung client or server must not outlive the run */
static void
on_alarm (int sig)
{
  (void)sig;
  static const char msg[] = "bench: echo: time bound exceeded, client killed\n";
  if (guard_pid > 0)
    kill (guard_pid, SIGKILL);
  if (write (2, msg, sizeof msg - 1) < 0)
    _exit (3);
  _exit (3);
}

/* bench/echo-client lives next to this program unless BENCH_ECHO_CLIENT says */
static void
client_path (char *buf, size_t size)
{
  const char *env = getenv ("BENCH_ECHO_CLIENT");
  if (env)
    {
      snprintf (buf, size, "%s", env);
      return;
    }
  ssize_t n = readlink ("/proc/self/exe", buf, size - 32);
  CHECK (n > 0, "readlink(/proc/self/exe)");
  buf[n] = 0;
  char *slash = strrchr (buf, '/');
  strcpy (slash ? slash + 1 : buf, "echo-client");
}

void
echo_start (struct echo_server *s)
{
  s->conns = (int)arg_long ("c", 100);
  long messages = arg_work ("messages", 200000, s->conns);
  s->per_conn = (messages + s->conns - 1) / s->conns;
  int bound = (int)arg_long ("timeout", 120);
  s->accepted = s->open = 0;
  s->echoed_bytes = 0;
  s->measuring = 0;
  fmt_label (s->label, sizeof s->label, "echo/C=%d", s->conns);
  s->lfd = listen_loopback (&s->port);

  char path[PATH_MAX], port[16], conns[16], per[24], size[16], tmo[16];
  client_path (path, sizeof path);
  snprintf (port, sizeof port, "%d", s->port);
  snprintf (conns, sizeof conns, "%d", s->conns);
  snprintf (per, sizeof per, "%ld", s->per_conn);
  snprintf (size, sizeof size, "%d", ECHO_MSG_SIZE);
  snprintf (tmo, sizeof tmo, "%d", bound);
  char *argv[] = { path, port, conns, per, size, tmo, 0 };
  int err = posix_spawn (&s->client, path, 0, 0, argv, environ);
  if (err)
    die ("echo: cannot start %s: %s", path, strerror (err));
  guard_pid = s->client;
  signal (SIGALRM, on_alarm);
  alarm ((unsigned)bound + 5);
  info ("echo", "%d connections x %ld messages of %d bytes, client pid %d",
        s->conns, s->per_conn, ECHO_MSG_SIZE, (int)s->client);
}

int
echo_accept (struct echo_server *s)
{
  int fd = accept4 (s->lfd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
        return -1;
      die_errno ("accept4");
    }
  echo_accepted (s);
  return fd;
}

void
echo_accepted (struct echo_server *s)
{
  ++s->open;
  ++s->accepted;
}

int
echo_closed (struct echo_server *s)
{
  if (--s->open || s->accepted < s->conns)
    return 0;
  region_end (&s->region, s->echoed_bytes / ECHO_MSG_SIZE, "ns/message");
  s->measuring = 2;
  return 1;
}

int
echo_fd (struct echo_server *s, int fd)
{
  echo_readable (s);
  char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf);
  if (n > 0)
    {
      /* the client has at most one 64-byte message in flight per
       * connection, so a short write cannot happen; if it did, the
       * workload would be wrong, so stop */
      if (write (fd, buf, (size_t)n) != n)
        die_errno ("echo: short write");
      echo_count (s, n);
      return 0;
    }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  return 1; /* EOF or reset */
}

void
echo_finish (struct echo_server *s)
{
  int status;
  if (waitpid (s->client, &status, 0) != s->client)
    die_errno ("waitpid(echo-client)");
  alarm (0);
  guard_pid = 0;
  if (!WIFEXITED (status) || WEXITSTATUS (status))
    die ("echo: the client failed (status 0x%x)", status);
  if (s->lfd >= 0)
    close (s->lfd);
}
