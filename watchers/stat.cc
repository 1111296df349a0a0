// SPDX-License-Identifier: BSD-2-Clause
// watchers/stat.cc - ev_stat (ev(3) "ev_stat - did the file attributes just change?", its section
// on inotify, "The special problem of stat time resolution").
//
// The attributes come from lstat(2), so a symlink's are its own.  st_nlink is 0 when the path
// cannot be examined and at least 1 otherwise.  A change of a field that attr_changed compares, the
// times in whole seconds, queues EV_STAT with the old attributes in `prev`.
//
// Two ways to notice changes:
//  - inotify, unless EVFLAG_NOINOTIFY, with one inotify fd per loop: a watch on the path, or on its
//    nearest existing parent while it is missing.  An event re-stats its watchers, and a change
//    re-adds the watch, so that a rename or a re-creation moves it to the new file.  inotify does
//    not see other hosts' changes, so on filesystems not known to be local (is_remote_fs) the timer
//    polls as well, every kRemoteInterval seconds.
//  - polling: the private `timer` member re-stats every `interval` seconds, kDefaultInterval if 0.
// The timer holds no reference: an active ev_stat holds exactly one.  `wd` is -2 without a watch,
// -1 when adding one failed and the watcher polls, else the watch descriptor.
#include "diag/walk.h"
#include "fd/loop_fd.h"
#include "watchers/start_stop.h"

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#if EV_NG_HAVE_INOTIFY
#include <sys/inotify.h>
#endif
#if EV_NG_HAVE_STATFS
#include <sys/statfs.h>
#endif

using namespace ev_detail;

constexpr watcher_calls kStatCalls{EV_STAT, "ev_stat_start", "ev_stat_stop"};

