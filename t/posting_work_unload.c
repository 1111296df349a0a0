/* SPDX-License-Identifier: BSD-2-Clause */
/* t/posting_work_unload.c - ev(3) "Posting work to a loop" (ev_ng_post) in a library that a
 * program loads with dlopen and unloads with dlclose: a thread that posted, and that exits
 * only after the library is gone, must not run a destructor of the library's at its exit
 * (it would jump into unmapped memory).  The program does not link libev: it loads the
 * build's .libs/libev.so.4 from $top_builddir, and skips (77) where the library cannot be
 * unloaded or found.  libev-ng only. */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

struct ev_loop;
typedef void (*post_fn) (struct ev_loop *, void *);

static struct
{
  struct ev_loop *(*loop_new) (unsigned int);
  int (*post_enable) (struct ev_loop *);
  int (*post) (struct ev_loop *, post_fn, void *);
  int (*post_drain) (struct ev_loop *);
  void (*loop_destroy) (struct ev_loop *);
} ev;

static struct ev_loop *loop;
static sem_t posted, go;
static int ran, post_result = -1;

static void
item_cb (struct ev_loop *l, void *arg)
{
  (void)l, (void)arg;
  ++ran;
}

static void *
poster (void *arg)
{
  (void)arg;
  post_result = ev.post (loop, item_cb, NULL);
  sem_post (&posted);
  while (sem_wait (&go))
    ;
  return NULL; /* the thread's exit runs what the library left for it */
}

#define FAIL(what)                                                                            \
  do                                                                                          \
    {                                                                                         \
      fprintf (stderr, "posting_work_unload: %s\n", what);                                    \
      return 1;                                                                               \
    }                                                                                         \
  while (0)

int
main (void)
{
  const char *dir = getenv ("top_builddir");
  char path[PATH_MAX];
  pthread_t t;
  if (!dir)
    {
      puts ("SKIP: top_builddir is not set (run by make check)");
      return 77;
    }
  snprintf (path, sizeof path, "%s/.libs/libev.so.4", dir);
  void *lib = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    {
      printf ("SKIP: %s\n", dlerror ());
      return 77;
    }
  *(void **)&ev.loop_new = dlsym (lib, "ev_loop_new");
  *(void **)&ev.post_enable = dlsym (lib, "ev_ng_post_enable");
  *(void **)&ev.post = dlsym (lib, "ev_ng_post");
  *(void **)&ev.post_drain = dlsym (lib, "ev_ng_post_drain");
  *(void **)&ev.loop_destroy = dlsym (lib, "ev_loop_destroy");
  if (!ev.loop_new || !ev.post_enable || !ev.post || !ev.post_drain || !ev.loop_destroy)
    FAIL ("the library lacks ev_ng_post");
  loop = ev.loop_new (0);
  if (!loop || ev.post_enable (loop))
    FAIL ("no loop");
  sem_init (&posted, 0, 0);
  sem_init (&go, 0, 0);
  if (pthread_create (&t, NULL, poster, NULL))
    FAIL ("pthread_create");
  while (sem_wait (&posted))
    ;
  if (post_result != 0 || ev.post_drain (loop) != 1 || ran != 1)
    FAIL ("the post did not run");
  ev.loop_destroy (loop);
  dlclose (lib);
  int unloaded = !dlopen (path, RTLD_NOW | RTLD_NOLOAD);
  sem_post (&go);
  pthread_join (t, NULL); /* without the fix: SIGSEGV here, in the thread's exit */
  if (!unloaded)
    {
      puts ("SKIP: dlclose left the library loaded");
      return 77;
    }
  return 0;
}
