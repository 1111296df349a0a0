// SPDX-License-Identifier: BSD-2-Clause
// base/ptr_map.h - a hash map from pointers to small values, for the indexes the loop builds only
// when a structure gets long, such as fd/io_list.h's, and for debug mode's records (diag/debug.cc).
//
// Open addressing with linear probing, at most 3/4 full, because every new page costs a fault.
// Erase moves the entries after the hole back instead of leaving tombstones, so probes stay short.
// Keys are never null.  An index is an optimisation, so memory comes from ev_try_realloc, and
// insert returns false rather than aborting, for its user to fall back to the slow way.
#pragma once

#include "base/alloc.h"

#include <cstdint>
#include <cstring>

namespace ev_detail {

template <class V>
struct ptr_map {
  static_assert(std::is_trivially_copyable_v<V>);
  struct slot {
    const void *key;  // nullptr: free
    V value;
  };

  slot *slots;
  unsigned mask;  // capacity - 1, a power of two less one, or 0 without slots
  unsigned count;

  V *find(const void *key) const
  {
    if (!count)
      return nullptr;
    for (unsigned i = home(key);; i = (i + 1) & mask) {
      if (slots[i].key == key)
        return &slots[i].value;
      if (!slots[i].key)
        return nullptr;
    }
  }

  // Insert key, which is not present, with value; false, the map unchanged, when out of memory.
  bool insert(const void *key, V value)
  {
    if (4 * (count + 1) > 3 * capacity() && !grow())
      return false;
    place(key, value);
    ++count;
    return true;
  }

  // insert() for a map that is a necessity, such as debug mode's records: its memory comes from
  // ev_realloc, which aborts when there is none, as for the loop's arrays.
  void insert_or_abort(const void *key, V value)
  {
    if (4 * (count + 1) > 3 * capacity())
      grow(true);
    place(key, value);
    ++count;
  }

  // Remove key, which must be present.
  void erase(const void *key)
  {
    unsigned hole = home(key);
    while (slots[hole].key != key)
      hole = (hole + 1) & mask;
    // Backward shift: an entry after the hole moves into it unless its home lies cyclically in
    // (hole, its position], where the probe from its home would not pass the hole.
    for (unsigned i = (hole + 1) & mask; slots[i].key; i = (i + 1) & mask) {
      unsigned h = home(slots[i].key);
      bool stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i);
      if (!stays) {
        slots[hole] = slots[i];
        hole = i;
      }
    }
    slots[hole].key = nullptr;
    if (!--count)
      release();  // an index that emptied costs no memory
  }

  // Remove every entry for which pred(key, value) holds.
  template <class Pred>
  void erase_if(Pred pred)
  {
    // An erase may move a later entry into slot i, so slot i is looked at
    // again after each erase.  At the end of the table the entry may come
    // from its start, which was looked at already and stays.
    for (unsigned i = 0; slots && i <= mask;) {
      if (slots[i].key && pred(slots[i].key, slots[i].value))
        erase(slots[i].key);
      else
        ++i;
    }
  }

  void release()
  {
    if (slots)
      ev_free(slots);
    slots = nullptr;
    mask = count = 0;
  }

  unsigned capacity() const { return slots ? mask + 1 : 0; }

 private:
  unsigned home(const void *key) const
  {
    // Fibonacci hashing: the high bits of the product mix every key bit,
    // since watchers are aligned and the low bits alone would collide.
    auto k = reinterpret_cast<std::uintptr_t>(key) * UINT64_C(0x9e3779b97f4a7c15);
    return static_cast<unsigned>(k >> 32) & mask;
  }

  void place(const void *key, V value)
  {
    unsigned i = home(key);
    while (slots[i].key)
      i = (i + 1) & mask;
    slots[i] = slot{key, value};
  }

  bool grow(bool required = false)
  {
    unsigned cap = slots ? 2 * (mask + 1) : 64;
    const std::size_t size = sizeof(slot) * cap;
    auto *fresh = static_cast<slot *>(required ? ev_realloc(nullptr, size) : ev_try_realloc(nullptr, size));
    if (!fresh)
      return false;
    std::memset(static_cast<void *>(fresh), 0, size);
    slot *old = slots;
    unsigned old_cap = capacity();
    slots = fresh;
    mask = cap - 1;
    for (unsigned i = 0; i < old_cap; ++i)
      if (old[i].key)
        place(old[i].key, old[i].value);
    if (old)
      ev_free(old);
    return true;
  }
};

}  // namespace ev_detail
