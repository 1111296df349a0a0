/* SPDX-License-Identifier: BSD-2-Clause */
/* t/install/where.h - print_where(): prints "library: PATH" for the libev
 * shared library this process has mapped, or "library: static" if none
 * (Linux: /proc/self/maps).  Header-only, for C and C++ test programs. */
#ifndef T_INSTALL_WHERE_H
#define T_INSTALL_WHERE_H

#include <stdio.h>
#include <string.h>

static void
print_where (void)
{
  char line[4096];
  const char *found = NULL;
  FILE *maps = fopen ("/proc/self/maps", "r");
  while (maps && fgets (line, sizeof line, maps))
    {
      char *path = strchr (line, '/');
      if (path && strstr (path, "/libev.so"))
        {
          path[strcspn (path, "\n")] = 0;
          found = path;
          break;
        }
    }
  printf ("library: %s\n", found ? found : "static");
  if (maps)
    fclose (maps);
}

#endif
