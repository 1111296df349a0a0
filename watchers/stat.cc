// watchers/stat.cc - ev_stat (ev(3) "ev_stat - did the file attributes just
// change?", "Inotify and Kqueue", "The special problem of stat time
// resolution").
//
// The attributes come from lstat(2) (a symlink's own); st_nlink == 0 means
// "cannot stat" (missing, no permission, empty or overlong path); otherwise
// st_nlink is at least 1.  A change is any difference in dev, ino, mode,
// nlink, uid, gid, rdev, size or the atime/mtime/ctime seconds; then `prev`
// gets the old attributes and EV_STAT is queued.
//
// Two ways to notice changes:
//  - inotify (unless EVFLAG_NOINOTIFY; one inotify fd per loop, created
//    with the first ev_stat): a watch on the path, or on the nearest
//    existing parent directory while the path does not exist; every event
//    re-stats and re-adds the watch (rename/replace and delete/recreate
//    move it to the new file).  On remote filesystems, where inotify does
//    not see other hosts' changes, the polling timer runs as well, every
//    kRemoteInterval seconds.
//  - polling: the private `timer` member re-stats every `interval`
//    seconds (0: kDefaultInterval; below kMinInterval: raised to it, and
//    the raised value is written back, as libev does).
// The timer holds no reference: an active ev_stat holds exactly one.
// `wd` is -2 without a watch, the watch descriptor otherwise (-1: adding
// the watch failed, polling instead).
#include "loop.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#ifdef HAVE_SYS_INOTIFY_H
# include <sys/inotify.h>
#endif

using namespace ev_detail;

