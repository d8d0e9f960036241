// pf_workload OP [ARGS] [OP [ARGS]]...
//
// The workload of tests/kernel/prefilter_diff.sh and scripts/bench-prefilter:
// issues exactly the syscalls it is told to, as raw syscall(2)s (no libc
// wrapper that adds, retries or broadcasts calls), so that the kernel's audit
// and the prefilter engine see the same calls with the same arguments.
// Calls that take fewer than four arguments get a TAG in the unused argument
// registers, which the kernel still reports as a0..a3: rules select the
// workload's calls by their tag and nobody else's. Pointer arguments point
// into a page mapped at a fixed address, so records show the same a0..a3 in
// every run.
//
// OPs (numbers: strtoul base 0, -1 allowed):
//   wait FILE                     poll until FILE exists (20 s at most)
//   call NAME TAG N [A1]          N x NAME(TAG, A1, TAG, TAG), NAME one of
//                                 getpid getppid getuid getgid geteuid getegid
//                                 gettid sched_yield getpgrp; A1 default 0
//   int80-getpid TAG N            N x i386 getpid through int $0x80, ebx=TAG
//   resuid R E S                  setresuid(R, E, S)
//   resgid R E S                  setresgid(R, E, S)
//   setuid U TAG                  setuid(U, TAG)
//   fsuid U TAG                   setfsuid(U, TAG)
//   fsgid G TAG                   setfsgid(G, TAG)
//   groups G[,G...]               setgroups(n, fixed page)
//   getsid PID TAG                getsid(PID, TAG)
//   sethostname-fail TAG          sethostname(NULL, 65, TAG): EINVAL as root,
//                                 EPERM without CAP_SYS_ADMIN; never succeeds
//   umask MASK TAG                umask(MASK, TAG)
//   socket D T P A3               socket(D, T, P, A3); the fd stays open
//   personality P TAG             personality(P, TAG)
//   close FD TAG                  close(FD, TAG)
//   dup FD TAG                    dup(FD, TAG); the new fd stays open
//   spin N                        N x getppid() untagged (bench: a hot
//                                 syscall no rule selects)
// Exit status 0 whatever the calls return; 2 on a usage error.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FIXED_PAGE ((void*)0x5ee000000000UL)

static unsigned long num(const char* s) {
  char* end;
  errno = 0;
  unsigned long v;
  if (s[0] == '-')
    v = (unsigned long)strtol(s, &end, 0);
  else
    v = strtoul(s, &end, 0);
  if (errno || *end || end == s) {
    fprintf(stderr, "pf_workload: bad number '%s'\n", s);
    exit(2);
  }
  return v;
}

static void* fixed_page(void) {
  static void* p;
  if (!p) {
    p = mmap(FIXED_PAGE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
             -1, 0);
    if (p != FIXED_PAGE) {
      perror("pf_workload: mmap");
      exit(2);
    }
  }
  return p;
}

static long int80_getpid(unsigned long tag) {
  long ret;
  // i386 getpid is 20; ebx carries the tag (a0 of the record).
  __asm__ volatile("int $0x80" : "=a"(ret) : "0"(20L), "b"(tag) : "memory", "cc");
  return ret;
}

static void need(int argc, int i, int n, const char* op) {
  if (i + n >= argc) {
    fprintf(stderr, "pf_workload: %s needs %d argument(s)\n", op, n);
    exit(2);
  }
}

