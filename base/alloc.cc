// SPDX-License-Identifier: BSD-2-Clause
// base/alloc.cc - ev_set_allocator, ev_set_syserr_cb and the error paths of base/alloc.h.
#include "base/alloc.h"
#include "base/internal.h"

#include <unistd.h>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ev_detail {
namespace {

void *default_allocator(void *ptr, long size) noexcept
{
  // realloc(ptr, 0) need not free, so 0 is handled here, as ev(3) requires of every allocator.
  if (size)
    return std::realloc(ptr, static_cast<std::size_t>(size));
  std::free(ptr);
  return nullptr;
}

// Process-global hooks, which ev(3) says to set before use: not thread-safe.
using allocator_fn = void *(*)(void *ptr, long size) noexcept;
using syserr_fn = void (*)(const char *msg) noexcept;
constinit allocator_fn allocator = default_allocator;
constinit syserr_fn syserr_cb = nullptr;

// stderr output without stdio buffers or memory, for when memory ran out or the process aborts.
void write_all(const char *s)
{
  // Windows' C runtime takes the count as an unsigned int: writing in chunks
  // that fit one makes the same call right there and on POSIX.
  constexpr std::size_t max_chunk = 1u << 30;
  std::size_t len = std::strlen(s);
  while (len) {
    ssize_t n = ::write(2, s, static_cast<unsigned>(len < max_chunk ? len : max_chunk));
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
    message_format(msg, sizeof msg, "(libev) cannot allocate %zu bytes, aborting.\n", size);
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
#if EV_AVOID_STDIO
  const int err = errno;
  write_all(msg);
  write_all(": ");
  write_all(std::strerror(err));
  write_all("\n");
#else
  std::perror(msg);
#endif
  std::abort();
}

void usage_error(const char *api, const char *arg, long long value, const char *what)
{
  char msg[512];
  message_format(msg, sizeof msg, "libev-ng: usage error in %s (%s = %lld): \"%s\"\n", api, arg, value, what);
  write_all(msg);
  std::abort();
}

void usage_error(const char *api, const char *arg, double value, const char *what)
{
  char msg[512];
  message_format(msg, sizeof msg, "libev-ng: usage error in %s (%s = %g): \"%s\"\n", api, arg, value, what);
  write_all(msg);
  std::abort();
}

void usage_error(const char *api, const char *arg, const void *value, const char *what)
{
  char msg[512];
  // Formatted here rather than with %p, which prints NULL as "(nil)", "0" or zeros depending on the C library.
  if (value == nullptr)
    message_format(msg, sizeof msg, "libev-ng: usage error in %s (%s = NULL): \"%s\"\n", api, arg, what);
  else
    message_format(msg, sizeof msg, "libev-ng: usage error in %s (%s = 0x%llx): \"%s\"\n", api, arg,
                   static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(value)), what);
  write_all(msg);
  std::abort();
}

void usage_error(const char *api, const char *what)
{
  char msg[512];
  message_format(msg, sizeof msg, "libev-ng: usage error in %s: \"%s\"\n", api, what);
  write_all(msg);
  std::abort();
}

void internal_error(const char *what, long long detail)
{
  char msg[512];
  message_format(msg, sizeof msg, "libev-ng: ev_verify: %s (%lld): internal state is corrupt\n", what, detail);
  write_all(msg);
  std::abort();
}

#if !EV_AVOID_STDIO
int message_format(char *buf, std::size_t size, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
#else
namespace {

struct message_buffer {
  char *p, *end;
  void put(char c)
  {
    if (p < end)
      *p++ = c;
  }
  void put(const char *s)
  {
    while (*s)
      put(*s++);
  }
  void number(unsigned long long v, unsigned base)
  {
    char digits[24];
    int n = 0;
    do
      digits[n++] = "0123456789abcdef"[v % base];
    while (v /= base);
    while (n)
      put(digits[--n]);
  }
};

}  // namespace

int message_format(char *buf, std::size_t size, const char *fmt, ...)
{
  if (!size)
    return 0;
  message_buffer b{buf, buf + size - 1};
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; ++fmt) {
    if (*fmt != '%') {
      b.put(*fmt);
      continue;
    }
    ++fmt;
    const bool alt = *fmt == '#';
    if (alt)
      ++fmt;
    switch (*fmt) {
    case 's': b.put(va_arg(ap, const char *)); break;
    case 'p':
      b.put("0x");
      b.number(reinterpret_cast<std::uintptr_t>(va_arg(ap, void *)), 16);
      break;
    case 'x':
      if (alt)
        b.put("0x");
      b.number(va_arg(ap, unsigned), 16);
      break;
    case 'z':  // %zu
      ++fmt;
      b.number(va_arg(ap, std::size_t), 10);
      break;
    case 'l': {  // %lld
      fmt += 2;
      long long v = va_arg(ap, long long);
      if (v < 0)
        b.put('-');
      b.number(v < 0 ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v), 10);
      break;
    }
    case 'g': {  // whole and millionths: enough for a usage error's value
      double v = va_arg(ap, double);
      if (v != v) {
        b.put("nan");
        break;
      }
      if (v < 0) {
        b.put('-');
        v = -v;
      }
      if (v > 1e18) {
        b.put("inf");
        break;
      }
      const auto whole = static_cast<unsigned long long>(v);
      b.number(whole, 10);
      const auto micro = static_cast<unsigned long long>((v - static_cast<double>(whole)) * 1e6);
      if (micro) {
        char frac[7];
        for (int i = 5, m = static_cast<int>(micro); i >= 0; --i, m /= 10)
          frac[i] = static_cast<char>('0' + m % 10);
        frac[6] = 0;
        b.put('.');
        b.put(frac);
      }
      break;
    }
    default: b.put(*fmt); break;
    }
  }
  va_end(ap);
  *b.p = 0;
  return static_cast<int>(b.p - buf);
}
#endif

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
