// SPDX-License-Identifier: BSD-2-Clause
// bench/malloc-trace.c - LD_PRELOAD for bench/programs --modes malloc: logs
// every call of the process to glibc's allocator (malloc, free, calloc,
// realloc, the memalign family) with its caller and the time, so that
// bench/malloc-replay can replay the process's allocations without those of
// libev.so.4.  Records go to $BENCH_MALLOC_TRACE/trace.PID, the process's
// maps (to tell the library's callers) to maps.PID; a forked child stops
// logging.  Only for programs on glibc's malloc: the calls go straight to
// glibc's (__libc_malloc and the rest), whatever the program linked.
//
//   cc -O2 -fPIC -shared -o malloc-trace.so bench/malloc-trace.c
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

// one call: op 1 malloc(a), 2 free(a), 3 calloc(a, b), 4 realloc(a, b),
// 5 memalign(a, b); r what it returned; t CLOCK_REALTIME in ns
struct record {
  uint8_t op, pad[7];
  uint64_t a, b, r, caller, t;
};

enum { kBuffered = 4096 };
static struct record buf[kBuffered];
static int nbuf, out = -1, lock;
static pid_t owner;

static void flush(void)
{
  const char *p = (const char *)buf;
  size_t left = (size_t)nbuf * sizeof buf[0];
  while (out >= 0 && left) {
    ssize_t w = write(out, p, left);
    if (w <= 0)
      break;
    p += w, left -= (size_t)w;
  }
  nbuf = 0;
}

static void open_trace(void)
{
  const char *dir = getenv("BENCH_MALLOC_TRACE");
  char path[512], chunk[4096];
  out = -2;
  if (!dir)
    return;
  owner = getpid();
  snprintf(path, sizeof path, "%s/maps.%d", dir, (int)owner);
  int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  int m = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ssize_t n;
  while (in >= 0 && m >= 0 && (n = read(in, chunk, sizeof chunk)) > 0)
    if (write(m, chunk, (size_t)n) != n)
      break;
  if (in >= 0)
    close(in);
  if (m >= 0)
    close(m);
  snprintf(path, sizeof path, "%s/trace.%d", dir, (int)owner);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  out = fd >= 0 ? fd : -2;
}

static void log_call(int op, uint64_t a, uint64_t b, uint64_t r, void *caller)
{
  while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
    ;
  if (out == -1)
    open_trace();
  if (out >= 0 && getpid() != owner)
    out = -2;  // a forked child: its parent's trace is not its own
  if (out >= 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct record *x = &buf[nbuf++];
    x->op = (uint8_t)op, x->a = a, x->b = b, x->r = r, x->caller = (uint64_t)(uintptr_t)caller;
    x->t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    // the servers are stopped by a signal: a small buffer loses little
    if (nbuf == kBuffered)
      flush();
  }
  __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

__attribute__((destructor)) static void finish(void)
{
  if (out >= 0 && getpid() == owner)
    flush();
}

#define CALLER __builtin_return_address(0)
void *malloc(size_t n)
{
  void *r = __libc_malloc(n);
  log_call(1, n, 0, (uintptr_t)r, CALLER);
  return r;
}
void free(void *p)
{
  if (!p)
    return;
  __libc_free(p);
  log_call(2, (uintptr_t)p, 0, 0, CALLER);
}
void *calloc(size_t n, size_t size)
{
  void *r = __libc_calloc(n, size);
  log_call(3, n, size, (uintptr_t)r, CALLER);
  return r;
}
void *realloc(void *p, size_t n)
{
  void *r = __libc_realloc(p, n);
  log_call(4, (uintptr_t)p, n, (uintptr_t)r, CALLER);
  return r;
}
void *memalign(size_t align, size_t n)
{
  void *r = __libc_memalign(align, n);
  log_call(5, align, n, (uintptr_t)r, CALLER);
  return r;
}
void *aligned_alloc(size_t align, size_t n)
{
  void *r = __libc_memalign(align, n);
  log_call(5, align, n, (uintptr_t)r, CALLER);
  return r;
}
int posix_memalign(void **p, size_t align, size_t n)
{
  void *r = __libc_memalign(align, n);
  if (!r)
    return 12;  // ENOMEM
  *p = r;
  log_call(5, align, n, (uintptr_t)r, CALLER);
  return 0;
}
