/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/http-request.c - parsing an HTTP/1.1 request and choosing its response, for the two
 * HTTP examples (see http-request.h).  Plain C string handling, no libev. */
#define _POSIX_C_SOURCE 200809L

#include "http-request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A parsed request head. */
struct request
{
  size_t length;         /* bytes of the head, through its empty line; 0: incomplete */
  int error;             /* an HTTP error status, or 0 */
  bool head_only;        /* HEAD, not GET */
  bool keep_alive;
  bool method_ok;        /* GET or HEAD */
  const char *target;    /* the request target, not terminated */
  size_t target_len;
};

static bool
is_token_char (char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
         || (ch && strchr ("!#$%&'*+-.^_`|~", ch));
}

/* Does the comma-separated list value[0..len) hold token (any case)? */
static bool
list_has (const char *value, size_t len, const char *token)
{
  size_t tlen = strlen (token);
  size_t i = 0;
  while (i < len)
    {
      while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
        i++;
      size_t start = i;
      while (i < len && value[i] != ',')
        i++;
      size_t end = i;
      while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
      if (end - start == tlen && strncasecmp (value + start, token, tlen) == 0)
        return true;
    }
  return false;
}

/* Parses the request at the start of buf[0..len).  Lines may end in CRLF or
 * a bare LF (RFC 9112 section 2.2 allows accepting the latter).  The only
 * thing a server's loop needs to know is whether a whole head is there yet
 * (req->length != 0). */
static void
parse_request (const char *buf, size_t len, struct request *req)
{
  memset (req, 0, sizeof *req);

  const char *method = NULL, *version = NULL;
  size_t method_len = 0, version_len = 0;
  bool http11 = false, says_close = false, says_keep = false;
  int hosts = 0;
  bool first = true;
  size_t pos = 0;

  for (;;)
    {
      const char *nl = memchr (buf + pos, '\n', len - pos);
      if (!nl)
        return;                               /* incomplete: wait for more */
      const char *line = buf + pos;
      size_t line_len = (size_t) (nl - line);
      pos += line_len + 1;
      if (line_len && line[line_len - 1] == '\r')
        line_len--;

      if (first)
        {
          if (line_len == 0)
            continue;         /* RFC 9112 2.2: ignore empty lines before a request */
          first = false;
          /* METHOD SP TARGET SP HTTP/x.y */
          const char *sp1 = memchr (line, ' ', line_len);
          const char *sp2 = sp1 ? memchr (sp1 + 1, ' ', line_len - (size_t) (sp1 + 1 - line)) : NULL;
          if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1)
            {
              req->error = 400;
              continue;       /* still find the end of the head, to know where it ends */
            }
          method = line;
          method_len = (size_t) (sp1 - line);
          req->target = sp1 + 1;
          req->target_len = (size_t) (sp2 - req->target);
          version = sp2 + 1;
          version_len = line_len - (size_t) (version - line);
          for (size_t i = 0; i < method_len; i++)
            if (!is_token_char (method[i]))
              req->error = 400;
          for (size_t i = 0; i < req->target_len; i++)
            if ((unsigned char) req->target[i] <= ' ' || req->target[i] == 0x7f)
              req->error = 400;
          continue;
        }

      if (line_len == 0)
        break;                                /* the empty line: end of the head */
      if (req->error)
        continue;

      /* NAME ":" OWS VALUE OWS.  Whitespace before the colon must be
       * rejected (RFC 9112 5.1); so is a folded continuation line, which
       * starts with whitespace (5.2 allows rejecting it). */
      const char *colon = memchr (line, ':', line_len);
      if (!colon || colon == line)
        {
          req->error = 400;
          continue;
        }
      size_t name_len = (size_t) (colon - line);
      for (size_t i = 0; i < name_len; i++)
        if (!is_token_char (line[i]))
          req->error = 400;
      const char *value = colon + 1;
      size_t value_len = line_len - name_len - 1;
      while (value_len && (*value == ' ' || *value == '\t'))
        value++, value_len--;
      while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
        value_len--;

      if (name_len == 10 && strncasecmp (line, "Connection", 10) == 0)
        {
          says_close |= list_has (value, value_len, "close");
          says_keep |= list_has (value, value_len, "keep-alive");
        }
      else if (name_len == 4 && strncasecmp (line, "Host", 4) == 0)
        hosts++;
      else if (name_len == 14 && strncasecmp (line, "Content-Length", 14) == 0)
        {
          if (value_len != 1 || value[0] != '0')
            req->error = 413;   /* a body: we have no use for one (see below) */
        }
      else if (name_len == 17 && strncasecmp (line, "Transfer-Encoding", 17) == 0)
        req->error = 501;
    }

  req->length = pos;
  if (req->error)
    return;

  if (version_len == 8 && memcmp (version, "HTTP/1.", 7) == 0 && (version[7] == '0' || version[7] == '1'))
    http11 = version[7] == '1';
  else if (version_len == 8 && memcmp (version, "HTTP/", 5) == 0 && version[6] == '.')
    {
      req->error = 505;
      return;
    }
  else
    {
      req->error = 400;
      return;
    }

  /* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host header */
  if (http11 && hosts != 1)
    {
      req->error = 400;
      return;
    }

  /* Persistence, RFC 9112 9.3: HTTP/1.1 keeps the connection unless told
   * "close"; HTTP/1.0 closes unless told "keep-alive". */
  req->keep_alive = http11 ? !says_close : says_keep && !says_close;

  req->head_only = method_len == 4 && memcmp (method, "HEAD", 4) == 0;
  req->method_ok = req->head_only || (method_len == 3 && memcmp (method, "GET", 3) == 0);
}