int main(int argc, char** argv) {
  int i = 1;
  if (argc < 2) {
    fprintf(stderr, "usage: pf_workload OP [ARGS]...\n");
    return 2;
  }
  while (i < argc) {
    const char* op = argv[i];
    if (!strcmp(op, "wait")) {
      need(argc, i, 1, op);
      /* Up to 10 minutes: in a 6.1 vm guest under load, loading the rules
       * and switching the prefilter on took the test more than the 20 s
       * this waited before, and the calls then went out before the rules
       * were in place (kernel.prefilter_diff, rule 02). Not seeing the file
       * is an error, never a run ahead of time. */
      struct stat st;
      struct timespec ts = {0, 10 * 1000 * 1000};
      int k = 0;
      for (; k < 60000 && stat(argv[i + 1], &st) != 0; k++) nanosleep(&ts, NULL);
      if (k == 60000) {
        fprintf(stderr, "pf_workload: gave up waiting for %s\n", argv[i + 1]);
        return 3;
      }
      i += 2;
    } else if (!strcmp(op, "call")) {
      need(argc, i, 3, op);
      static const struct { const char* name; long nr; } calls[] = {
          {"getpid", SYS_getpid},   {"getppid", SYS_getppid}, {"getuid", SYS_getuid},
          {"getgid", SYS_getgid},   {"geteuid", SYS_geteuid}, {"getegid", SYS_getegid},
          {"gettid", SYS_gettid},   {"sched_yield", SYS_sched_yield},
          {"getpgrp", SYS_getpgrp},
      };
      long nr = -1;
      for (size_t k = 0; k < sizeof(calls) / sizeof(calls[0]); k++)
        if (!strcmp(calls[k].name, argv[i + 1])) nr = calls[k].nr;
      if (nr < 0) {
        fprintf(stderr, "pf_workload: unknown call '%s'\n", argv[i + 1]);
        return 2;
      }
      unsigned long tag = num(argv[i + 2]), n = num(argv[i + 3]), a1 = 0;
      int used = 4;
      if (i + 4 < argc && (argv[i + 4][0] == '-' || (argv[i + 4][0] >= '0' && argv[i + 4][0] <= '9'))) {
        a1 = num(argv[i + 4]);
        used = 5;
      }
      for (unsigned long k = 0; k < n; k++) syscall(nr, tag, a1, tag, tag);
      i += used;
    } else if (!strcmp(op, "int80-getpid")) {
      need(argc, i, 2, op);
      unsigned long tag = num(argv[i + 1]), n = num(argv[i + 2]);
      for (unsigned long k = 0; k < n; k++) {
        long r = int80_getpid(tag);
        if (r < 0) {
          fprintf(stderr, "pf_workload: int $0x80 getpid: %ld\n", r);
          return 3;
        }
      }
      i += 3;
    } else if (!strcmp(op, "resuid") || !strcmp(op, "resgid")) {
      need(argc, i, 3, op);
      long nr = op[3] == 'u' ? SYS_setresuid : SYS_setresgid;
      syscall(nr, num(argv[i + 1]), num(argv[i + 2]), num(argv[i + 3]), 0UL);
      i += 4;
    } else if (!strcmp(op, "setuid") || !strcmp(op, "fsuid") || !strcmp(op, "fsgid") ||
               !strcmp(op, "getsid") || !strcmp(op, "umask") || !strcmp(op, "personality") ||
               !strcmp(op, "close") || !strcmp(op, "dup")) {
      need(argc, i, 2, op);
      long nr = !strcmp(op, "setuid")        ? SYS_setuid
                : !strcmp(op, "fsuid")       ? SYS_setfsuid
                : !strcmp(op, "fsgid")       ? SYS_setfsgid
                : !strcmp(op, "getsid")      ? SYS_getsid
                : !strcmp(op, "umask")       ? SYS_umask
                : !strcmp(op, "personality") ? SYS_personality
                : !strcmp(op, "close")       ? SYS_close
                                             : SYS_dup;
      unsigned long tag = num(argv[i + 2]);
      syscall(nr, num(argv[i + 1]), tag, tag, tag);
      i += 3;
    } else if (!strcmp(op, "groups")) {
      need(argc, i, 1, op);
      unsigned int* g = fixed_page();
      size_t n = 0;
      char* list = strdup(argv[i + 1]);
      for (char* t = strtok(list, ","); t && n < 1024; t = strtok(NULL, ",")) g[n++] = (unsigned int)num(t);
      free(list);
      if (syscall(SYS_setgroups, (unsigned long)n, g, 0UL, 0UL) != 0) perror("pf_workload: setgroups");
      i += 2;
    } else if (!strcmp(op, "sethostname-fail")) {
      need(argc, i, 1, op);
      unsigned long tag = num(argv[i + 1]);
      syscall(SYS_sethostname, 0UL, 65UL, tag, tag);
      i += 2;
    } else if (!strcmp(op, "socket")) {
      need(argc, i, 4, op);
      syscall(SYS_socket, num(argv[i + 1]), num(argv[i + 2]), num(argv[i + 3]), num(argv[i + 4]));
      i += 5;
    } else if (!strcmp(op, "spin")) {
      need(argc, i, 1, op);
      unsigned long n = num(argv[i + 1]);
      for (unsigned long k = 0; k < n; k++) syscall(SYS_getppid);
      i += 2;
    } else {
      fprintf(stderr, "pf_workload: unknown op '%s'\n", op);
      return 2;
    }
  }
  return 0;
}
