/* Calls getppid N times from one process, after printing its own pid (so a
 * test can tell its events from everyone else's). For the daemon tests and
 * scripts/bench-daemon; built into build/bin so vm-tests guests have it too.
 *
 * syscall_flood COUNT --gate: waits for a byte on stdin before the calls and
 * after them sits in pause() until SIGUSR1, so that a test can stop a tracer
 * around exactly the getppid calls: nothing else happens while it is stopped
 * (tests/kernel/chaos_test.sh, the ring case).
 *
 * syscall_flood COUNT --gate-cwd DIR: as --gate, but after the getppid calls
 * it changes to DIR and stats "lost-probe" there (while the tracer's ring is
 * full: those events are lost), and after SIGUSR1 stats "after-probe", whose
 * CWD record must be DIR: autrace's cwd cache must not stand for a CWD event
 * that was lost (chaos_test.sh, the ringcwd case).
 *
 * syscall_flood COUNT --spin SECONDS: after the calls, runs SECONDS on the
 * CPU without a syscall (the clock is read through the vDSO), so that the
 * events it made may still sit in its CPU's batch when autrace ends
 * (chaos_test.sh, the tail case). It prints "calls done" before the spin. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void woken(int sig) { (void)sig; }

int main(int argc, char** argv) {
  int gate_cwd = argc == 4 && strcmp(argv[2], "--gate-cwd") == 0;
  int gate = (argc == 3 && strcmp(argv[2], "--gate") == 0) || gate_cwd;
  int spin = argc == 4 && strcmp(argv[2], "--spin") == 0;
  if (argc != 2 && !gate && !spin) {
    fprintf(stderr, "usage: syscall_flood COUNT [--gate | --gate-cwd DIR | --spin SECONDS]\n");
    return 2;
  }
  long n = atol(argv[1]);
  printf("%d\n", (int)getpid());
  fflush(stdout);
  if (gate) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = woken;
    sigaction(SIGUSR1, &sa, NULL);
    char c;
    if (read(0, &c, 1) != 1) return 1;
  }
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  struct stat st;
  if (gate_cwd) {
    if (chdir(argv[3]) != 0) return 1;
    stat("lost-probe", &st);
  }
  if (gate) pause();
  if (gate_cwd) stat("after-probe", &st);
  if (spin) {
    /* A second line once the calls are made: the test ends the traced
     * root on it, while these events are still in this CPU's batch. */
    printf("calls done\n");
    fflush(stdout);
    struct timespec t0, t;
    double secs = atof(argv[3]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
      clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
  }
  return 0;
}