namespace {

constexpr ev_tstamp kDefaultInterval = 5.0074891;
constexpr ev_tstamp kMinInterval = 0.1074891;

inline ev_stat *stat_of_timer(ev_timer *t)
{
  return reinterpret_cast<ev_stat *>(reinterpret_cast<char *>(t) - offsetof(ev_stat, timer));
}

bool attr_changed(const ev_statdata &a, const ev_statdata &b)
{
  return a.st_dev != b.st_dev || a.st_ino != b.st_ino || a.st_mode != b.st_mode || a.st_nlink != b.st_nlink ||
         a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev || a.st_size != b.st_size ||
         a.st_atime != b.st_atime || a.st_mtime != b.st_mtime || a.st_ctime != b.st_ctime;
}

// Re-stat, and queue EV_STAT and return true if anything changed.  As in libev
// 4.33, `prev` is the state before this change even when w is pending already.
bool stat_check(ev_loop *loop, ev_stat *w)
{
  ev_statdata old = w->attr;
  ev_stat_stat(EV_A_ w);
  if (!attr_changed(old, w->attr))
    return false;
  w->prev = old;
  feed(loop, as_w(w), EV_STAT);
  return true;
}

void stat_timer_cb(EV_P_ ev_timer *t, int) { stat_check(loop, stat_of_timer(t)); }

void timer_start([[maybe_unused]] ev_loop *loop, ev_stat *w, ev_tstamp interval)
{
  ev_timer *t = &w->timer;
  t->repeat = interval;
  ev_timer_again(EV_A_ t);
  ev_unref(EV_A);
}

void timer_stop([[maybe_unused]] ev_loop *loop, ev_stat *w)
{
  if (ev_timer *t = &w->timer; t->active) {
    ev_ref(EV_A);
    ev_timer_stop(EV_A_ t);
  }
}

inline ev_tstamp poll_interval(const ev_stat *w) { return w->interval != 0. ? w->interval : kDefaultInterval; }

bool in_inotify_hash(ev_loop *loop, ev_stat *w)
{
  for (WL head : loop->fs_hash)
    if (wlist_contains(head, as_wl(w)))
      return true;
  return false;
}

#if EV_NG_HAVE_INOTIFY

constexpr uint32_t kPathMask = IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY | IN_CREATE | IN_DELETE |
                               IN_MOVED_FROM | IN_MOVED_TO | IN_DONT_FOLLOW | IN_MASK_ADD;
constexpr uint32_t kParentMask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_MASK_ADD;
constexpr ev_tstamp kRemoteInterval = 30.1074891;

inline WL *fs_bucket(ev_loop *loop, int wd) { return &loop->fs_hash[wd & (kInotifyHashSize - 1)]; }

// Is the filesystem that holds path, or its nearest existing parent, remote?
bool is_remote_fs(const char *path)
{
  // inotify alone is trusted on the filesystems ev(3) names and on tmpfs, as libev 4.33 was seen to
  // treat them; ext4 shares ext2's magic number.  On any other, pseudo filesystems included, the
  // watcher also polls, as libev's does, and so it does everywhere without statfs.
#if EV_NG_HAVE_STATFS
  struct statfs sfs;
  if (statfs(path, &sfs) < 0)
    return false;
  switch (static_cast<unsigned long>(sfs.f_type)) {
  case 0xEF53:      // ext2, ext3, ext4
  case 0x3153464a:  // jfs
  case 0x52654973:  // reiserfs
  case 0x58465342:  // xfs
  case 0x01021994:  // tmpfs
    return false;
  default: return true;
  }
#else
  (void)path;
  return true;
#endif
}

// w's watch: on the path, else on its nearest existing parent directory, which sets *on_parent;
// *remote is set where inotify is not trusted alone.  The watch descriptor, or -1 if refused.
int infy_watch(ev_loop *loop, const ev_stat *w, bool *on_parent, bool *remote)
{
  const char *path = w->path ? w->path : "";
  std::size_t len = std::strlen(path);
  char dir[PATH_MAX];
  *remote = false;
  *on_parent = false;

  int wd = len ? inotify_add_watch(loop->inotify.fd, path, kPathMask) : -1;
  if (wd >= 0)
    *remote = is_remote_fs(path);
  else if (len && len < sizeof dir && (errno == ENOENT || errno == EACCES || errno == ENOTDIR)) {
    *on_parent = true;
    // Watch the parent directories, nearest first, for the path to appear.
    std::memcpy(dir, path, len + 1);
    while (wd < 0) {
      char *slash = std::strrchr(dir, '/');
      if (!slash) {  // a relative path: its parent is the working directory
        wd = inotify_add_watch(loop->inotify.fd, ".", kParentMask);
        break;
      }
      if (slash == dir) {  // the root
        wd = inotify_add_watch(loop->inotify.fd, "/", kParentMask);
        break;
      }
      *slash = 0;
      wd = inotify_add_watch(loop->inotify.fd, dir, kParentMask);
      if (wd < 0 && errno != ENOENT && errno != EACCES && errno != ENOTDIR)
        break;
    }
    if (wd >= 0)
      *remote = is_remote_fs(std::strrchr(dir, '/') ? dir : ".");
  }
  return wd;
}

// w goes into wd's bucket, with the polling timer where needed.  A parent's watch moves deeper as
// missing directories appear (infy_wd); as in libev 4.33 the path is also polled meanwhile, since a
// directory made and filled before the loop read its parent's event shows only at the next poll.
void infy_link(ev_loop *loop, ev_stat *w, int wd, bool on_parent, bool remote)
{
  w->wd = wd;
  if (wd >= 0) {
    wlist_add(fs_bucket(loop, wd), as_wl(w));
    if (on_parent)
      timer_start(loop, w, remote ? std::min(poll_interval(w), kRemoteInterval) : poll_interval(w));
    else if (remote)
      timer_start(loop, w, kRemoteInterval);
  } else {
    w->wd = -1;  // inotify refused: poll instead
    timer_start(loop, w, poll_interval(w));
  }
}

void infy_add(ev_loop *loop, ev_stat *w)
{
  bool on_parent, remote;
  const int wd = infy_watch(loop, w, &on_parent, &remote);
  infy_link(loop, w, wd, on_parent, remote);
}

// Take w out of the hash and remove its watch even when other watchers share it, as libev 4.33
// does: they get the watch's IN_IGNORED and with it a watch of their own (infy_wd).  An ev_stat_set
// on an active watcher, which ev(3) forbids, resets `wd` while the watcher is in the hash, so any
// bucket that holds it will do.  False if w is in no bucket.
bool infy_del(ev_loop *loop, ev_stat *w)
{
  int wd = w->wd;
  if (wd >= 0 && wlist_contains(*fs_bucket(loop, wd), as_wl(w))) {
    wlist_del(fs_bucket(loop, wd), as_wl(w));
    inotify_rm_watch(loop->inotify.fd, wd);
    return true;
  }
  for (WL &head : loop->fs_hash)
    if (wlist_contains(head, as_wl(w))) {
      wlist_del(&head, as_wl(w));
      return true;
    }
  return false;
}

// Give w a fresh watch at the head of its new bucket, removing the old watch if asked; the old
// one's IN_IGNORED then comes in a later iteration.
void rewatch(ev_loop *loop, ev_stat *w, bool remove_old)
{
  wlist_del(fs_bucket(loop, w->wd), as_wl(w));
  if (remove_old)
    inotify_rm_watch(loop->inotify.fd, w->wd);  // fails harmlessly if gone
  timer_stop(loop, w);
  infy_add(loop, w);
}

// Does the directory entry `name` stand for a directory of `path`, or for its last component?
bool names_a_component(const char *path, const char *name)
{
  const std::size_t n = std::strlen(name);
  for (const char *p = path; (p = std::strstr(p, name)); ++p)
    if ((p == path || p[-1] == '/') && (p[n] == '/' || p[n] == 0))
      return true;
  return false;
}

bool wd_in_use(ev_loop *loop, int wd)
{
  for (WL wl = *fs_bucket(loop, wd); wl; wl = wl->next)
    if (reinterpret_cast<ev_stat *>(wl)->wd == wd)
      return true;
  return false;
}

// w's path is missing, and a directory of the path appeared in the parent it watches, or the parent
// moved away.  The watch moves to the nearest existing parent, so that not only the timer sees a
// path whose directories are made one by one; the old one is removed unless others share it.
void infy_replace_parent_watch(ev_loop *loop, ev_stat *w)
{
  const int old = w->wd;
  bool on_parent, remote;
  const int wd = infy_watch(loop, w, &on_parent, &remote);
  if (wd == old)
    return;
  wlist_del(fs_bucket(loop, old), as_wl(w));
  timer_stop(loop, w);
  infy_link(loop, w, wd, on_parent, remote);
  if (!wd_in_use(loop, old))
    inotify_rm_watch(loop->inotify.fd, old);
}

// An inotify event for wd, or for all after a queue overflow (wd -1), handled in the order strace
// shows libev 4.33 using: wd's watchers newest first, one whose watch is gone getting a new one
// first.  Each is checked; one that changed gets a fresh watch, since its path may be another file
// now, and its attributes are read again, because a change before the new watch made no event;
// `prev` keeps the state before the first change.  A re-watched watcher moves to its bucket's head,
// as in libev; nothing else moves, so `next` stays valid.
void infy_wd(ev_loop *loop, int wd, uint32_t mask, const char *name)
{
  const bool watch_gone = mask & (IN_IGNORED | IN_UNMOUNT | IN_DELETE_SELF);
  const bool parent_changed = wd < 0 || (mask & IN_MOVE_SELF) || ((mask & (IN_CREATE | IN_MOVED_TO)) && name);
  for (int slot = 0; slot < kInotifyHashSize; ++slot) {
    if (wd >= 0 && slot != (wd & (kInotifyHashSize - 1)))
      continue;
    for (WL wl = loop->fs_hash[slot], next; wl; wl = next) {
      next = wl->next;
      auto *w = reinterpret_cast<ev_stat *>(wl);
      if (wd >= 0 && w->wd != wd)
        continue;
      if (watch_gone)
        rewatch(loop, w, false);
      if (stat_check(loop, w)) {
        rewatch(loop, w, true);
        ev_stat_stat(EV_A_ w);
      } else if (parent_changed && !watch_gone && !w->attr.st_nlink && w->path &&
                 (!name || names_a_component(w->path, name))) {
        infy_replace_parent_watch(loop, w);
        // for what the new watch came too late
        if (stat_check(loop, w)) {
          rewatch(loop, w, true);
          ev_stat_stat(EV_A_ w);
        }
      }
    }
  }
}

// One read per callback, with room for one event with the longest name and a little more, as strace
// shows libev 4.33 reading.  More events wait for the next iteration, where the still readable
// inotify fd keeps idle watchers from running, as in libev.
constexpr std::size_t kInotifyRead = sizeof(struct inotify_event) + NAME_MAX + 16;

void infy_cb(EV_P_ ev_io *, int)
{
  alignas(struct inotify_event) char buf[kInotifyRead];
  ssize_t len = ::read(loop->inotify.fd, buf, sizeof buf);
  for (ssize_t ofs = 0; ofs < len;) {
    const auto *ev = reinterpret_cast<const struct inotify_event *>(buf + ofs);
    infy_wd(loop, (ev->mask & IN_Q_OVERFLOW) ? -1 : ev->wd, ev->mask, ev->len ? ev->name : nullptr);
    ofs += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
  }
}

// The loop's inotify fd, made on first use; false without one, and ev_stat polls, as libev does.
bool infy_init(ev_loop *loop)
{
  if (loop->flags & EVFLAG_NOINOTIFY)
    return false;
  if (loop->inotify.fd == kLoopFdNone) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
      loop->inotify.fd = kLoopFdRefused;
    else
      loop_fd_watch(loop, loop->inotify, fd, infy_cb);
  }
  return loop->inotify.fd >= 0;
}

