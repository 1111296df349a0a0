/* SPDX-License-Identifier: BSD-2-Clause */
/* t/libev_ng_version.c - ev(3) "LIBEV-NG VERSIONS": libev-ng's own release number, written once
 * in ev.h (EV_NG_VERSION), is what the library reports at run time (ev_ng_version, in its own
 * symbol version node), what configure and the tarball call the package, and what NEWS
 * describes first; the ABI version stays libev's 4.33.  libev-ng only: the real libev has none
 * of these. */
#define _GNU_SOURCE 1
#include "config.h"
#include "harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
versions__the_library_reports_the_release_of_its_header (void **state)
{
  (void)state;
  assert_non_null (ev_ng_version ());
  assert_string_equal (ev_ng_version (), EV_NG_VERSION);
}

static void
versions__release_macros_agree (void **state)
{
  char spelled[32];
  (void)state;
#ifndef EV_NG
  fail_msg ("EV_NG is not defined by ev.h");
#endif
  snprintf (spelled, sizeof spelled, "%d.%d.%d", EV_NG_VERSION_MAJOR, EV_NG_VERSION_MINOR, EV_NG_VERSION_PATCH);
  assert_string_equal (spelled, EV_NG_VERSION);
  assert_int_equal (EV_NG_VERSION_NUMBER,
                    EV_NG_VERSION_MAJOR * 10000 + EV_NG_VERSION_MINOR * 100 + EV_NG_VERSION_PATCH);
  assert_true (EV_NG_VERSION_MINOR < 100 && EV_NG_VERSION_PATCH < 100);
}

static void
versions__the_package_is_the_release_and_the_abi_stays_libevs (void **state)
{
  char abi[16];
  (void)state;
  assert_string_equal (PACKAGE_VERSION, EV_NG_VERSION);
  snprintf (abi, sizeof abi, "%d.%d", EV_VERSION_MAJOR, EV_VERSION_MINOR);
  assert_string_equal (EV_ABI_VERSION, abi);
  assert_string_equal (abi, "4.33");
  assert_int_equal (ev_version_major (), 4);
  assert_int_equal (ev_version_minor (), 33);
  assert_true (strncmp (PACKAGE_BUGREPORT, "https://", 8) == 0);
}

static void
versions__ev_ng_version_has_its_own_symbol_version (void **state)
{
  (void)state;
#ifdef __GLIBC__
  void *versioned = dlvsym (RTLD_DEFAULT, "ev_ng_version", "LIBEV_NG_1.0");
  assert_non_null (versioned);
  assert_ptr_equal (versioned, (void *)ev_ng_version);
  /* libev's own symbols have none: a versioned lookup of them fails */
  assert_null (dlvsym (RTLD_DEFAULT, "ev_run", "LIBEV_NG_1.0"));
  assert_non_null (dlsym (RTLD_DEFAULT, "ev_run"));
#else
  skip (); /* dlvsym is glibc's (musl's loader ignores symbol versions; t/abi reads them) */
#endif
}

/* The first release NEWS describes ("libev-ng 1.0.0 ...") is the one this tree builds */
static void
versions__news_describes_this_release_first (void **state)
{
  char path[4096], line[512], expected[64];
  const char *srcdir = getenv ("top_srcdir");
  (void)state;
  snprintf (path, sizeof path, "%s/NEWS", srcdir ? srcdir : ".");
  FILE *f = fopen (path, "r");
  if (!f)
    fail_msg ("cannot open %s", path);
  snprintf (expected, sizeof expected, "libev-ng %s ", EV_NG_VERSION);
  int found = 0;
  while (fgets (line, sizeof line, f))
    if (!strncmp (line, "libev-ng ", 9) && line[9] >= '0' && line[9] <= '9')
      {
        found = !strncmp (line, expected, strlen (expected));
        if (!found)
          fprintf (stderr, "first release in NEWS: %s", line);
        break;
      }
  fclose (f);
  assert_true (found);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    plain_test (versions__the_library_reports_the_release_of_its_header),
    plain_test (versions__release_macros_agree),
    plain_test (versions__the_package_is_the_release_and_the_abi_stays_libevs),
    plain_test (versions__ev_ng_version_has_its_own_symbol_version),
    plain_test (versions__news_describes_this_release_first),
  };
  return HARNESS_RUN ("libev_ng_version", tests);
}
