/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/posix.h - the POSIX calls the C suites make, on Windows (mingw-w64), for
 * `make check-windows` (t/win32/check.sh): force-included before every suite and the harness
 * (-include), with the stand-ins of t/win32/include/ for the headers mingw-w64 lacks.
 *
 * An fd is a C runtime fd, as the library takes it.  The one rule that changes what a test
 * does: a pipe is a pair of connected loopback TCP sockets (pipe, pipe2 and socketpair make
 * one), since Winsock's select sees sockets only; read, write and close then go to recv, send
 * and closesocket for a socket.  What Windows has not (fork, POSIX signals beyond the C
 * runtime's, resource limits, symlinks) compiles and fails with ENOSYS at run time: the cases
 * that need it are skipped with their reason (t/win32/skip.txt), never run to fail. */
#ifndef LIBEV_NG_T_WIN32_POSIX_H
#define LIBEV_NG_T_WIN32_POSIX_H
#ifdef _WIN32

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <io.h>
#include <process.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* <minwindef.h>'s 16-bit pointer qualifiers, empty: the suites have variables of these names */
#undef far
#undef near

#ifdef __cplusplus
extern "C" {
#endif

/* ---- descriptors */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NONBLOCK
#define O_NONBLOCK 04000
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif
#define SOCK_CLOEXEC 0
#define SOCK_NONBLOCK 0x4000 /* win_socketpair's: made non-blocking */
#define F_DUPFD_CLOEXEC 1030 /* win_fcntl's: dup */
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define FD_CLOEXEC 1
#define MSG_NOSIGNAL 0
#define MSG_DONTWAIT 0x40000000 /* handled by win_recv/win_send */
#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH

int win_socket_pair (int fds[2]);
int win_is_socket (int fd);
SOCKET win_socket_of (int fd);
int win_pipe (int fds[2]);
int win_pipe2 (int fds[2], int flags);
int win_socketpair (int domain, int type, int protocol, int fds[2]);
ssize_t win_read (int fd, void *buf, size_t n);
ssize_t win_write (int fd, const void *buf, size_t n);
int win_close (int fd);
int win_fcntl (int fd, int cmd, ...);
int dup3 (int fd, int fd2, int flags); /* (the flags are O_CLOEXEC or 0: no fd is inherited) */
int win_dup2 (int fd, int fd2); /* POSIX's answer, fd2, where the C runtime's _dup2 gives 0 */
int win_shutdown (int fd, int how);
ssize_t win_recv (int fd, void *buf, size_t n, int flags);
ssize_t win_send (int fd, const void *buf, size_t n, int flags);
int win_poll (struct pollfd *fds, unsigned long n, int timeout_ms);
#define pipe(f) win_pipe (f)
#define pipe2(f, fl) win_pipe2 ((f), (fl))
#define socketpair(d, t, p, f) win_socketpair ((d), (t), (p), (f))
#define read(f, b, n) win_read ((f), (b), (n))
#define write(f, b, n) win_write ((f), (b), (n))
#define close(f) win_close (f)
#define fcntl win_fcntl
#define dup2(f, f2) win_dup2 ((f), (f2))
#define shutdown(f, h) win_shutdown ((f), (h))
#define recv(f, b, n, fl) win_recv ((f), (b), (n), (fl))
#define send(f, b, n, fl) win_send ((f), (b), (n), (fl))
#define poll(f, n, t) win_poll ((f), (n), (t))
typedef unsigned long nfds_t;

/* ---- processes and signals: only the C runtime's signals exist */
#define SIGHUP 1
#define SIGQUIT 3
#define SIGKILL 9
#define SIGUSR1 10
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGBUS 7
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
typedef unsigned long sigset_t;
struct sigaction
{
  void (*sa_handler) (int);
  sigset_t sa_mask;
  int sa_flags;
};
#define SA_RESTART 0
#define SA_RESETHAND 0
int sigaction (int signo, const struct sigaction *act, struct sigaction *old);
int sigprocmask (int how, const sigset_t *set, sigset_t *old);
int sigemptyset (sigset_t *s);
int sigfillset (sigset_t *s);
int sigaddset (sigset_t *s, int signo);
int sigdelset (sigset_t *s, int signo);
int sigismember (const sigset_t *s, int signo);
int kill (pid_t pid, int signo);
int fork (void);
pid_t waitpid (pid_t pid, int *status, int options);
unsigned alarm (unsigned seconds);
int pause (void);
const char *strsignal (int signo);
/* interval timers and POSIX timers: none (setitimer and timer_create fail with ENOSYS) */
#define ITIMER_REAL 0
struct itimerval
{
  struct timeval it_interval, it_value;
};
int setitimer (int which, const struct itimerval *value, struct itimerval *old);
typedef void *timer_t;
struct sigevent
{
  int sigev_notify, sigev_signo;
};
#define SIGEV_SIGNAL 0
int timer_create (clockid_t clk, struct sigevent *sev, timer_t *timer);
int timer_settime (timer_t timer, int flags, const struct itimerspec *its, struct itimerspec *old);
int timer_delete (timer_t timer);
#define WNOHANG 1
/* waitid and the raw system call numbers the ev_child cases name: no children, no calls */
typedef int id_t;
typedef struct
{
  int si_pid, si_status, si_code;
} siginfo_t;
#define P_PID 1
#define WEXITED 4
#define WNOWAIT 0x01000000
int waitid (int idtype, id_t id, siginfo_t *info, int options);
#define SYS_pidfd_open 434
long syscall (long number, ...);
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0)
#define WTERMSIG(s) ((s) & 0x7f)

/* ---- the environment */
int setenv (const char *name, const char *value, int overwrite);
int unsetenv (const char *name);

/* ---- limits: none below the C runtime's table */
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0UL)
typedef unsigned long rlim_t;
struct rlimit
{
  rlim_t rlim_cur, rlim_max;
};
int getrlimit (int what, struct rlimit *rl);
int setrlimit (int what, const struct rlimit *rl);

/* ---- sockets */
int accept4 (int fd, struct sockaddr *addr, int *len, int flags);

/* ---- ev_child, which the DLL has not (EV_CHILD_ENABLE is 0): its cases are skipped */
struct ev_loop;
struct ev_child;
void ev_child_start (struct ev_loop *loop, struct ev_child *w);
void ev_child_stop (struct ev_loop *loop, struct ev_child *w);

/* ---- memory: anonymous private mappings, made and protected with VirtualAlloc and
 * VirtualProtect (a mapping of a file fails with ENOSYS) */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1 /* (within the process; harness_shared_new has its own for children) */
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)
void *mmap (void *addr, size_t len, int prot, int flags, int fd, off_t offset);
int munmap (void *addr, size_t len);
int mprotect (void *addr, size_t len, int prot);

/* ---- files */
int win_mkdir (const char *path, int mode); /* (the C runtime's mkdir takes no mode) */
#define mkdir(p, m) win_mkdir ((p), (m))
char *mkdtemp (char *template_);
int win_rename (const char *from, const char *to); /* (replaces `to`, as POSIX's does) */
#define rename(f, t) win_rename ((f), (t))
#define S_ISLNK(m) 0 /* (no symlinks: symlink fails with ENOSYS) */
FILE *open_memstream (char **text, size_t *size);
ssize_t readlink (const char *path, char *buf, size_t size);
int symlink (const char *target, const char *path);
int lstat (const char *path, struct stat *st);

#ifdef __cplusplus
}
#endif

#endif
#endif
