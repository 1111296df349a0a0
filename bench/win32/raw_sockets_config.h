/* SPDX-License-Identifier: BSD-2-Clause */
/* bench/win32/raw_sockets_config.h - the embedding kit's configuration for
 * bench/win32/idle_sockets.c built with IDLE_SOCKETS_RAW (bench/win32/idle_sockets.sh): ev(3)'s
 * Windows fd macros as the identity, so that an fd is the SOCKET handle itself and the C
 * runtime's fd table (2,048 fds with msvcrt) bounds nothing. */
#include <stdint.h>
#define EV_STANDALONE 1
#define EV_SELECT_IS_WINSOCKET 1
#define EV_FD_TO_WIN32_HANDLE(fd) ((intptr_t)(fd))
#define EV_WIN32_HANDLE_TO_FD(handle) ((int)(handle))
#define EV_WIN32_CLOSE_FD(fd) closesocket ((SOCKET)(fd))
