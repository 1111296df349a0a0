/* SPDX-License-Identifier: BSD-2-Clause */
/* t/harness_win32.c - the harness's children on Windows, which has no fork (see harness.h,
 * "forked children"): harness_child_run starts the test program again with HARNESS_CHILD
 * naming the backend, the case and which of the case's child calls is meant ("select:12:2").
 * That process runs this one case alone, up to that call, and there runs fn (arg) as a forked
 * child would: with stderr captured by the parent, _exit (0) when fn returns.  The calls
 * before it return the outcomes the parent saw (status and stderr, in a mapping named by the
 * parent's process id), so the case takes the same path in both processes; for the same reason its
 * n-th harness_shared_new of the case finds the parent's n-th: a named mapping, named by the
 * parent's process id, the case and n.
 *
 * The C runtime's abort ends a program with status 3 (and raise (SIGABRT) too): the parent
 * reads it as SIGABRT; an exception's code as the signal it stands for; a child that outlives
 * its timeout is terminated and reads as SIGALRM, as alarm () would have killed it. */
#ifdef _WIN32
#include "harness.h"
#include "harness_win32.h"

#include <windows.h>

#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kMaxCalls = 256, kAbortStatus = 3 };

static const char *case_backend;
static size_t case_index;
static int calls;          /* harness_child_run calls of this case so far */
/* the outcomes of those calls: the parent's record, which its children read */
struct past_call
{
  DWORD code;
  char err[sizeof ((struct harness_child *)0)->err];
};
static struct past_call *past;

/* the child: which call is its own, and the outcomes of those before */
static int is_child, own_call;
static unsigned long parent_pid;
static int shared_made; /* harness_shared_new calls of this case so far */
static struct
{
  void *at;
  HANDLE mapping;
} shared[16];

void
harness_win32_case (const char *backend, size_t index)
{
  case_backend = backend;
  case_index = index;
  calls = 0;
  shared_made = 0;
}

int
harness_win32_child (const char **backend, size_t *index)
{
  static char name[64];
  const char *spec = getenv ("HARNESS_CHILD");
  unsigned long idx;
  int call;
  if (!spec || !*spec || sscanf (spec, "%63[^:]:%lu:%d:%lu", name, &idx, &call, &parent_pid) != 4)
    return 0;
  is_child = 1;
  own_call = call;
  *backend = name;
  *index = (size_t)idx;
  /* (these run no children of their own: the variables would only mislead a grandchild) */
  SetEnvironmentVariableA ("HARNESS_CHILD", NULL);
  return 1;
}

void
harness_win32_child_lost (void)
{
  fprintf (stderr, "harness: the program run again never reached its child call %d of case %lu [%s]\n", own_call,
           (unsigned long)case_index, case_backend);
  fflush (stderr);
  _exit (125);
}

/* the parent's record of its calls' outcomes, made by the parent, opened by its children */
static struct past_call *
past_record (void)
{
  if (!past)
    {
      char name[96];
      snprintf (name, sizeof name, "Local\\libev-ng-harness-past-%lu",
                is_child ? parent_pid : (unsigned long)GetCurrentProcessId ());
      DWORD size = kMaxCalls * sizeof *past;
      HANDLE m = CreateFileMappingA (INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size, name);
      assert_non_null (m);
      past = MapViewOfFile (m, FILE_MAP_ALL_ACCESS, 0, 0, size);
      assert_non_null (past);
    }
  return past;
}

int
harness_win32_open_fds (void)
{
  int n = 0;
  for (int fd = 0; fd < 2048; ++fd)
    n += _get_osfhandle (fd) != -1;
  return n;
}

void *
harness_win32_shared_new (size_t size)
{
  char name[128];
  size_t slot = 0;
  while (slot < sizeof shared / sizeof shared[0] && shared[slot].at)
    ++slot;
  assert_true (slot < sizeof shared / sizeof shared[0]);
  snprintf (name, sizeof name, "Local\\libev-ng-harness-%lu-%s-%lu-%d",
            is_child ? parent_pid : (unsigned long)GetCurrentProcessId (), case_backend, (unsigned long)case_index,
            ++shared_made);
  /* the parent's is new, hence zeroed; the child's is the parent's */
  HANDLE m = CreateFileMappingA (INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)size, name);
  assert_non_null (m);
  void *p = MapViewOfFile (m, FILE_MAP_ALL_ACCESS, 0, 0, size);
  assert_non_null (p);
  shared[slot].at = p;
  shared[slot].mapping = m;
  return p;
}

void
harness_win32_shared_free (void *p)
{
  for (size_t i = 0; i < sizeof shared / sizeof shared[0]; ++i)
    if (shared[i].at == p)
      {
        UnmapViewOfFile (p);
        CloseHandle (shared[i].mapping);
        shared[i].at = NULL;
      }
}

