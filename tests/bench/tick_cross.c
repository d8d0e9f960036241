// tick_cross -- COMMAND [ARGS...]
//
// Runs COMMAND once with an entry and an exit program on its process's
// syscalls (bpf/testing/floor.bpf.c: tick_enter, tick_exit) and prints
// "SYSCALLS CROSSED CROSSED_MS_SUM MAX_MS": how many of its syscalls saw the
// tick (jiffies) move between entry and exit. The kernel's audit stamps a
// syscall at entry, the engine at exit, both on the coarse clock: these are
// the records whose time differs, and by how much (scripts/bench-trace).
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor.skel.h"

int main(int argc, char** argv) {
  if (argc < 3 || strcmp(argv[1], "--") != 0) {
    fprintf(stderr, "usage: tick_cross -- COMMAND [ARGS...]\n");
    return 2;
  }
  struct floor_bpf* skel = floor_bpf__open();
  if (!skel) {
    fprintf(stderr, "tick_cross: cannot open the BPF object: %s\n", strerror(errno));
    return 1;
  }
  bpf_program__set_autoload(skel->progs.floor_btf_enter, 0);
  bpf_program__set_autoload(skel->progs.floor_btf_exit, 0);
  bpf_program__set_autoload(skel->progs.floor_raw_enter, 0);
  bpf_program__set_autoload(skel->progs.floor_raw_exit, 0);
  bpf_program__set_autoload(skel->progs.floor_record, 0);
  bpf_program__set_autoload(skel->progs.floor_enter_chdir, 0);
  int err = floor_bpf__load(skel);
  if (err) {
    fprintf(stderr, "tick_cross: cannot load: %s\n", strerror(-err));
    return 1;
  }
  int gate[2];
  if (pipe(gate) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(gate[1]);
    if (read(gate[0], &c, 1) != 0) _exit(126);
    int null = open("/dev/null", 1);
    dup2(null, 1);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  skel->bss->tick_tgid = (unsigned)child;
  struct bpf_link* a = bpf_program__attach(skel->progs.tick_enter);
  struct bpf_link* b = bpf_program__attach(skel->progs.tick_exit);
  if (!a || !b) {
    fprintf(stderr, "tick_cross: cannot attach: %s\n", strerror(errno));
    kill(child, 9);
    return 1;
  }
  close(gate[1]);  // EOF: the child execs
  int status;
  waitpid(child, &status, 0);
  printf("%llu %llu %.3f %.3f\n", (unsigned long long)skel->bss->tick_total,
         (unsigned long long)skel->bss->tick_crossed, skel->bss->tick_crossed_ns / 1e6,
         skel->bss->tick_max_ns / 1e6);
  bpf_link__destroy(a);
  bpf_link__destroy(b);
  floor_bpf__destroy(skel);
  return 0;
}
