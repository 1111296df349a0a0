/* SPDX-License-Identifier: BSD-2-Clause */
/* libevent.h - what the libevent 2.1 workloads share (event2 API, default
 * configuration: what a user gets from event_base_new) */
#ifndef BENCH_LIBEVENT_H
#define BENCH_LIBEVENT_H

#include <stddef.h>
#include <sys/time.h>
#include <event2/event.h>

/* event_base_new, checked to be using epoll like every other library */
struct event_base *bench_event_base (void);

/* struct event is opaque in the event2 API: arrays of events are laid out
 * with event_get_struct_event_size() (rounded up for alignment) and set up
 * with event_assign, the way users embed events without event_new */
struct event_array
{
  char *mem;
  size_t stride;
};
void event_array_init (struct event_array *a, size_t n);
static inline struct event *
event_at (const struct event_array *a, size_t i)
{
  return (struct event *)(a->mem + i * a->stride);
}
static inline size_t
event_index (const struct event_array *a, const struct event *ev)
{
  return (size_t)((const char *)ev - a->mem) / a->stride;
}

static inline struct timeval
tv_us (long us)
{
  struct timeval tv = { us / 1000000, us % 1000000 };
  return tv;
}

#endif