static void
outcome (DWORD code, struct harness_child *out)
{
  if (code == kAbortStatus)
    out->signaled = 1, out->signo = SIGABRT;
  else if (code == EXCEPTION_ACCESS_VIOLATION || code == EXCEPTION_STACK_OVERFLOW)
    out->signaled = 1, out->signo = SIGSEGV;
  else if (code == EXCEPTION_ILLEGAL_INSTRUCTION)
    out->signaled = 1, out->signo = SIGILL;
  else if (code == EXCEPTION_INT_DIVIDE_BY_ZERO || code == EXCEPTION_FLT_DIVIDE_BY_ZERO)
    out->signaled = 1, out->signo = SIGFPE;
  else if (code == (DWORD)-SIGALRM)
    out->signaled = 1, out->signo = SIGALRM;
  else
    out->exited = 1, out->status = (int)code;
}

/* an exception in the child ends it with the exception's code (no debugger, no dialog) */
static LONG WINAPI
exit_on_exception (EXCEPTION_POINTERS *e)
{
  fflush (stderr);
  TerminateProcess (GetCurrentProcess (), e->ExceptionRecord->ExceptionCode);
  return EXCEPTION_CONTINUE_SEARCH;
}

static void
run_here (void (*fn) (void *), void *arg)
{
  SetErrorMode (SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  SetUnhandledExceptionFilter (exit_on_exception);
  signal (SIGABRT, SIG_DFL);
  fflush (stdout);
  fn (arg);
  fflush (stdout);
  fflush (stderr);
  _exit (0);
}

void
harness_child_run (void (*fn) (void *arg), void *arg, unsigned timeout_s, struct harness_child *out)
{
  memset (out, 0, sizeof *out);
  int call = ++calls;
  assert_true (call <= kMaxCalls);
  struct past_call *rec = &past_record ()[call - 1];
  if (is_child)
    {
      if (call == own_call)
        run_here (fn, arg);
      outcome (rec->code, out);
      memcpy (out->err, rec->err, sizeof out->err);
      return;
    }

  char spec[96];
  snprintf (spec, sizeof spec, "%s:%lu:%d:%lu", case_backend, (unsigned long)case_index, call,
            (unsigned long)GetCurrentProcessId ());
  SetEnvironmentVariableA ("HARNESS_CHILD", spec);

  SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
  HANDLE rd, wr, nul;
  assert_true (CreatePipe (&rd, &wr, &sa, 0));
  SetHandleInformation (rd, HANDLE_FLAG_INHERIT, 0);
  nul = CreateFileA ("NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  memset (&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = nul;
  si.hStdOutput = nul;
  si.hStdError = wr;
  char self[MAX_PATH];
  GetModuleFileNameA (NULL, self, sizeof self);
  fflush (stdout);
  fflush (stderr);
  BOOL started = CreateProcessA (self, GetCommandLineA (), NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
  SetEnvironmentVariableA ("HARNESS_CHILD", NULL);
  CloseHandle (wr);
  CloseHandle (nul);
  if (!started)
    {
      CloseHandle (rd);
      fail_msg ("CreateProcess of %s failed: error %lu", self, GetLastError ());
    }

  /* stderr while it runs (a full pipe must not stall the child), up to the timeout */
  size_t len = 0;
  DWORD deadline = GetTickCount () + timeout_s * (DWORD)harness_slack (1.) * 1000, code = 0;
  for (;;)
    {
      DWORD avail = 0, n;
      int done = WaitForSingleObject (pi.hProcess, avail ? 0 : 5) == WAIT_OBJECT_0;
      while (PeekNamedPipe (rd, NULL, 0, NULL, &avail, NULL) && avail)
        {
          char sink[512];
          char *to = len < sizeof out->err - 1 ? out->err + len : sink;
          DWORD room = len < sizeof out->err - 1 ? (DWORD)(sizeof out->err - 1 - len) : sizeof sink;
          if (!ReadFile (rd, to, avail < room ? avail : room, &n, NULL) || !n)
            break;
          if (to != sink)
            len += n;
        }
      if (done)
        break;
      if ((LONG)(GetTickCount () - deadline) > 0)
        {
          TerminateProcess (pi.hProcess, (UINT)-SIGALRM);
          WaitForSingleObject (pi.hProcess, INFINITE);
        }
    }
  out->err[len] = 0;
  GetExitCodeProcess (pi.hProcess, &code);
  CloseHandle (pi.hProcess);
  CloseHandle (pi.hThread);
  CloseHandle (rd);
  rec->code = code;
  memcpy (rec->err, out->err, sizeof rec->err);
  outcome (code, out);
}

#endif
