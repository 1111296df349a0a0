// SPDX-License-Identifier: BSD-2-Clause
// bench/malloc-replay.c - replays a bench/malloc-trace.c trace with glibc's
// allocator, for bench/malloc-replay.py under callgrind: the calls made
// between BEGIN and END (ns, CLOCK_REALTIME) run inside replay_window(),
// which callgrind collects alone (--toggle-collect=replay_window).  glibc's
// malloc does the same work for the same sequence of calls, so the window
// costs what the allocator cost the traced process over its load.
//
//   malloc-replay TRACE BEGIN END LO HI all|drop
//
// Callers in [LO, HI) (hex) are the library's: with "drop", their
// allocations, and every free or realloc of what they allocated, are left
// out; what remains is the program's own sequence.
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

struct record {
  uint8_t op, pad[7];
  uint64_t a, b, r, caller, t;
};

// traced address -> replayed block: open addressing in mmap'd memory, so that
// the replayer's own bookkeeping never touches the heap it measures
enum { kBits = 24 };
static uint64_t *keys;
static void **vals;
static size_t slot(uint64_t k)
{
  size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> (64 - kBits));
  while (keys[i] && keys[i] != k)
    i = (i + 1) & ((1u << kBits) - 1);
  return i;
}
static void put(uint64_t k, void *v)
{
  size_t i = slot(k);
  keys[i] = k, vals[i] = v;
}
static void *take(uint64_t k)
{
  size_t i = slot(k), j = i;
  if (!keys[i])
    return NULL;
  void *v = vals[i];
  keys[i] = 0;
  for (;;) {  // backward-shift deletion keeps every probe chain whole
    j = (j + 1) & ((1u << kBits) - 1);
    if (!keys[j])
      break;
    uint64_t k2 = keys[j];
    void *v2 = vals[j];
    keys[j] = 0;
    size_t s = slot(k2);
    keys[s] = k2, vals[s] = v2;
  }
  return v;
}

static void *map(size_t n)
{
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  return p;
}

static void replay(const struct record *x)
{
  void *p;
  switch (x->op) {
  case 1: p = malloc(x->a); put(x->r, p); break;
  case 2: if ((p = take(x->a))) free(p); break;
  case 3: p = calloc(x->a, x->b); put(x->r, p); break;
  case 4:
    p = x->a ? take(x->a) : NULL;
    p = realloc(p, x->b);
    if (x->r)
      put(x->r, p);
    break;
  case 5: p = memalign(x->a, x->b); put(x->r, p); break;
  }
}

static void replay_all(const struct record *x, size_t n, const unsigned char *skip)
{
  for (size_t i = 0; i < n; i++)
    if (!skip[i])
      replay(&x[i]);
}
// two functions, so that callgrind collects the second alone (noipa: not
// folded into one)
__attribute__((noipa)) void replay_before(const struct record *x, size_t n, const unsigned char *skip)
{
  replay_all(x, n, skip);
}
__attribute__((noipa)) void replay_window(const struct record *x, size_t n, const unsigned char *skip)
{
  replay_all(x, n, skip);
}

int main(int argc, char **argv)
{
  if (argc != 7) {
    fprintf(stderr, "usage: malloc-replay TRACE BEGIN END LO HI all|drop\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    perror(argv[1]);
    return 2;
  }
  size_t n = (size_t)st.st_size / sizeof(struct record);
  const struct record *r = n ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  uint64_t t0 = strtoull(argv[2], NULL, 0), t1 = strtoull(argv[3], NULL, 0);
  uint64_t lo = strtoull(argv[4], NULL, 16), hi = strtoull(argv[5], NULL, 16);
  int drop = !strcmp(argv[6], "drop");
  keys = map(sizeof(uint64_t) << kBits);
  vals = map(sizeof(void *) << kBits);
  unsigned char *skip = map(n + 1);

  // the library's calls: allocations from inside it, and what frees or
  // reallocs them (the program may free through a tail call that returns
  // into the library, so the caller alone does not tell)
  uint64_t *owned = map(sizeof(uint64_t) << 16);
  size_t nowned = 0, lib = 0, lib_window = 0, window = 0;
  for (size_t i = 0; i < n; i++) {
    const struct record *x = &r[i];
    int from_lib = x->caller >= lo && x->caller < hi, mine = 0;
    uint64_t old = (x->op == 2 || x->op == 4) ? x->a : 0;
    if (old) {
      for (size_t k = 0; k < nowned; k++)
        if (owned[k] == old) {
          owned[k] = owned[--nowned], mine = 1;
          break;
        }
    } else
      mine = x->op != 2 && from_lib;
    if (mine && x->op != 2 && x->r && nowned < (1u << 16))
      owned[nowned++] = x->r;
    int in = x->t >= t0 && x->t <= t1;
    lib += mine, lib_window += mine && in, window += in;
    skip[i] = drop && mine;
  }
  size_t b = 0, e = 0;
  while (b < n && r[b].t < t0)
    b++;
  e = b;
  while (e < n && r[e].t <= t1)
    e++;
  replay_before(r, b, skip);  // uncounted: the heap as the load found it
  replay_window(r + b, e - b, skip + b);
  printf("%zu %zu %zu\n", window, lib, lib_window);
  return 0;
}
