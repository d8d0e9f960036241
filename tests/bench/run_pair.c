// run_pair RUNS -- A [ARGS...] -- B [ARGS...]
//
// Times two commands RUNS times each, interleaved (A B, then B A, ...) so
// that drift in the host's load hits both alike, with their output sent to
// /dev/null. Prints the median wall time of each in nanoseconds and the
// median of the per-pair ratios A/B: "A B RATIO". A run of a few
// milliseconds is mostly process start-up, whose outliers (a preempted run,
// a page-cache hiccup) would dominate a sum; and the two runs of a pair share
// the host's conditions, so their ratio varies less than either time.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long time_one(char** argv, int devnull) {
  long long start = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("run_pair: fork");
    exit(2);
  }
  if (pid == 0) {
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  long long end = now_ns();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    fprintf(stderr, "run_pair: cannot run %s\n", argv[0]);
    exit(2);
  }
  return end - start;
}

static int by_value(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return (x > y) - (x < y);
}

static long long median(long long* v, int n) {
  qsort(v, (size_t)n, sizeof(*v), by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int by_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median_ratio(const long long* a, const long long* b, int n) {
  double* r = calloc((size_t)n, sizeof(double));
  if (!r) {
    perror("run_pair");
    exit(2);
  }
  for (int i = 0; i < n; ++i) r[i] = (double)a[i] / (double)b[i];
  qsort(r, (size_t)n, sizeof(*r), by_double);
  double m = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
  free(r);
  return m;
}

int main(int argc, char** argv) {
  if (argc < 6 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: run_pair RUNS -- A [ARGS...] -- B [ARGS...]\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  int split = 3;
  while (split < argc && strcmp(argv[split], "--") != 0) ++split;
  if (runs < 1 || split == 3 || split >= argc - 1) {
    fprintf(stderr, "usage: run_pair RUNS -- A [ARGS...] -- B [ARGS...]\n");
    return 2;
  }
  argv[split] = NULL;
  char** a = argv + 3;
  char** b = argv + split + 1;
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  long long* ta = calloc((size_t)runs, sizeof(long long));
  long long* tb = calloc((size_t)runs, sizeof(long long));
  if (devnull < 0 || !ta || !tb) {
    perror("run_pair");
    return 2;
  }
  for (int i = 0; i < runs; ++i) {
    if (i % 2 == 0) {
      ta[i] = time_one(a, devnull);
      tb[i] = time_one(b, devnull);
    } else {
      tb[i] = time_one(b, devnull);
      ta[i] = time_one(a, devnull);
    }
  }
  double ratio = median_ratio(ta, tb, runs);  // before median() sorts them apart
  printf("%lld %lld %.4f\n", median(ta, runs), median(tb, runs), ratio);
  return 0;
}
