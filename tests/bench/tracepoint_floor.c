// tracepoint_floor RUNS tp_btf|raw_tp|tp_btf_exit|record -- COMMAND [ARGS...]
//
// The cost of empty BPF programs on sys_enter and sys_exit (tp_btf_exit:
// on sys_exit alone, the engine's one syscall program; record: the minimal
// recorder on sys_exit, floor.bpf.c's floor_record, its ring drained by a
// thread that drops what it reads; record_chdir: the same and an empty
// program on the chdir entry event, as the engine's exec and chdir entry
// events are) to COMMAND:
// times it RUNS times untraced and RUNS times with the two programs
// attached, interleaved, loading and attaching outside the timed part.
// Prints "UNTRACED_NS ATTACHED_NS RATIO" (medians, and the median of the
// per-pair ratios ATTACHED/UNTRACED), as run_pair does.
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_timing.h"
#include "floor.skel.h"

// The minimal recorder's reader: drains the ring every 10 ms (the program
// wakes nobody), drops the records.
static atomic_int stop_reader;
static int drop(void* ctx, void* data, size_t size) {
  (void)ctx;
  (void)data;
  (void)size;
  return 0;
}
static void* reader(void* arg) {
  struct ring_buffer* rb = arg;
  while (!atomic_load(&stop_reader)) {
    ring_buffer__consume(rb);
    usleep(10000);
  }
  ring_buffer__consume(rb);
  return NULL;
}

// The recorder follows the command's process: its pid goes in rec_tgid
// before it execs (both sides of a pair are timed this way).
static void set_tgid(pid_t pid, void* skel) {
  ((struct floor_bpf*)skel)->bss->rec_tgid = (unsigned)pid;
}

int main(int argc, char** argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0 ||
      (strcmp(argv[2], "tp_btf") != 0 && strcmp(argv[2], "raw_tp") != 0 &&
       strcmp(argv[2], "tp_btf_exit") != 0 && strcmp(argv[2], "record") != 0 &&
       strcmp(argv[2], "record_chdir") != 0)) {
    fprintf(stderr,
            "usage: tracepoint_floor RUNS tp_btf|raw_tp|tp_btf_exit|record|record_chdir -- COMMAND "
            "[ARGS...]\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1) runs = 1;
  int record_chdir = strcmp(argv[2], "record_chdir") == 0;
  int record = record_chdir || strcmp(argv[2], "record") == 0;
  int exit_only = record || strcmp(argv[2], "tp_btf_exit") == 0;
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
  if (record)
    bpf_program__set_autoload(skel->progs.floor_btf_exit, 0);
  else
    bpf_program__set_autoload(skel->progs.floor_record, 0);
  bpf_program__set_autoload(skel->progs.tick_enter, 0);
  bpf_program__set_autoload(skel->progs.tick_exit, 0);
  if (!record_chdir) bpf_program__set_autoload(skel->progs.floor_enter_chdir, 0);
  int err = floor_bpf__load(skel);
  if (err) {
    fprintf(stderr, "tracepoint_floor: cannot load %s programs: %s\n", argv[2], strerror(-err));
    return 1;
  }
  struct bpf_program* enter = btf ? skel->progs.floor_btf_enter : skel->progs.floor_raw_enter;
  struct bpf_program* exit_prog = record ? skel->progs.floor_record
                                  : btf  ? skel->progs.floor_btf_exit
                                         : skel->progs.floor_raw_exit;
  struct ring_buffer* rb = NULL;
  pthread_t drain;
  if (record) {
    rb = ring_buffer__new(bpf_map__fd(skel->maps.rec_ring), drop, NULL, NULL);
    if (!rb || pthread_create(&drain, NULL, reader, rb) != 0) {
      fprintf(stderr, "tracepoint_floor: cannot read the recorder's ring\n");
      return 1;
    }
  }
  long long* plain = calloc((size_t)runs, sizeof(long long));
  long long* traced = calloc((size_t)runs, sizeof(long long));
  for (int i = 0; i < runs; ++i) {
    // Alternate which side goes first, as run_pair does.
    for (int side = 0; side < 2; ++side) {
      int attached = (side + i) % 2;
      struct bpf_link *a = NULL, *b = NULL;
      if (attached) {
        a = record_chdir ? bpf_program__attach(skel->progs.floor_enter_chdir)
            : exit_only  ? NULL
                         : bpf_program__attach(enter);
        b = bpf_program__attach(exit_prog);
        if ((!a && (!exit_only || record_chdir)) || !b) {
          fprintf(stderr, "tracepoint_floor: cannot attach: %s\n", strerror(errno));
          return 1;
        }
      }
      long long t =
          record ? time_gated(command, devnull, set_tgid, skel) : time_one(command, devnull);
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
  if (record) {
    atomic_store(&stop_reader, 1);
    pthread_join(drain, NULL);
    ring_buffer__free(rb);
  }
  printf("%lld %lld %.4f\n", median(plain, runs), median(traced, runs), ratio);
  floor_bpf__destroy(skel);
  return 0;
}
