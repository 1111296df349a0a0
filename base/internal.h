/* SPDX-License-Identifier: BSD-2-Clause */
/* base/internal.h - the few internal entry points that the plain C parts of
 * the library (compat/event.c) use.  Hidden: not part of the ABI. */
#ifndef EV_NG_CORE_INTERNAL_H
#define EV_NG_CORE_INTERNAL_H

#ifdef __cplusplus
extern "C" {
#endif

/* A DLL exports only the names of its export list (Makefile.am), and PE has
 * no visibility attribute, which GCC warns is ignored there. */
#if defined _WIN32 || defined __CYGWIN__
#define EV_NG_INTERNAL
#else
#define EV_NG_INTERNAL __attribute__((visibility("hidden")))
#endif

/* realloc through the user's allocator (ev_set_allocator); size 0 frees and
 * returns NULL; running out of memory aborts with libev's message. */
EV_NG_INTERNAL void *ev_ng_realloc(void *ptr, long size);

#ifdef __cplusplus
}
#endif

#endif
