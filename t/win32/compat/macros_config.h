/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/compat/macros_config.h - the configuration of t/win32/compat/macros.c, for its
 * C file and for the core compiled with it (libev 4.33's ev.c or libev-ng's kit): ev(3)'s
 * Windows macros set to the program's own functions, which count their calls, and
 * EV_USE_WSASOCKET 1 (the program then imports WSASocketW, t/win32/compat/run.sh checks). */
#define EV_STANDALONE 1
#define EV_SELECT_IS_WINSOCKET 1
#define EV_USE_WSASOCKET 1
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
intptr_t counted_fd_to_handle (int fd);
int counted_handle_to_fd (intptr_t handle);
int counted_close (int fd);
#ifdef __cplusplus
}
#endif
#define EV_FD_TO_WIN32_HANDLE(fd) counted_fd_to_handle (fd)
#define EV_WIN32_HANDLE_TO_FD(handle) counted_handle_to_fd (handle)
#define EV_WIN32_CLOSE_FD(fd) counted_close (fd)