static const char *
reason_phrase (int status)
{
  switch (status)
    {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}


/* The HTTP date of now, formatted once per second at most: a busy server
 * answers many requests within a second.  (The programs never call
 * setlocale(), so strftime's names are the C locale's English ones, as HTTP
 * wants.) */
static const char *
http_date (time_t now)
{
  static char text[40];
  static time_t cached = -1;
  if (now != cached)
    {
      struct tm tm;
      gmtime_r (&now, &tm);
      strftime (text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      cached = now;
    }
  return text;
}

static void
answer (struct http_response *res, int status, bool keep_alive, bool head_only, const char *text,
        unsigned long long length)
{
  res->status = status;
  res->keep_alive = keep_alive;
  res->head_only = head_only;
  res->text = text;
  res->length = text ? strlen (text) : length;
}

size_t
http_next_response (const char *in, size_t len, struct http_response *res)
{
  struct request req;
  parse_request (in, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, &req);

  if (req.length == 0)
    {
      if (len < HTTP_HEAD_MAX)
        return 0;                            /* the rest of the head is still on its way */
      answer (res, 431, false, false, "request header fields too large\n", 0);
      return len;
    }

  if (req.error)
    {
      /* A request we could not parse, or one with a body: we do not know
       * where the next request would start, so answer and close (the
       * connection's remaining input is discarded). */
      const char *text = req.error == 413   ? "request bodies are not accepted\n"
                         : req.error == 501 ? "transfer codings are not implemented\n"
                         : req.error == 505 ? "only HTTP/1.0 and HTTP/1.1\n"
                                            : "bad request\n";
      answer (res, req.error, false, false, text, 0);
      return len;
    }

  unsigned long long n = 0;
  const char *t = req.target;
  size_t tlen = req.target_len;
  const char *q = memchr (t, '?', tlen);    /* a query string changes nothing here */
  if (q)
    tlen = (size_t) (q - t);

  if (!req.method_ok)
    answer (res, 405, req.keep_alive, false, "only GET and HEAD\n", 0);
  else if (tlen == 1 && t[0] == '/')
    answer (res, 200, req.keep_alive, req.head_only, "hello from libev-ng\n", 0);
  else if (tlen > 7 && tlen <= 7 + 10 && memcmp (t, "/bytes/", 7) == 0
           && strspn (t + 7, "0123456789") >= tlen - 7
           && (n = strtoull (t + 7, NULL, 10)) <= HTTP_BYTES_MAX)
    answer (res, 200, req.keep_alive, req.head_only, NULL, n);
  else
    answer (res, 404, req.keep_alive, req.head_only, "not found\n", 0);
  return req.length;
}

size_t
http_format_head (char *out, const struct http_response *res, time_t now)
{
  int n = snprintf (out, HTTP_HEAD_ROOM,
                    "HTTP/1.1 %d %s\r\n"
                    "Date: %s\r\n"
                    "Content-Type: text/plain\r\n"
                    "Content-Length: %llu\r\n"
                    "%s"
                    "Connection: %s\r\n"
                    "\r\n"
                    "%s",
                    res->status, reason_phrase (res->status), http_date (now), res->length,
                    res->status == 405 ? "Allow: GET, HEAD\r\n" : "",
                    res->keep_alive ? "keep-alive" : "close",
                    res->text && !res->head_only ? res->text : "");
  if (n < 0 || n >= HTTP_HEAD_ROOM)
    abort ();                   /* a bug: HTTP_HEAD_ROOM is too small for our own texts */
  return (size_t) n;
}

void
http_fill_pattern (char *pattern, size_t size)
{
  for (size_t i = 0; i < size; i++)
    pattern[i] = (char) ('a' + i % 26);
}
