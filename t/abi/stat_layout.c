// SPDX-License-Identifier: BSD-2-Clause
// t/abi/stat_layout.c - run by t/abi/stat_layout.sh: does the library fill this program's
// ev_stat as this program lays it out?  ev_stat embeds two struct stat, whose layout on a
// 32-bit host follows _FILE_OFFSET_BITS and _TIME_BITS, of the program and of the library
// alike.  ev_stat_stat fills `attr`; the program compares it with its own lstat of the
// file (given with a size and times that no other field holds) and checks that nothing
// beyond the watcher was written.
//   stat_layout PATH   prints "ok ..." or "mismatch ..."; exit status 0 or 1
#include <ev.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct guarded
{
  ev_stat w;
  unsigned char after[256];
};

static void
stat_cb (struct ev_loop *loop, ev_stat *w, int revents)
{
  (void) loop;
  (void) w;
  (void) revents;
}

int
main (int argc, char **argv)
{
  struct stat want;
  static struct guarded g;
  struct ev_loop *loop = ev_default_loop (EVFLAG_NOINOTIFY);
  size_t i;
  if (argc != 2 || lstat (argv[1], &want) != 0 || !loop)
    return 2;
  memset (&g, 0xa5, sizeof g);
  ev_stat_init (&g.w, stat_cb, argv[1], 0.);
  ev_stat_stat (loop, &g.w);
  for (i = 0; i < sizeof g.after; ++i)
    if (g.after[i] != 0xa5)
      {
        printf ("mismatch: the library wrote %zu bytes past the %zu of ev_stat\n", i + 1, sizeof g.w);
        return 1;
      }
  if (g.w.attr.st_size != want.st_size || g.w.attr.st_ino != want.st_ino || g.w.attr.st_mode != want.st_mode
      || g.w.attr.st_nlink != want.st_nlink || g.w.attr.st_mtime != want.st_mtime
      || g.w.attr.st_atime != want.st_atime || g.w.attr.st_ctime != want.st_ctime)
    {
      printf ("mismatch: attr as this program reads it: size %lld mtime %lld nlink %lu; lstat: size %lld mtime %lld nlink %lu\n",
              (long long) g.w.attr.st_size, (long long) g.w.attr.st_mtime, (unsigned long) g.w.attr.st_nlink,
              (long long) want.st_size, (long long) want.st_mtime, (unsigned long) want.st_nlink);
      return 1;
    }
  printf ("ok: ev_stat %zu bytes, struct stat %zu, off_t %zu bits, time_t %zu bits\n", sizeof g.w,
          sizeof (struct stat), sizeof (off_t) * 8, sizeof (time_t) * 8);
  return 0;
}