#else
bool infy_init(ev_loop *) { return false; }
void infy_add(ev_loop *, ev_stat *) {}
bool infy_del(ev_loop *, ev_stat *) { return false; }
#endif

}  // namespace

namespace ev_detail {

W stat_owner(W w)
{
  if (ev_cb(w) != reinterpret_cast<decltype(ev_cb(w))>(stat_timer_cb))
    return nullptr;
  return as_w(stat_of_timer(reinterpret_cast<ev_timer *>(w)));
}

}  // namespace ev_detail

namespace ev_detail {

// A new inotify fd with every watch added again, after a fork, so that the child does not read the
// parent's events, or when the fd was lost.  If the system refuses one now, every watcher polls.
void inotify_repair(ev_loop *loop, bool replace)
{
#if EV_NG_HAVE_INOTIFY
  if (!loop_fd_release_for_repair(loop, loop->inotify, replace))
    return;
  WL all = nullptr;
  for (auto &b : loop->fs_hash) {
    while (WL w = b) {
      b = w->next;
      wlist_add(&all, w);
    }
  }
  bool ok = infy_init(loop);
  while (WL w = all) {
    all = w->next;
    auto *s = reinterpret_cast<ev_stat *>(w);
    timer_stop(loop, s);
    if (ok)
      infy_add(loop, s);
    else {
      s->wd = -1;
      timer_start(loop, s, poll_interval(s));
    }
    stat_check(loop, s);  // what changed while nothing watched
  }
#else
  (void)loop;
  (void)replace;
#endif
}

// The inotify fd and every watch go; the ev_stat watchers stay untouched, see ev_loop_destroy.
void stat_loop_destroy(ev_loop *loop) { loop_fd_close(loop, loop->inotify); }

}  // namespace ev_detail

