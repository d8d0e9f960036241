// Timing helpers of the bench tools (run_pair, tracepoint_floor): one run of
// a command with its output sent to /dev/null, and medians.
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// One timed run; with `gate`, the child waits (on a pipe) until gate(pid,
// arg) has run in the parent, then execs: the time includes that wait.
static inline long long time_gated(char** argv, int devnull, void (*gate)(pid_t, void*),
                                   void* arg) {
  int held[2] = {-1, -1};
  if (gate && pipe(held) != 0) {
    perror("pipe");
    exit(2);
  }
  long long start = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(2);
  }
  if (pid == 0) {
    if (gate) {
      char c;
      close(held[1]);
      if (read(held[0], &c, 1) != 0) _exit(126);
    }
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  if (gate) {
    gate(pid, arg);
    close(held[0]);
    close(held[1]);  // EOF: the child execs
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  long long end = now_ns();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    fprintf(stderr, "cannot run %s\n", argv[0]);
    exit(2);
  }
  return end - start;
}

static inline long long time_one(char** argv, int devnull) {
  return time_gated(argv, devnull, NULL, NULL);
}

static inline int by_value(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return (x > y) - (x < y);
}

static inline long long median(long long* v, int n) {
  qsort(v, (size_t)n, sizeof(*v), by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline int by_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static inline double median_ratio(const long long* a, const long long* b, int n) {
  double* r = calloc((size_t)n, sizeof(double));
  if (!r) {
    perror("median_ratio");
    exit(2);
  }
  for (int i = 0; i < n; ++i) r[i] = (double)a[i] / (double)b[i];
  qsort(r, (size_t)n, sizeof(*r), by_double);
  double m = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
  free(r);
  return m;
}
