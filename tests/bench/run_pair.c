// run_pair RUNS -- A [ARGS...] -- B [ARGS...]
//
// Times two commands RUNS times each, interleaved (A B, then B A, ...) so
// that drift in the host's load hits both alike, with their output sent to
// /dev/null. Prints the median wall time of each in nanoseconds and the
// median of the per-pair ratios A/B: "A B RATIO". A run of a few
// milliseconds is mostly process start-up, whose outliers (a preempted run,
// a page-cache hiccup) would dominate a sum; and the two runs of a pair share
// the host's conditions, so their ratio varies less than either time.
// RUN_PAIR_CLEAN=PATH: PATH is removed after each run, untimed (a traced
// run's log: five of dd's 1.2 GB logs in the page cache put later runs under
// the kernel's dirty-page throttling, which one run of the tool never meets:
// bench-trace 12:50, 2026-12-07, dd 11.6x and 17.6x with a median write
// floor of 0.376 s; one run alone right after took 0.82 s).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_timing.h"

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
  const char* clean = getenv("RUN_PAIR_CLEAN");
  for (int i = 0; i < runs; ++i) {
    for (int side = 0; side < 2; ++side) {
      int first_a = i % 2 == 0;
      if (first_a == (side == 0))
        ta[i] = time_one(a, devnull);
      else
        tb[i] = time_one(b, devnull);
      if (clean && *clean) unlink(clean);
    }
  }
  double ratio = median_ratio(ta, tb, runs);  // before median() sorts them apart
  printf("%lld %lld %.4f\n", median(ta, runs), median(tb, runs), ratio);
  return 0;
}
