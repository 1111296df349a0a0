// SPDX-License-Identifier: BSD-2-Clause
// examples/echo-server-cxx.cc - echo-server.c again, with the C++ wrapper ev++.h.
//
//   usage: echo-server-cxx [PORT]        (0 or nothing: any free port)
//
// Same behaviour and output as echo-server.c (minus the EMFILE pause); read
// that one first.  What changes in C++: each watcher is a member object
// (ev::io, ev::sig) whose callback is a method, set with
// w.set<Class, &Class::method> (this), and the wrappers stop themselves when
// destroyed, so a connection is closed by deleting it.

#include <ev++.h>

extern "C" {
#include "tcp.h"
}

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

class server;

// One client: a reader and a writer watcher on the socket, and the bytes
// received but not yet sent back.
class connection
{
public:
  connection (server &owner, int fd);
  ~connection ();
  connection (const connection &) = delete;
  connection &operator = (const connection &) = delete;

private:
  void on_readable (ev::io &w, int revents);
  void on_writable (ev::io &w, int revents);
  bool flush ();
  void update ();

  static constexpr std::size_t max_pending = 64 * 1024;   // back pressure above this

  server &owner_;
  int fd_;
  ev::io reader_, writer_;
  std::string pending_;
  bool eof_ = false;
};

class server
{
public:
  server (ev::loop_ref loop, int listen_fd);

  void close (connection *c) { connections_.erase (c); }   // deletes it
  ev::loop_ref loop () const { return loop_; }

  unsigned long accepted = 0;
  unsigned long long echoed = 0;

private:
  void on_connection (ev::io &w, int revents);
  void on_signal (ev::sig &w, int revents);

  ev::loop_ref loop_;
  ev::io listener_;
  ev::sig sigint_, sigterm_;
  std::map<connection *, std::unique_ptr<connection>> connections_;
};

connection::connection (server &owner, int fd)
: owner_ (owner), fd_ (fd), reader_ (owner.loop ()), writer_ (owner.loop ())
{
  // set<class, method> (object): the callback is object->method (watcher, revents)
  reader_.set<connection, &connection::on_readable> (this);
  writer_.set<connection, &connection::on_writable> (this);
  reader_.set (fd, ev::READ);
  writer_.set (fd, ev::WRITE);
  reader_.start ();              // nothing to write yet: the writer waits
}

connection::~connection ()
{
  // ev::io's destructor would stop the watchers too; explicit is clearer,
  // and they must be stopped before the socket goes away.
  reader_.stop ();
  writer_.stop ();
  ::close (fd_);
}

bool
connection::flush ()
{
  while (!pending_.empty ())
    {
      ssize_t n = ::send (fd_, pending_.data (), pending_.size (), MSG_NOSIGNAL);
      if (n >= 0)
        {
          pending_.erase (0, static_cast<std::size_t> (n));
          owner_.echoed += static_cast<unsigned long long> (n);
        }
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;             // the writer goes on when the socket has room
      else if (errno != EINTR)
        return false;
    }
  return true;
}

// The writer runs while there is something to send, the reader while there
// is room and the peer may still send; start()/stop() are no-ops when the
// watcher already is in that state.
void
connection::update ()
{
  if (pending_.empty () && eof_)
    {
      owner_.close (this);       // deletes this: return at once
      return;
    }
  if (pending_.empty ())
    writer_.stop ();
  else
    writer_.start ();
  if (!eof_ && pending_.size () < max_pending)
    reader_.start ();
  else
    reader_.stop ();
}

void
connection::on_readable (ev::io &w, int)
{
  char buf[16384];
  ssize_t n = ::recv (w.fd, buf, sizeof buf, 0);
  if (n > 0)
    {
      pending_.append (buf, static_cast<std::size_t> (n));
      if (!flush ())
        {
          owner_.close (this);
          return;
        }
    }
  else if (n == 0)
    eof_ = true;
  else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return;
  else
    {
      owner_.close (this);
      return;
    }
  update ();
}

void
connection::on_writable (ev::io &, int)
{
  if (!flush ())
    owner_.close (this);
  else
    update ();
}

server::server (ev::loop_ref loop, int listen_fd)
: loop_ (loop), listener_ (loop), sigint_ (loop), sigterm_ (loop)
{
  listener_.set<server, &server::on_connection> (this);
  listener_.start (listen_fd, ev::READ);
  sigint_.set<server, &server::on_signal> (this);
  sigint_.start (SIGINT);
  sigterm_.set<server, &server::on_signal> (this);
  sigterm_.start (SIGTERM);
}

void
server::on_connection (ev::io &w, int)
{
  for (;;)
    {
      int fd = ::accept (w.fd, nullptr, nullptr);
      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            std::perror ("echo-server-cxx: accept");
          return;
        }
      if (tcp_set_nonblocking (fd) < 0)
        {
          ::close (fd);
          continue;
        }
      auto c = std::make_unique<connection> (*this, fd);
      connection *key = c.get ();
      connections_.emplace (key, std::move (c));
      accepted++;
    }
}

void
server::on_signal (ev::sig &w, int)
{
  std::printf ("echo-server-cxx: caught signal %d, shutting down\n", w.signum);
  // stop everything: with no active watcher left, loop.run () returns
  listener_.stop ();
  ::close (listener_.fd);
  connections_.clear ();
  sigint_.stop ();
  sigterm_.stop ();
}

} // namespace

int
main (int argc, char **argv)
{
  unsigned port = 0, bound_port;
  if (argc > 2 || (argc == 2 && tcp_parse_port (argv[1], &port) < 0))
    {
      std::fprintf (stderr, "usage: %s [PORT]    (0 or nothing: any free port)\n", argv[0]);
      return 64;
    }
  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;

  // ev::default_loop throws ev::bad_loop if the loop cannot be created
  ev::default_loop loop;
  server srv (loop, fd);

  std::printf ("echo-server-cxx: listening on 127.0.0.1:%u\n", bound_port);
  std::fflush (stdout);

  loop.run ();

  std::printf ("echo-server-cxx: served %lu connections, echoed %llu bytes\n",
               srv.accepted, srv.echoed);
  return 0;
}
