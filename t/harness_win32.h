/* SPDX-License-Identifier: BSD-2-Clause */
/* t/harness_win32.h - what t/harness.c asks of t/harness_win32.c on Windows: children as the
 * test program run again (see harness_win32.c), the C runtime's open fds. */
#ifndef LIBEV_NG_T_HARNESS_WIN32_H
#define LIBEV_NG_T_HARNESS_WIN32_H
#ifdef _WIN32

#include <stddef.h>

/* Before each case of harness_run_groups: the case about to run (backend name, index in the
 * suite's array), which a child run again must find. */
void harness_win32_case (const char *backend, size_t index);
/* 1 when this process is such a child (HARNESS_CHILD); then *backend and *index name the one
 * case it runs. */
int harness_win32_child (const char **backend, size_t *index);
/* A child that ran its case to the end without reaching its call: says so and exits 125. */
void harness_win32_child_lost (void) __attribute__ ((noreturn));
/* Memory the case's child sees too (harness_shared_new). */
void *harness_win32_shared_new (size_t size);
void harness_win32_shared_free (void *p);
/* Open C runtime fds. */
int harness_win32_open_fds (void);

#endif
#endif