namespace {

constexpr ev_tstamp kDefaultInterval = 5.0074891;
constexpr ev_tstamp kMinInterval = 0.1074891;
constexpr ev_tstamp kRemoteInterval = 30.1074891;

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

// Re-stat; queue EV_STAT if anything changed.
void stat_check(ev_loop *loop, ev_stat *w)
{
  ev_statdata old = w->attr;
  ev_stat_stat(loop, w);
  if (attr_changed(old, w->attr)) {
    w->prev = old;
    feed(loop, as_w(w), EV_STAT);
  }
}

void stat_timer_cb(ev_loop *loop, ev_timer *t, int) { stat_check(loop, stat_of_timer(t)); }

void timer_start(ev_loop *loop, ev_stat *w, ev_tstamp interval)
{
  w->timer.repeat = interval;
  ev_timer_again(loop, &w->timer);
  ev_unref(loop);
}

void timer_stop(ev_loop *loop, ev_stat *w)
{
  if (w->timer.active) {
    ev_ref(loop);
    ev_timer_stop(loop, &w->timer);
  }
}

inline ev_tstamp poll_interval(const ev_stat *w) { return w->interval != 0. ? w->interval : kDefaultInterval; }

#ifdef HAVE_SYS_INOTIFY_H

constexpr uint32_t kPathMask = IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY | IN_CREATE | IN_DELETE |
                               IN_MOVED_FROM | IN_MOVED_TO | IN_DONT_FOLLOW | IN_MASK_ADD;
constexpr uint32_t kParentMask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_MASK_ADD;

inline WL *fs_bucket(ev_loop *loop, int wd) { return &loop->fs_hash[wd & (kInotifyHashSize - 1)]; }

bool wd_in_use(ev_loop *loop, int wd)
{
  for (WL w = *fs_bucket(loop, wd); w; w = w->next)
    if (reinterpret_cast<ev_stat *>(w)->wd == wd)
      return true;
  return false;
}

// Is the filesystem holding path (or its nearest existing parent) remote?
bool is_remote_fs(const char *path)
{
  struct statfs sfs;
  if (statfs(path, &sfs) < 0)
    return false;
  switch (static_cast<unsigned long>(sfs.f_type)) {
    case 0x6969:      // NFS
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x517B:      // SMB
    case 0x65735546:  // FUSE
    case 0x564C:      // NCP
    case 0x7461636f:  // OCFS2
    case 0x47504653:  // GPFS
    case 0x01021997:  // 9P (v9fs)
    case 0x00C36400:  // CEPH
    case 0x6B414653:  // AFS
      return true;
    default:
      return false;
  }
}

// Add the watch for w: on the path, else on its nearest existing parent.
void infy_add(ev_loop *loop, ev_stat *w)
{
  const char *path = w->path ? w->path : "";
  std::size_t len = std::strlen(path);
  char dir[PATH_MAX];
  bool remote = false;

  w->wd = len ? inotify_add_watch(loop->fs_fd, path, kPathMask) : -1;
  if (w->wd >= 0)
    remote = is_remote_fs(path);
  else if (len && len < sizeof dir && (errno == ENOENT || errno == EACCES || errno == ENOTDIR)) {
    // Watch the parent directories, nearest first, for the path to appear.
    std::memcpy(dir, path, len + 1);
    while (w->wd < 0) {
      char *slash = std::strrchr(dir, '/');
      if (!slash) {  // a relative path: its parent is the working directory
        w->wd = inotify_add_watch(loop->fs_fd, ".", kParentMask);
        break;
      }
      if (slash == dir) {  // the root
        w->wd = inotify_add_watch(loop->fs_fd, "/", kParentMask);
        break;
      }
      *slash = 0;
      w->wd = inotify_add_watch(loop->fs_fd, dir, kParentMask);
      if (w->wd < 0 && errno != ENOENT && errno != EACCES && errno != ENOTDIR)
        break;
    }
    if (w->wd >= 0)
      remote = is_remote_fs(std::strrchr(dir, '/') ? dir : ".");
  }

  if (w->wd >= 0) {
    wlist_add(fs_bucket(loop, w->wd), as_wl(w));
    if (remote)
      timer_start(loop, w, kRemoteInterval);
  } else {
    w->wd = -1;  // inotify refused: poll instead
    timer_start(loop, w, poll_interval(w));
  }
}

void infy_del(ev_loop *loop, ev_stat *w)
{
  int wd = w->wd;
  if (wd < 0)
    return;
  wlist_del(fs_bucket(loop, wd), as_wl(w));
  if (!wd_in_use(loop, wd))
    inotify_rm_watch(loop->fs_fd, wd);
}

// Events that may mean the watched path now denotes another file (or none,
// or exists again): the watch has to be added anew.
constexpr uint32_t kReaddMask = IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_CREATE | IN_DELETE |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_Q_OVERFLOW;

// An inotify event with `mask` for wd (wd == -1 after a queue overflow: all).
void infy_wd(ev_loop *loop, int wd, uint32_t mask)
{
  // Take the affected watchers out of the hash first: re-adding moves them.
  WL affected = nullptr;
  for (int slot = 0; slot < kInotifyHashSize; ++slot) {
    if (wd >= 0 && slot != (wd & (kInotifyHashSize - 1)))
      continue;
    for (WL *p = &loop->fs_hash[slot]; *p;) {
      WL w = *p;
      if (wd < 0 || reinterpret_cast<ev_stat *>(w)->wd == wd) {
        *p = w->next;
        wlist_add(&affected, w);
      } else
        p = &w->next;
    }
  }

  while (WL wl = affected) {
    affected = wl->next;
    auto *w = reinterpret_cast<ev_stat *>(wl);
    ev_statdata before = w->attr;
    stat_check(loop, w);
    bool readd = (mask & kReaddMask) || !before.st_nlink || !w->attr.st_nlink || before.st_ino != w->attr.st_ino ||
                 before.st_dev != w->attr.st_dev;
    if (!readd) {
      wlist_add(fs_bucket(loop, w->wd), wl);
      continue;
    }
    // (removing an already removed watch fails harmlessly)
    if (!wd_in_use(loop, w->wd))
      inotify_rm_watch(loop->fs_fd, w->wd);
    timer_stop(loop, w);
    infy_add(loop, w);
  }
}

void infy_cb(ev_loop *loop, ev_io *, int)
{
  alignas(struct inotify_event) char buf[4096];
  for (;;) {
    ssize_t len = ::read(loop->fs_fd, buf, sizeof buf);
    if (len <= 0)
      break;
    for (ssize_t ofs = 0; ofs < len;) {
      const auto *ev = reinterpret_cast<const struct inotify_event *>(buf + ofs);
      infy_wd(loop, (ev->mask & IN_Q_OVERFLOW) ? -1 : ev->wd, ev->mask);
      ofs += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
    }
  }
}

// The loop's inotify fd, created on first use; false if unavailable.
bool infy_init(ev_loop *loop)
{
  if (loop->flags & EVFLAG_NOINOTIFY)
    return false;
  if (loop->fs_fd == -1) {
    loop->fs_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (loop->fs_fd < 0) {
      loop->fs_fd = -2;
      return false;
    }
    ev_io_init(&loop->fs_w, infy_cb, loop->fs_fd, EV_READ);
    ev_set_priority(&loop->fs_w, EV_MAXPRI);
    start_internal_io(loop, &loop->fs_w);
  }
  return loop->fs_fd >= 0;
}

#else
bool infy_init(ev_loop *) { return false; }
void infy_add(ev_loop *, ev_stat *) {}
void infy_del(ev_loop *, ev_stat *) {}
#endif

}  // namespace

