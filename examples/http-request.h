/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/http-request.h - what the two HTTP examples share: parsing a request and choosing its
 * response.
 *
 * Nothing here is libev: http-server.c (on ev_io) and http-completion.c (on streams) differ only
 * in how the bytes come and go, so the HTTP itself is written once.
 */
#ifndef EXAMPLES_HTTP_REQUEST_H
#define EXAMPLES_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The request line and headers must fit in this many bytes, or the answer
 * is 431 (RFC 6585).  A server that buffered whatever the client sends
 * before the end of a head could be made to use any amount of memory by
 * one connection. */
#define HTTP_HEAD_MAX 8192
/* Every response head we produce, with its text body, fits in this much: a
 * server takes a new request on only when it has this much room for the answer. */
#define HTTP_HEAD_ROOM 512
/* The largest /bytes/N. */
#define HTTP_BYTES_MAX (1ULL << 30)

/* The response to one request. */
struct http_response
{
  int status;                   /* 200, 404, ... */
  bool keep_alive;              /* false: close the connection after it */
  bool head_only;               /* HEAD: the head without the body */
  const char *text;             /* the body, or NULL: "length" bytes of the pattern */
  unsigned long long length;    /* of the body, also for HEAD */
};

/* Looks at the request at the start of in[0..len) (its first HTTP_HEAD_MAX
 * bytes at most) and decides its response.  Returns how many bytes of in[]
 * the request used, which the caller drops; 0 while the head is incomplete
 * (wait for more bytes).  A request that cannot be framed (bad syntax, a
 * body, an unknown version, a head over HTTP_HEAD_MAX) gets an error
 * response that closes the connection, and uses all of in[]. */
size_t http_next_response (const char *in, size_t len, struct http_response *res);

/* Writes the head of res, and its text body unless head_only, into out
 * (which has HTTP_HEAD_ROOM bytes at least), with a Date of now.  Returns
 * the length. */
size_t http_format_head (char *out, const struct http_response *res, time_t now);

/* Fills pattern[0..size) with "abcdefghijklmnopqrstuvwxyz" repeated: the
 * /bytes/N body from position pos is pattern + pos % 26. */
void http_fill_pattern (char *pattern, size_t size);

#endif
