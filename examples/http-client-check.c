/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/http-client-check.c - the test client of examples/http-server
 * (make check): sends raw requests on one connection and describes each
 * response in one line.
 *
 *   usage: http-client-check [-p] [-d DELAY] [-w WAIT] [-t TIMEOUT] PORT [REQUEST...]
 *
 * Each REQUEST is sent exactly as given, after turning the escapes \r, \n
 * and \\ into bytes.  Without -p, a request is sent once the previous
 * response arrived (and DELAY seconds more); with -p, all are sent at once
 * (pipelining).  Every response is parsed strictly (status line, CRLF
 * line ends, Content-Length, then the body; no body for HEAD requests) and
 * printed as
 *
 *   HTTP/1.1 200 OK | Content-Length: 5 | Connection: keep-alive | "hello"
 *
 * with a body of more than 64 bytes shown as "N bytes of a-z" when it is
 * the server's abc...xyzabc... pattern, "N bytes" otherwise.  If the server
 * closes the connection, the client prints "closed by the server after S s"
 * (S: since the last byte sent or received) and stops; with -w it also waits
 * up to WAIT seconds after the last response for that, and prints "still
 * open after WAIT s" if it does not happen.
 *
 * Deliberately libev-free: the oracle should not share code with what it
 * tests.  Exit status 0, or 1 with a reason on stderr for a malformed
 * response, a connection reset, or no progress for TIMEOUT seconds
 * (default 10).
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static double timeout = 10., last_activity;
static char buf[65536];
static size_t buf_start, buf_end;   /* received, unparsed: buf[buf_start .. buf_end) */
static bool closed;                 /* the server closed its side */

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die (const char *fmt, const char *arg)
{
  fprintf (stderr, "http-client-check: ");
  fprintf (stderr, fmt, arg);
  fputc ('\n', stderr);
  exit (1);
}

/* Receives more bytes into buf, waiting at most until deadline.  Returns
 * false at the end of the stream (and prints the closing line). */
