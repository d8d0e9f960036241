// tracepoint_floor RUNS tp_btf|raw_tp|tp_btf_exit -- COMMAND [ARGS...]
//
// The cost of empty BPF programs on sys_enter and sys_exit (tp_btf_exit:
// on sys_exit alone, the engine's one syscall program) to COMMAND:
// times it RUNS times untraced and RUNS times with the two programs
// attached, interleaved, loading and attaching outside the timed part.
// Prints "UNTRACED_NS ATTACHED_NS RATIO" (medians, and the median of the
// per-pair ratios ATTACHED/UNTRACED), as run_pair does.
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_timing.h"
#include "floor.skel.h"

int main(int argc, char** argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0 ||
      (strcmp(argv[2], "tp_btf") != 0 && strcmp(argv[2], "raw_tp") != 0 &&
       strcmp(argv[2], "tp_btf_exit") != 0)) {
    fprintf(stderr, "usage: tracepoint_floor RUNS tp_btf|raw_tp|tp_btf_exit -- COMMAND [ARGS...]\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1) runs = 1;
  int exit_only = strcmp(argv[2], "tp_btf_exit") == 0;
  int btf = exit_only || strcmp(argv[2], "tp_btf") == 0;
  char** command = argv + 4;
  int devnull = open("/dev/null", O_WRONLY);
  struct floor_bpf* skel = floor_bpf__open();
  if (!skel) {
    fprintf(stderr, "tracepoint_floor: cannot open the BPF object: %s\n", strerror(errno));
    return 1;
  }
  // Only the chosen pair is loaded: the other may not load on some kernels.
  bpf_program__set_autoload(btf ? skel->progs.floor_raw_enter : skel->progs.floor_btf_enter, 0);
  bpf_program__set_autoload(btf ? skel->progs.floor_raw_exit : skel->progs.floor_btf_exit, 0);
  if (exit_only) bpf_program__set_autoload(skel->progs.floor_btf_enter, 0);
  int err = floor_bpf__load(skel);
  if (err) {
    fprintf(stderr, "tracepoint_floor: cannot load %s programs: %s\n", argv[2], strerror(-err));
    return 1;
  }
  struct bpf_program* enter = btf ? skel->progs.floor_btf_enter : skel->progs.floor_raw_enter;
  struct bpf_program* exit_prog = btf ? skel->progs.floor_btf_exit : skel->progs.floor_raw_exit;
  long long* plain = calloc((size_t)runs, sizeof(long long));
  long long* traced = calloc((size_t)runs, sizeof(long long));
  for (int i = 0; i < runs; ++i) {
    // Alternate which side goes first, as run_pair does.
    for (int side = 0; side < 2; ++side) {
      int attached = (side + i) % 2;
      struct bpf_link *a = NULL, *b = NULL;
      if (attached) {
        a = exit_only ? NULL : bpf_program__attach(enter);
        b = bpf_program__attach(exit_prog);
        if ((!a && !exit_only) || !b) {
          fprintf(stderr, "tracepoint_floor: cannot attach: %s\n", strerror(errno));
          return 1;
        }
      }
      long long t = time_one(command, devnull);
      if (attached) {
        traced[i] = t;
        if (a) bpf_link__destroy(a);
        bpf_link__destroy(b);
      } else {
        plain[i] = t;
      }
    }
  }
  double ratio = median_ratio(traced, plain, runs);  // before median() sorts them apart
  printf("%lld %lld %.4f\n", median(plain, runs), median(traced, runs), ratio);
  floor_bpf__destroy(skel);
  return 0;
}
