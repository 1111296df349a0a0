// SPDX-License-Identifier: BSD-2-Clause
// base/alloc.cc - ev_set_allocator, ev_set_syserr_cb and the error paths
// (ev(3) GLOBAL FUNCTIONS, ERROR HANDLING).
#include "base/alloc.h"
#include "base/internal.h"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ev_detail {
namespace {

void *default_allocator(void *ptr, long size) noexcept
{
  // realloc(ptr, 0) is not guaranteed to free, so 0 is handled explicitly,
  // as ev(3) requires of every allocator.
  if (size)
    return std::realloc(ptr, static_cast<std::size_t>(size));
  std::free(ptr);
  return nullptr;
}

// Process-global hooks (ev(3): "not thread-safe", set them before use).
using allocator_fn = void *(*)(void *ptr, long size) noexcept;
using syserr_fn = void (*)(const char *msg) noexcept;
constinit allocator_fn allocator = default_allocator;
constinit syserr_fn syserr_cb = nullptr;

// stderr output that needs neither stdio buffers nor memory: these paths run
// when memory is exhausted or the process is about to abort.
void write_all(const char *s)
{
  std::size_t len = std::strlen(s);
  while (len) {
    ssize_t n = ::write(2, s, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    s += n;
    len -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void *ev_realloc(void *ptr, std::size_t size)
{
  void *res = allocator(ptr, static_cast<long>(size));
  if (EV_UNLIKELY(!res && size)) {
    char msg[96];
    std::snprintf(msg, sizeof msg, "(libev) cannot allocate %zu bytes, aborting.\n", size);
    write_all(msg);
    std::abort();
  }
  return res;
}

void *ev_try_realloc(void *ptr, std::size_t size) { return allocator(ptr, static_cast<long>(size)); }

void ev_syserr(const char *msg)
{
  if (!msg)
    msg = "(libev) system error";
  if (syserr_cb) {
    // ev(3): the callback may return; the caller then retries or continues.
    syserr_cb(msg);
    return;
  }
  std::perror(msg);
  std::abort();
}

void usage_error(const char *api, const char *arg, long long value, const char *what)
{
  char msg[512];
  std::snprintf(msg, sizeof msg, "libev-ng: usage error in %s (%s = %lld): \"%s\"\n", api, arg, value, what);
  write_all(msg);
  std::abort();
}

void usage_error(const char *api, const char *arg, double value, const char *what)
{
  char msg[512];
  std::snprintf(msg, sizeof msg, "libev-ng: usage error in %s (%s = %g): \"%s\"\n", api, arg, value, what);
  write_all(msg);
  std::abort();
}

void usage_error(const char *api, const char *what)
{
  char msg[512];
  std::snprintf(msg, sizeof msg, "libev-ng: usage error in %s: \"%s\"\n", api, what);
  write_all(msg);
  std::abort();
}

void internal_error(const char *what, long long detail)
{
  char msg[512];
  std::snprintf(msg, sizeof msg, "libev-ng: ev_verify: %s (%lld): internal state is corrupt\n", what, detail);
  write_all(msg);
  std::abort();
}

}  // namespace ev_detail

extern "C" {

void ev_set_allocator(void *(*cb)(void *ptr, long size) noexcept) noexcept
{
  ev_detail::allocator = cb ? cb : ev_detail::default_allocator;
}

void ev_set_syserr_cb(void (*cb)(const char *msg) noexcept) noexcept { ev_detail::syserr_cb = cb; }

void *ev_ng_realloc(void *ptr, long size)
{
  return ev_detail::ev_realloc(ptr, size > 0 ? static_cast<std::size_t>(size) : 0);
}

}  // extern "C"