namespace ev_detail {

// The child must not share the parent's inotify fd: make a new one and
// add every watch again.
void stat_fork(ev_loop *loop)
{
#ifdef HAVE_SYS_INOTIFY_H
  if (loop->fs_fd < 0)
    return;
  stop_internal_io(loop, &loop->fs_w);
  ::close(loop->fs_fd);
  loop->fs_fd = -1;

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
  }
#else
  (void)loop;
#endif
}

void stat_loop_destroy(ev_loop *loop)
{
  if (loop->fs_fd >= 0) {
    stop_internal_io(loop, &loop->fs_w);
    ::close(loop->fs_fd);
  }
  loop->fs_fd = -1;
}

}  // namespace ev_detail

extern "C" {

// Refresh w->attr now (also for a stopped watcher).
void ev_stat_stat(struct ev_loop *, ev_stat *w) noexcept
{
  // (the other fields are unspecified when the path cannot be examined;
  // zeroing them keeps change detection deterministic)
  if (!w->path || lstat(w->path, &w->attr) < 0)
    std::memset(&w->attr, 0, sizeof w->attr);
  else if (!w->attr.st_nlink)
    w->attr.st_nlink = 1;
}

void ev_stat_start(struct ev_loop *loop, ev_stat *w) noexcept
{
  if (EV_UNLIKELY(w->active))
    return;
  // A NaN interval would make the polling timer's repeat NaN, which libev
  // rejects with an assertion: report it as the usage error it is.
  if (EV_UNLIKELY(std::isnan(w->interval)))
    usage_error("ev_stat_start", "interval", w->interval, "libev: ev_stat_start called with a NaN interval");

  ev_stat_stat(loop, w);  // a null path reads as a missing file, as in libev

  // Any non-zero interval below the minimum, negative ones included, is
  // raised to it (and written back), as libev does.
  if (w->interval != 0. && w->interval < kMinInterval)
    w->interval = kMinInterval;

  ev_timer_init(&w->timer, stat_timer_cb, 0., poll_interval(w));
  ev_set_priority(&w->timer, ev_priority(w));

  if (infy_init(loop))
    infy_add(loop, w);
  else
    timer_start(loop, w, poll_interval(w));

  start_watcher(loop, as_w(w), 1);
  EV_FREQUENT_CHECK(loop);
}

void ev_stat_stop(struct ev_loop *loop, ev_stat *w) noexcept
{
  clear_pending(loop, as_w(w));
  if (EV_UNLIKELY(!w->active))
    return;
  infy_del(loop, w);
  if (w->wd >= 0)
    w->wd = -2;  // (a failed watch, -1, stays -1, as in libev)
  timer_stop(loop, w);
  stop_watcher(loop, as_w(w));
  EV_FREQUENT_CHECK(loop);
}

}  // extern "C"
