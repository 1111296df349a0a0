/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/badinput.h - what badinput.c (the case table and runner) shares with
 * badinput_cxx.cc (the cases that misuse the C++ wrapper ev++.h). */
#ifndef LIBEV_NG_T_STRESS_BADINPUT_H
#define LIBEV_NG_T_STRESS_BADINPUT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Appends one observation (printf format) to the case's trace. */
void bad_obs (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* A check of the case failed: the outcome becomes "wrong result". */
void bad_wrong (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* A watcher callback received revents (EV_ERROR in it makes the outcome EV_ERROR). */
void bad_event (const char *name, int revents);

/* The C++ cases (badinput_cxx.cc); backend is an EVBACKEND_* flag. */
void cxx_io_outlives_inactive (unsigned backend);
void cxx_timer_set_while_active (unsigned backend);
void cxx_sig_bad_signum (unsigned backend);
void cxx_dynamic_loop_bad_flags (unsigned backend);
void cxx_default_loop_bad_flags (unsigned backend);
void cxx_io_set_bad_fd_while_active (unsigned backend);
void cxx_stat_set_while_active (unsigned backend);

#ifdef __cplusplus
}
#endif

#endif