extern "C" {

// Refresh w->attr now, even for a stopped watcher.
void ev_stat_stat(EV_UNUSED_P_ ev_stat *w) noexcept
{
  // Zeroed when the path cannot be examined, so that change detection is deterministic.
  if (!w->path || lstat(w->path, &w->attr) < 0)
    std::memset(&w->attr, 0, sizeof w->attr);
  else if (!w->attr.st_nlink)
    w->attr.st_nlink = 1;
}

static void stat_start_plain(struct ev_loop *loop, ev_stat *w)
{
  if (w->active)
    return;
  // A NaN interval would give the timer a NaN repeat, which libev asserts against: a usage error.
  if (std::isnan(w->interval))
    usage_error("ev_stat_start", "interval", w->interval, "libev: ev_stat_start called with a NaN interval");

  // A watcher re-initialised with ev_stat_init while active is still in the inotify hash.  Its
  // private timer is not looked at: in a watcher never started it is uninitialised memory.
  if (in_inotify_hash(loop, w))
    reinitialised_while_active("ev_stat_start", w, "wd", w->wd);

  // As in libev, a non-zero interval below kMinInterval, even negative, is raised and written back.
  if (w->interval != 0. && w->interval < kMinInterval)
    w->interval = kMinInterval;

  ev_timer_init(&w->timer, stat_timer_cb, 0., poll_interval(w));
  ev_set_priority(&w->timer, ev_priority(w));

  if (infy_init(loop))
    infy_add(loop, w);
  else
    timer_start(loop, w, poll_interval(w));

  // After the watch is in place, so that a change from now on is seen by this stat or by an inotify
  // event.  A null path reads as a missing file, as in libev.
  ev_stat_stat(EV_A_ w);

  start_watcher(loop, as_w(w), 1);
  EV_FREQUENT_CHECK(loop);
}

void ev_stat_start(EV_P_ ev_stat *w) noexcept { watcher_start<kStatCalls, stat_start_plain>(loop, w); }

static void stat_stop_active(struct ev_loop *loop, ev_stat *w)
{
  // Active here: in the inotify hash, where ev_stat_set while active leaves it, or polling with its
  // timer in this loop's heap.  Another loop's watcher, or memory that is not one, is in neither.
  if (!infy_del(loop, w) && !(w->wd < 0 && w->timer.active && loop->timers.holds(w->timer.active, &w->timer)))
    not_active_here("ev_stat_stop", w, w->active);
  if (w->wd >= 0)
    w->wd = -2;  // a failed watch, -1, stays -1, as in libev
  timer_stop(loop, w);
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

void ev_stat_stop(EV_P_ ev_stat *w) noexcept { watcher_stop<kStatCalls, stat_stop_active>(loop, w); }

}  // extern "C"
