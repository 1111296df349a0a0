// SPDX-License-Identifier: BSD-2-Clause
// base/array.h - the growable array, the core's container besides base/ptr_map.h's indexes.
//
// A plain aggregate, empty when zeroed, so that it can live inside the zeroed loop object.  Growth
// doubles, so that starts and stops allocate nothing once the array is at its working size.
#pragma once

#include "base/alloc.h"

#include <cstring>

namespace ev_detail {

template <class T>
struct array {
  static_assert(std::is_trivially_copyable_v<T>, "array<T> moves elements with memcpy");

  T *data;
  int count;
  int capacity;

  // Make room for at least `need` elements.  New slots are not initialised,
  // since every user writes an element before reading it.
  void reserve(int need)
  {
    if (EV_LIKELY(need <= capacity))
      return;
    grow(need);
  }

  // Out of line, so that the hot callers, push on every start and feed, stay small and frameless.
  [[gnu::noinline, gnu::cold]] void grow(int need)
  {
    int cap = capacity ? capacity : 4;
    while (cap < need)
      cap *= 2;
    data = static_cast<T *>(ev_realloc(data, sizeof(T) * static_cast<std::size_t>(cap)));
    capacity = cap;
  }

  // Append and return the new element's 1-based position.
  int push(const T &v)
  {
    if (EV_UNLIKELY(count == capacity))
      grow(count + 1);
    data[count] = v;
    return ++count;
  }

  T &operator[](int i) { return data[i]; }
  const T &operator[](int i) const { return data[i]; }

  void release()
  {
    ev_free(data);
    data = nullptr;
    count = capacity = 0;
  }
};

}  // namespace ev_detail
