/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/posix.c - the POSIX calls of t/win32/posix.h, on Windows: pipes as loopback TCP
 * socket pairs, read/write/close/fcntl that know a socket's fd, and ENOSYS for what Windows
 * has not. */
#include "posix.h"
#include "socket_pair.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* (the definitions below call the real functions) */
#undef pipe
#undef pipe2
#undef socketpair
#undef read
#undef write
#undef close
#undef fcntl
#undef shutdown
#undef recv
#undef send
#undef poll

static void
wsa_start (void)
{
  static int started;
  WSADATA wsa;
  if (!started && WSAStartup (MAKEWORD (2, 2), &wsa) == 0)
    started = 1;
}

SOCKET
win_socket_of (int fd)
{
  return (SOCKET)_get_osfhandle (fd);
}

int
win_is_socket (int fd)
{
  int type, len = sizeof type;
  SOCKET s = win_socket_of (fd);
  wsa_start ();
  return s != INVALID_SOCKET && getsockopt (s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/* Winsock's error as errno, for the few the tests look at */
static int
wsa_errno (void)
{
  switch (WSAGetLastError ())
    {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAECONNRESET: return ECONNRESET;
    case WSAENOTSOCK: return EBADF;
    case WSAEINTR: return EINTR;
    case WSAESHUTDOWN: return EPIPE;
    default: return EIO;
    }
}

int
win_socket_pair (int fds[2])
{
  wsa_start ();
  if (win32_socket_pair (fds) == 0)
    return 0;
  errno = EMFILE;
  return -1;
}

int
win_pipe (int fds[2])
{
  return win_socket_pair (fds);
}

int
win_pipe2 (int fds[2], int flags)
{
  if (win_socket_pair (fds))
    return -1;
  if (flags & O_NONBLOCK)
    {
      win_fcntl (fds[0], F_SETFL, O_NONBLOCK);
      win_fcntl (fds[1], F_SETFL, O_NONBLOCK);
    }
  return 0;
}

int
win_socketpair (int domain, int type, int protocol, int fds[2])
{
  (void)domain, (void)protocol;
  if ((type & 0xf) != SOCK_STREAM)
    {
      errno = ENOSYS;
      return -1;
    }
  return win_pipe2 (fds, type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
}

ssize_t
win_recv (int fd, void *buf, size_t n, int flags)
{
  int r = recv (win_socket_of (fd), buf, (int)n, flags & ~MSG_DONTWAIT);
  if (r < 0)
    errno = wsa_errno ();
  return r;
}

ssize_t
win_send (int fd, const void *buf, size_t n, int flags)
{
  int r = send (win_socket_of (fd), buf, (int)n, flags & ~MSG_DONTWAIT);
  if (r < 0)
    errno = wsa_errno ();
  return r;
}

ssize_t
win_read (int fd, void *buf, size_t n)
{
  return win_is_socket (fd) ? win_recv (fd, buf, n, 0) : _read (fd, buf, (unsigned)n);
}

ssize_t
win_write (int fd, const void *buf, size_t n)
{
  return win_is_socket (fd) ? win_send (fd, buf, n, 0) : _write (fd, buf, (unsigned)n);
}

/* A socket's fd: the C runtime's _close closes the handle, which for a socket of the base
 * provider is closesocket's work (as the library's own wake-up pair is closed). */
int
win_close (int fd)
{
  return _close (fd);
}

int
win_fcntl (int fd, int cmd, ...)
{
  va_list ap;
  va_start (ap, cmd);
  int arg = va_arg (ap, int);
  va_end (ap);
  if (_get_osfhandle (fd) == -1)
    {
      errno = EBADF;
      return -1;
    }
  if (cmd == F_DUPFD_CLOEXEC)
    {
      /* the lowest fd >= arg: dups until one is, the others closed again */
      int held[2048], n = 0, d;
      while ((d = _dup (fd)) >= 0 && d < arg && n < 2048)
        held[n++] = d;
      while (n)
        _close (held[--n]);
      return d;
    }
  if (cmd == F_SETFL && win_is_socket (fd))
    {
      u_long on = (arg & O_NONBLOCK) != 0;
      return ioctlsocket (win_socket_of (fd), FIONBIO, &on) ? -1 : 0;
    }
  return 0;
}

int
win_shutdown (int fd, int how)
{
  return shutdown (win_socket_of (fd), how) ? (errno = wsa_errno (), -1) : 0;
}

int
win_poll (struct pollfd *fds, unsigned long n, int timeout_ms)
{
  /* WSAPoll takes sockets: the fds of the caller's array are C runtime fds */
  int saved[64];
  if (n > 64)
    {
      errno = EINVAL;
      return -1;
    }
  for (unsigned long i = 0; i < n; ++i)
    {
      saved[i] = (int)fds[i].fd;
      fds[i].fd = win_socket_of (saved[i]);
    }
  int r = WSAPoll (fds, n, timeout_ms);
  for (unsigned long i = 0; i < n; ++i)
    fds[i].fd = (SOCKET)saved[i];
  return r;
}

/* ---- what Windows has not */
static int
nosys (void)
{
  errno = ENOSYS;
  return -1;
}

/* the C runtime's signal (): the handler in, the previous one out (to read it alone, a
 * handler is set and put back) */
int sigaction (int signo, const struct sigaction *act, struct sigaction *old)
{
  void (*prev) (int) = signal (signo, act ? act->sa_handler : SIG_DFL);
  if (prev == SIG_ERR)
    return -1;
  if (!act)
    signal (signo, prev);
  if (old)
    {
      memset (old, 0, sizeof *old);
      old->sa_handler = prev;
    }
  return 0;
}
int sigprocmask (int how, const sigset_t *set, sigset_t *old) { (void)how, (void)set; if (old) *old = 0; return 0; }
int sigemptyset (sigset_t *s) { *s = 0; return 0; }
int sigfillset (sigset_t *s) { *s = ~0UL; return 0; }
int sigaddset (sigset_t *s, int signo) { *s |= 1UL << signo; return 0; }
int sigdelset (sigset_t *s, int signo) { *s &= ~(1UL << signo); return 0; }
int sigismember (const sigset_t *s, int signo) { return (*s >> signo) & 1; }
int
kill (pid_t pid, int signo)
{
  if (pid == getpid ())
    return raise (signo);
  return nosys ();
}
int fork (void) { return nosys (); }
pid_t waitpid (pid_t pid, int *status, int options) { (void)pid, (void)status, (void)options; return nosys (); }
int waitid (int idtype, id_t id, siginfo_t *info, int options) { (void)idtype, (void)id, (void)info, (void)options; return nosys (); }
long syscall (long number, ...) { (void)number; return nosys (); }
unsigned alarm (unsigned seconds) { (void)seconds; return 0; }
int pause (void) { return nosys (); }
int win_dup2 (int fd, int fd2) { return _dup2 (fd, fd2) == 0 ? fd2 : -1; }
int dup3 (int fd, int fd2, int flags) { (void)flags; return win_dup2 (fd, fd2); }
int setitimer (int which, const struct itimerval *value, struct itimerval *old)
{
  (void)which, (void)value, (void)old;
  return nosys ();
}
int timer_create (clockid_t clk, struct sigevent *sev, timer_t *timer) { (void)clk, (void)sev, (void)timer; return nosys (); }
int timer_settime (timer_t timer, int flags, const struct itimerspec *its, struct itimerspec *old)
{
  (void)timer, (void)flags, (void)its, (void)old;
  return nosys ();
}
int timer_delete (timer_t timer) { (void)timer; return nosys (); }
const char *
strsignal (int signo)
{
  static char buf[32];
  snprintf (buf, sizeof buf, "signal %d", signo);
  return buf;
}
int setenv (const char *name, const char *value, int overwrite)
{
  if (!overwrite && getenv (name))
    return 0;
  return _putenv_s (name, value) ? -1 : 0;
}
int unsetenv (const char *name) { return _putenv_s (name, "") ? -1 : 0; }
int getrlimit (int what, struct rlimit *rl) { (void)what; rl->rlim_cur = rl->rlim_max = RLIM_INFINITY; return 0; }
int setrlimit (int what, const struct rlimit *rl) { (void)what, (void)rl; return 0; }
int symlink (const char *target, const char *path) { (void)target, (void)path; return nosys (); }
int lstat (const char *path, struct stat *st) { return stat (path, st); }
#undef mkdir
int win_mkdir (const char *path, int mode) { (void)mode; return mkdir (path); }
int
win_rename (const char *from, const char *to)
{
  if (MoveFileExA (from, to, MOVEFILE_REPLACE_EXISTING))
    return 0;
  errno = GetLastError () == ERROR_FILE_NOT_FOUND || GetLastError () == ERROR_PATH_NOT_FOUND ? ENOENT : EACCES;
  return -1;
}
/* (not _mktemp: its 26 names a process id gives run out where Wine hands out the same ids) */
char *
mkdtemp (char *template_)
{
  size_t n = strlen (template_);
  if (n < 6 || strcmp (template_ + n - 6, "XXXXXX"))
    {
      errno = EINVAL;
      return NULL;
    }
  static unsigned long counter;
  for (int attempt = 0; attempt < 1000; ++attempt)
    {
      unsigned long x = (unsigned long)GetTickCount () * 7919UL + (unsigned long)GetCurrentProcessId () * 104729UL
                        + ++counter * 1299709UL;
      for (size_t i = n - 6; i < n; ++i, x /= 36)
        template_[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
      if (mkdir (template_) == 0)
        return template_;
      if (errno != EEXIST)
        return NULL;
    }
  return NULL;
}
int
accept4 (int fd, struct sockaddr *addr, int *len, int flags)
{
  SOCKET s = accept (win_socket_of (fd), addr, len);
  if (s == INVALID_SOCKET)
    {
      errno = wsa_errno ();
      return -1;
    }
  int afd = _open_osfhandle ((intptr_t)s, 0);
  if (afd >= 0 && (flags & SOCK_NONBLOCK))
    win_fcntl (afd, F_SETFL, O_NONBLOCK);
  return afd;
}

static void
absent (const char *what)
{
  fprintf (stderr, "t/win32/posix.c: %s: none on Windows (the case should be in t/win32/skip.txt)\n", what);
  abort ();
}
void ev_child_start (struct ev_loop *loop, struct ev_child *w) { (void)loop, (void)w; absent ("ev_child_start"); }
void ev_child_stop (struct ev_loop *loop, struct ev_child *w) { (void)loop, (void)w; absent ("ev_child_stop"); }
FILE *open_memstream (char **text, size_t *size) { (void)text, (void)size; errno = ENOSYS; return NULL; }
ssize_t readlink (const char *path, char *buf, size_t size) { (void)path, (void)buf, (void)size; return nosys (); }

/* ---- memory: anonymous mappings */
static DWORD
page_protection (int prot)
{
  return (prot & PROT_WRITE) ? PAGE_READWRITE : (prot & PROT_READ) ? PAGE_READONLY : PAGE_NOACCESS;
}

void *
mmap (void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
  (void)addr;
  if (!(flags & MAP_ANONYMOUS) || fd != -1 || offset != 0)
    return nosys (), MAP_FAILED;
  void *p = VirtualAlloc (NULL, len, MEM_RESERVE | MEM_COMMIT, page_protection (prot));
  if (!p)
    {
      errno = ENOMEM;
      return MAP_FAILED;
    }
  return p;
}

int
munmap (void *addr, size_t len)
{
  (void)len;
  if (VirtualFree (addr, 0, MEM_RELEASE))
    return 0;
  errno = EINVAL;
  return -1;
}

int
mprotect (void *addr, size_t len, int prot)
{
  DWORD old;
  if (VirtualProtect (addr, len, page_protection (prot), &old))
    return 0;
  errno = EINVAL;
  return -1;
}
