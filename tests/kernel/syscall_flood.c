/* Calls getppid N times from one process, after printing its own pid (so a
 * test can tell its events from everyone else's). For the daemon tests and
 * scripts/bench-daemon; built into build/bin so vm-tests guests have it too. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: syscall_flood COUNT\n");
    return 2;
  }
  long n = atol(argv[1]);
  printf("%d\n", (int)getpid());
  fflush(stdout);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  return 0;
}