static bool
receive (double deadline)
{
  if (buf_start == buf_end)
    buf_start = buf_end = 0;
  else if (buf_end == sizeof buf)
    {
      memmove (buf, buf + buf_start, buf_end - buf_start);
      buf_end -= buf_start;
      buf_start = 0;
      if (buf_end == sizeof buf)
        die ("%s", "a response line longer than the buffer");
    }

  for (;;)
    {
      double left = deadline - now ();
      if (left <= 0)
        return true;          /* the caller decides what a timeout means */
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, (int) (left * 1000) + 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        die ("poll: %s", strerror (errno));
      if (r == 0)
        return true;
      ssize_t n = recv (fd, buf + buf_end, sizeof buf - buf_end, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die ("recv: %s", strerror (errno));   /* ECONNRESET: the server must not reset */
      if (n == 0)
        {
          printf ("closed by the server after %.2f s\n", now () - last_activity);
          closed = true;
          return false;
        }
      buf_end += (size_t) n;
      last_activity = now ();
      return true;
    }
}

/* Returns the next CRLF-terminated line (without CRLF, NUL-terminated in
 * place), or NULL if the server closed before it was complete. */
static char *
read_line (void)
{
  double deadline = now () + timeout;
  for (;;)
    {
      char *crlf = NULL;
      for (size_t i = buf_start; i + 1 < buf_end; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n')
          {
            crlf = buf + i;
            break;
          }
      if (crlf)
        {
          char *line = buf + buf_start;
          *crlf = 0;
          buf_start = (size_t) (crlf + 2 - buf);
          return line;
        }
      if (memchr (buf + buf_start, '\n', buf_end - buf_start))
        die ("%s", "a line not ending in CRLF");
      if (now () >= deadline)
        die ("no complete line after %s s", "TIMEOUT");
      if (!receive (deadline))
        {
          if (buf_start != buf_end)
            die ("%s", "the server closed in the middle of a response");
          return NULL;
        }
    }
}

/* Reads and describes one response.  Returns false if the server closed
 * before it began. */
static bool
read_response (bool head_request)
{
  char *status = read_line ();
  if (!status)
    return false;
  if (strncmp (status, "HTTP/1.1 ", 9) != 0)
    die ("unexpected status line: %s", status);
  char status_line[128];
  snprintf (status_line, sizeof status_line, "%s", status);

  long long length = -1;
  char connection[64] = "-";
  bool date = false;
  for (;;)
    {
      char *line = read_line ();
      if (!line)
        die ("%s", "the server closed in the middle of a response head");
      if (!*line)
        break;
      char *colon = strchr (line, ':');
      if (!colon)
        die ("malformed header line: %s", line);
      *colon = 0;
      char *value = colon + 1 + strspn (colon + 1, " ");
      if (strcasecmp (line, "Content-Length") == 0)
        {
          char *end;
          length = strtoll (value, &end, 10);
          if (end == value || *end || length < 0)
            die ("bad Content-Length: %s", value);
        }
      else if (strcasecmp (line, "Connection") == 0)
        snprintf (connection, sizeof connection, "%s", value);
      else if (strcasecmp (line, "Date") == 0)
        date = *value != 0;
    }
  if (length < 0)
    die ("%s", "a response without Content-Length");
  if (!date)
    die ("%s", "a response without Date");

  /* the body: keep the first 64 bytes, check the a-z pattern throughout */
  long long want = head_request ? 0 : length, got = 0;
  char shown[65];
  size_t shown_len = 0;
  bool pattern = true;
  double deadline = now () + timeout;
  while (got < want)
    {
      if (buf_start == buf_end)
        {
          if (now () >= deadline)
            die ("body incomplete after %s s", "TIMEOUT");
          if (!receive (deadline))
            die ("%s", "the server closed in the middle of a body");
          deadline = now () + timeout;   /* progress */
          continue;
        }
      char ch = buf[buf_start++];
      if (ch != (char) ('a' + got % 26))
        pattern = false;
      if (shown_len < 64)
        shown[shown_len++] = ch;
      got++;
    }
  shown[shown_len] = 0;

  printf ("%s | Content-Length: %lld | Connection: %s | ", status_line, length, connection);
  if (head_request)
    printf ("no body\n");
  else if (want > 64)
    printf ("%lld bytes%s\n", want, pattern ? " of a-z" : "");
  else
    {
      putchar ('"');
      for (size_t i = 0; i < shown_len; i++)
        {
          unsigned char ch = (unsigned char) shown[i];
          if (ch == '\n')
            fputs ("\\n", stdout);
          else if (ch == '\r')
            fputs ("\\r", stdout);
          else if (ch < ' ' || ch >= 0x7f || ch == '"' || ch == '\\')
            printf ("\\x%02x", ch);
          else
            putchar (ch);
        }
      puts ("\"");
    }
  fflush (stdout);
  return true;
}

/* Turns \r, \n and \\ into bytes, in place; returns the new length. */
static size_t
unescape (char *s)
{
  size_t o = 0;
  for (size_t i = 0; s[i]; i++)
    {
      if (s[i] == '\\' && s[i + 1])
        {
          i++;
          s[o++] = s[i] == 'r' ? '\r' : s[i] == 'n' ? '\n' : s[i];
        }
      else
        s[o++] = s[i];
    }
  return o;
}

static void
send_all (const char *data, size_t len)
{
  while (len)
    {
      ssize_t n = send (fd, data, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die ("send: %s", strerror (errno));
      data += n;
      len -= (size_t) n;
    }
  last_activity = now ();
}

static double
parse_seconds (const char *arg)
{
  char *end;
  double v = strtod (arg, &end);
  if (end == arg || *end || !(v >= 0. && v <= 3600.))
    {
      fprintf (stderr, "http-client-check: bad number of seconds: %s\n", arg);
      exit (64);
    }
  return v;
}

int
main (int argc, char **argv)
{
  bool pipeline = false;
  double delay = 0., wait = 0.;
  int opt;
  while ((opt = getopt (argc, argv, "pd:w:t:")) != -1)
    switch (opt)
      {
      case 'p': pipeline = true; break;
      case 'd': delay = parse_seconds (optarg); break;
      case 'w': wait = parse_seconds (optarg); break;
      case 't': timeout = parse_seconds (optarg); break;
      default:
        fprintf (stderr, "usage: %s [-p] [-d DELAY] [-w WAIT] [-t TIMEOUT] PORT [REQUEST...]\n", argv[0]);
        return 64;
      }
  if (optind >= argc)
    {
      fprintf (stderr, "usage: %s [-p] [-d DELAY] [-w WAIT] [-t TIMEOUT] PORT [REQUEST...]\n", argv[0]);
      return 64;
    }

  struct sockaddr_in addr;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = htons ((unsigned short) atoi (argv[optind]));
  fd = socket (AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("connect: %s", strerror (errno));
  last_activity = now ();

  int nreq = argc - optind - 1;
  char **req = argv + optind + 1;
  size_t *len = calloc ((size_t) nreq + 1, sizeof *len);
  if (!len)
    die ("%s", "out of memory");
  for (int i = 0; i < nreq; i++)
    len[i] = unescape (req[i]);

  if (pipeline)
    {
      /* all requests in one send(), as a pipelining client does */
      size_t total = 0;
      for (int i = 0; i < nreq; i++)
        total += len[i];
      char *all = malloc (total + 1);
      if (!all)
        die ("%s", "out of memory");
      for (int i = 0, o = 0; i < nreq; o += (int) len[i], i++)
        memcpy (all + o, req[i], len[i]);
      send_all (all, total);
      free (all);
    }

  for (int i = 0; i < nreq && !closed; i++)
    {
      if (!pipeline)
        {
          if (i > 0 && delay > 0)
            nanosleep (&(struct timespec) { (time_t) delay, (long) ((delay - (double) (time_t) delay) * 1e9) }, NULL);
          send_all (req[i], len[i]);
        }
      if (!read_response (strncmp (req[i], "HEAD ", 5) == 0))
        break;                 /* closed: read_line printed it */
    }

  if (!closed && wait > 0)
    {
      double deadline = now () + wait;
      while (!closed && now () < deadline)
        {
          if (!receive (deadline))
            break;
          if (buf_start != buf_end)
            die ("%s", "unexpected bytes after the last response");
        }
      if (!closed)
        printf ("still open after %g s\n", wait);
    }

  free (len);
  close (fd);
  return 0;
}
