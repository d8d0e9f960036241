/* A traced program that tries to forge audit records (issue 18): it controls
 * its comm (prctl PR_SET_NAME), argv, the names it opens, its cwd, its
 * environment and the socket addresses it connects to, and fills them with
 * hostile bytes: newlines followed by `type=... msg=audit(...)`, quotes,
 * spaces, 0x1d (the ENRICHED separator), other control bytes, invalid UTF-8,
 * names at and past PATH_MAX, a cwd deeper than PATH_MAX, a unix socket path
 * that fills sun_path without a NUL, and two names that change while the
 * syscall runs (another thread rewrites the name's buffer, or swaps the
 * symlink it names, while open() blocks on a FIFO).
 *
 * The syscalls whose records are checked ("designated": open(2) called
 * directly, chdir, connect, execve, prctl, getppid; glibc and ld.so use none
 * of them)
 * are made in a fixed order; `forged_workload --manifest DIR` prints, without
 * making them, one line per designated event with the values the program
 * really passes, so that a test can compare what a log says with the truth:
 *
 *   SEQ SYSCALL EXIT KEY=HEX ...
 *
 * EXIT is the expected return (`fd` for a descriptor, `ppid` for the
 * caller's ppid, `-` when not fixed),
 * HEX the value's bytes in lower-case hex (`-` for an empty value), KEY one of
 * comm (the task's comm in this event), name (PATH item 0; `none` when the
 * kernel writes no PATH item: getname refused the name), saddr (the address
 * bytes given to connect), argv (execve's arguments, NUL-separated), exe,
 * proctitle (the PROCTITLE the kernel writes: see proctitle()).
 *
 * `forged_workload --prepare DIR` makes, untraced, what the run needs in
 * DIR: two FIFOs, the hostile directory with a copy of this program (the
 * child's exe), a chain of DEEP_LEVELS directories of 250-byte names.
 *
 * Usage: forged_workload [--prepare | --manifest] DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEEP_LEVELS 18 /* 18 x 251 bytes: the cwd passes PATH_MAX at level 17 */

/* A directory and the program's copy under it: the exe= of the child. */
static const char kHostileDir[] = "d\ntype=USER_AUTH msg=audit(1700000000.000:7): pid=1 res=success \"";
static const char kExeName[] = "x type=EXECVE msg=audit(1.2:3): a0=\"rm\"";
/* comm: 15 bytes are kept (TASK_COMM_LEN); the rest is cut by the kernel. */
static const char kComm1[] = "c\ntype=X \"\x1d\xff\x01";
static const char kComm2[] = "long comm \xc3\x28 type=AVC msg=audit(1.1:1)";
static const char kEnv[] = "FORGED=e\ntype=USER_AUTH msg=audit(1700000000.000:8): res=success";

/* The names given to open(2), each missing (ENOENT). */
static const char* const kNames[] = {
    "/nonexistent-forged/n\ntype=USER_AUTH msg=audit(1700000000.000:1): pid=1 uid=0 res=success",
    "/nonexistent-forged/q\"uote",
    "/nonexistent-forged/sp ace",
    "/nonexistent-forged/gs\x1d" "AUID=root",
    "/nonexistent-forged/ctl\x01\x7f\x1b[31m\r",
    "/nonexistent-forged/bad\xff\xfe utf8\xc3\x28",
    "/nonexistent-forged/plain-type=USER_LOGIN,msg=audit(1.1:1):",
    "/nonexistent-forged/tab\there'single'`$(x)`",
};
#define N_NAMES (sizeof kNames / sizeof kNames[0])

static char g_dir[1024];
static char g_long[3][5100]; /* 4095 (the longest name getname takes), 4096, 5000 bytes */
static const size_t kLongLen[3] = {4095, 4096, 5000};
static char g_exe[4096];
static char g_hostile_dir[2048];
static char g_sock[256];
static char g_big_arg[5001];
static char g_huge_arg[10001];

/* Copies src into dst[n], cut to n - 1 bytes (as the kernel cuts comm). */
static void cut(char* dst, size_t n, const char* src) {
  size_t len = strnlen(src, n - 1);
  memcpy(dst, src, len);
  dst[len] = 0;
}

static void hex(FILE* f, const char* key, const void* p, size_t n) {
  const unsigned char* b = p;
  fprintf(f, " %s=", key);
  if (n == 0) fputc('-', f);
  for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

static void setup(const char* dir) {
  snprintf(g_dir, sizeof g_dir, "%s", dir);
  for (int k = 0; k < 3; k++) {
    /* Absolute, missing at its first component, made of 2-byte steps. */
    const char* head = "/nonexistent-forged-long";
    size_t n = strlen(head);
    memcpy(g_long[k], head, n);
    for (size_t i = n; i < kLongLen[k]; i++) g_long[k][i] = (i - n) % 2 ? 'a' : '/';
    g_long[k][kLongLen[k]] = 0;
  }
  snprintf(g_hostile_dir, sizeof g_hostile_dir, "%s/%s", dir, kHostileDir);
  snprintf(g_exe, sizeof g_exe, "%s/%s", g_hostile_dir, kExeName);
  snprintf(g_sock, sizeof g_sock, "%s/s\ntype=USER_AUTH msg=audit(1.1:1):", dir);
  memset(g_big_arg, 'L', 5000);
  g_big_arg[5000] = 0;
  for (int i = 0; i < 10000; i++) g_huge_arg[i] = i % 100 == 99 ? '\n' : 'H';
  g_huge_arg[10000] = 0;
}

/* The child's argv, as exec'd: hostile words, one of 5000 bytes and one of
 * 10000 with newlines (the kernel writes that one in hex pieces, over two
 * EXECVE records). */
static const char* child_argv[9];
static void build_child_argv(void) {
  child_argv[0] = "forged\nchild";
  child_argv[1] = "child";
  child_argv[2] = g_dir;
  child_argv[3] = "a1 type=EXECVE msg=audit(1.1:1): argc=1";
  child_argv[4] = "q\"\x1d\xff";
  child_argv[5] = g_big_arg;
  child_argv[6] = g_huge_arg;
  child_argv[7] = "last";
  child_argv[8] = NULL;
}

/* The PROCTITLE the kernel writes for the child (audit_log_proctitle): the
 * first 128 bytes (MAX_PROCTITLE_AUDIT_LEN) of its argv area, each argument
 * NUL-terminated, less trailing bytes that are not printable
 * (audit_proctitle_rtrim). The child's first 128 bytes end inside its
 * 5000-byte argument, so nothing is trimmed unless the test's directory
 * name is long; the trim below covers ASCII, all that argument holds. */
static size_t proctitle(char out[128]) {
  size_t n = 0;
  build_child_argv();
  for (int i = 0; child_argv[i] && n < 128; i++) {
    size_t len = strlen(child_argv[i]) + 1;
    if (len > 128 - n) len = 128 - n;
    memcpy(out + n, child_argv[i], len);
    n += len;
  }
  while (n > 0 && (out[n - 1] < 0x20 || out[n - 1] > 0x7e)) n--;
  return n;
}

/* Sockaddrs: a unix path (missing), an abstract name, a sun_path filled to
 * its 108 bytes with no NUL, followed in memory by more text. */
struct full_un {
  struct sockaddr_un un;
  char after[64];
};
static socklen_t make_addr(int which, struct full_un* a) {
  memset(a, 0, sizeof *a);
  a->un.sun_family = AF_UNIX;
  if (which == 0) {
    cut(a->un.sun_path, sizeof a->un.sun_path, g_sock);
    return sizeof a->un;
  }
  if (which == 1) {
    static const char abs[] = "\0forged\ntype=USER_AUTH msg=audit(1.1:1):";
    memcpy(a->un.sun_path, abs, sizeof abs - 1);
    return offsetof(struct sockaddr_un, sun_path) + sizeof abs - 1;
  }
  memset(a->un.sun_path, 'S', sizeof a->un.sun_path);
  memcpy(a->un.sun_path, "/nonexistent-forged/", 20);
  snprintf(a->after, sizeof a->after, "AFTER\ntype=USER_AUTH msg=audit(1.1:1):");
  return sizeof a->un;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The racing thread: waits until the main thread sleeps in open(2), then
 * changes what the name means, then opens the FIFO for writing so that the
 * blocked open returns. */
struct race {
  pid_t main_tid;
  char* buf;          /* the name buffer the main thread passed */
  const char* fake;   /* rewritten into buf (mode 0) */
  int mode;           /* 0: rewrite the buffer; 1: swap the symlink */
  char fifo[1100];
  char link[1100], link_new[1100], other[1100];
};

static void* racer(void* p) {
  struct race* r = p;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", r->main_tid);
  for (int i = 0; i < 500; i++) { /* up to 5 s */
    FILE* f = fopen(path, "r");
    int in_open = 0;
    if (f) {
      in_open = fgets(line, sizeof line, f) && strtol(line, NULL, 10) == SYS_open;
      fclose(f);
    }
    if (in_open) break;
    sleep_ms(10);
  }
  sleep_ms(20); /* past getname, asleep in the FIFO's open */
  if (r->mode == 0) {
    memcpy(r->buf, r->fake, strlen(r->fake) + 1);
  } else {
    unlink(r->link_new);
    if (symlink(r->other, r->link_new) == 0) rename(r->link_new, r->link);
  }
  int w = open(r->fifo, O_WRONLY);
  if (w >= 0) close(w);
  return NULL;
}

static long open_during_race(struct race* r, char* name) {
  pthread_t t;
  r->main_tid = (pid_t)syscall(SYS_gettid);
  r->buf = name;
  if (pthread_create(&t, NULL, racer, r) != 0) return -1;
  long fd = syscall(SYS_open, name, O_RDONLY);
  pthread_join(t, NULL);
  if (fd >= 0) close((int)fd);
  return fd;
}

/* The designated events, in order. With f != NULL only prints them. */
static int run(FILE* f) {
  int seq = 0;
  char comm[16];
  char buf[1100];
#define EV(sc, ex) ((void)(f && fprintf(f, "%d %s %s", ++seq, sc, ex)))
#define END() ((void)(f && fputc('\n', f)))

  /* 1. comm: hostile, then longer than TASK_COMM_LEN. */
  EV("prctl", "0");
  END();
  if (!f) prctl(PR_SET_NAME, kComm1);
  cut(comm, sizeof comm, kComm1);

  for (size_t i = 0; i < N_NAMES; i++) {
    EV("open", "-2");
    if (f) {
      hex(f, "comm", comm, strlen(comm));
      hex(f, "name", kNames[i], strlen(kNames[i]));
    }
    END();
    if (!f) syscall(SYS_open, kNames[i], O_RDONLY);
  }
  EV("prctl", "0");
  END();
  if (!f) prctl(PR_SET_NAME, kComm2);
  cut(comm, sizeof comm, kComm2);

  /* 2. PATH_MAX: 4095 bytes is taken (ENOENT), 4096 and 5000 are refused by
   * getname (ENAMETOOLONG) before any name is recorded. */
  for (int k = 0; k < 3; k++) {
    EV("open", k == 0 ? "-2" : "-36");
    if (f) {
      hex(f, "comm", comm, strlen(comm));
      if (k == 0)
        hex(f, "name", g_long[k], strlen(g_long[k]));
      else
        fprintf(f, " name=none");
    }
    END();
    if (!f) syscall(SYS_open, g_long[k], O_RDONLY);
  }

  /* 3. Socket addresses. */
  for (int which = 0; which < 3; which++) {
    struct full_un a;
    socklen_t len = make_addr(which, &a);
    EV("connect", "-");
    if (f) {
      hex(f, "comm", comm, strlen(comm));
      hex(f, "saddr", &a, len);
      if (which == 0)
        hex(f, "name", g_sock, strlen(g_sock));
      else if (which == 2)
        hex(f, "name", a.un.sun_path, sizeof a.un.sun_path);
      else
        fprintf(f, " name=none");
    }
    END();
    if (!f) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      syscall(SYS_connect, s, &a, len);
      close(s);
    }
  }

  /* 4. cwd: into the hostile directory (relative name), then ever deeper
   * until the cwd is longer than PATH_MAX; each chdir's CWD record is the
   * cwd before it. Then back out with one absolute chdir. */
  EV("chdir", "0");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", g_dir, strlen(g_dir));
  }
  END();
  if (!f && syscall(SYS_chdir, g_dir) != 0) return 1;
  EV("chdir", "0");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", kHostileDir, strlen(kHostileDir));
    fprintf(f, " rel=1");
  }
  END();
  if (!f && syscall(SYS_chdir, kHostileDir) != 0) return 1;
  EV("open", "-2");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", "rel\nname", 8);
    fprintf(f, " rel=1");
  }
  END();
  if (!f) syscall(SYS_open, "rel\nname", O_RDONLY);
  EV("chdir", "0");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", "../deep", 7);
    fprintf(f, " rel=1");
  }
  END();
  if (!f && syscall(SYS_chdir, "../deep") != 0) return 1;
  char level[251];
  memset(level, 'D', 250);
  level[250] = 0;
  for (int i = 0; i < DEEP_LEVELS; i++) {
    EV("chdir", "0");
    if (f) {
      hex(f, "comm", comm, strlen(comm));
      hex(f, "name", level, 250);
      fprintf(f, " rel=1");
    }
    END();
    if (!f && syscall(SYS_chdir, level) != 0) return 1;
  }
  EV("open", "-2");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", "deep-missing", 12);
    fprintf(f, " rel=1");
  }
  END();
  if (!f) syscall(SYS_open, "deep-missing", O_RDONLY);
  EV("chdir", "0");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", g_dir, strlen(g_dir));
  }
  END();
  if (!f && syscall(SYS_chdir, g_dir) != 0) return 1;

  /* 5. Names that change during the syscall. */
  struct race r;
  memset(&r, 0, sizeof r);
  snprintf(r.fifo, sizeof r.fifo, "%s/fifo-a", g_dir);
  snprintf(buf, sizeof buf, "%s/fifo-a", g_dir);
  r.fake = "/nonexistent-forged/FAKE";
  EV("open", "fd");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", buf, strlen(buf));
    fprintf(f, " changed=1");
  }
  END();
  if (!f && open_during_race(&r, buf) < 0) return 1;
  r.mode = 1;
  snprintf(r.fifo, sizeof r.fifo, "%s/fifo-b", g_dir);
  snprintf(r.link, sizeof r.link, "%s/link", g_dir);
  snprintf(r.link_new, sizeof r.link_new, "%s/link.new", g_dir);
  snprintf(r.other, sizeof r.other, "%s/fifo-a", g_dir);
  if (!f) {
    unlink(r.link);
    if (symlink(r.fifo, r.link) != 0) return 1;
  }
  snprintf(buf, sizeof buf, "%s", r.link);
  EV("open", "fd");
  if (f) {
    hex(f, "comm", comm, strlen(comm));
    hex(f, "name", buf, strlen(buf));
  }
  END();
  if (!f && open_during_race(&r, buf) < 0) return 1;

  /* 6. exec of the hostile-named copy with hostile argv and environment. */
  build_child_argv();
  /* After exec, comm is the exe's base name cut to 15 bytes. */
  char child_comm[16];
  cut(child_comm, sizeof child_comm, kExeName);
  EV("execve", "0");
  if (f) {
    hex(f, "comm", child_comm, strlen(child_comm));
    hex(f, "exe", g_exe, strlen(g_exe));
    hex(f, "name", g_exe, strlen(g_exe));
    fprintf(f, " argv=");
    for (int i = 0; child_argv[i]; i++) {
      if (i) fprintf(f, "00");
      for (const unsigned char* c = (const unsigned char*)child_argv[i]; *c; c++) fprintf(f, "%02x", *c);
    }
  }
  END();
  EV("open", "-2");
  if (f) {
    hex(f, "comm", child_comm, strlen(child_comm));
    hex(f, "name", "/nonexistent-forged/child", 25);
    hex(f, "exe", g_exe, strlen(g_exe));
  }
  END();
  /* 7. The child's getppid (a syscall the prefilter engine takes: its event
   * is SYSCALL + PROCTITLE only) under its exe's name as comm, then under
   * each hostile comm; its proctitle is its hostile argv's first 128 bytes. */
  char title[128];
  size_t title_len = proctitle(title);
  const char* const child_comms[3] = {child_comm, kComm1, kComm2};
  for (int i = 0; i < 3; i++) {
    if (i) {
      EV("prctl", "0");
      END();
    }
    cut(comm, sizeof comm, child_comms[i]);
    EV("getppid", "ppid");
    if (f) {
      hex(f, "comm", comm, strlen(comm));
      hex(f, "exe", g_exe, strlen(g_exe));
      hex(f, "proctitle", title, title_len);
    }
    END();
  }
  if (!f) {
    pid_t pid = fork();
    if (pid == 0) {
      char* envp[] = {(char*)kEnv, NULL};
      execve(g_exe, (char* const*)child_argv, envp);
      _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) return 1;
  }
  if (f) fprintf(f, "# %d designated events\n", seq);
  return 0;
}

/* Makes what the run needs in DIR (untraced): the FIFOs, the hostile
 * directory with this program's copy, the deep directory chain. */
static int prepare(void) {
  char p[1200];
  snprintf(p, sizeof p, "%s/fifo-a", g_dir);
  if (mkfifo(p, 0600) != 0 && errno != EEXIST) return 1;
  snprintf(p, sizeof p, "%s/fifo-b", g_dir);
  if (mkfifo(p, 0600) != 0 && errno != EEXIST) return 1;
  if (mkdir(g_hostile_dir, 0755) != 0 && errno != EEXIST) return 1;
  int in = open("/proc/self/exe", O_RDONLY), out = open(g_exe, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || out < 0) return 1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n) return 1;
  close(in);
  if (close(out) != 0) return 1;
  snprintf(p, sizeof p, "%s/deep", g_dir);
  if (mkdir(p, 0755) != 0 && errno != EEXIST) return 1;
  int d = open(p, O_RDONLY | O_DIRECTORY);
  char level[251];
  memset(level, 'D', 250);
  level[250] = 0;
  for (int i = 0; i < DEEP_LEVELS && d >= 0; i++) {
    if (mkdirat(d, level, 0755) != 0 && errno != EEXIST) return 1;
    int next = openat(d, level, O_RDONLY | O_DIRECTORY);
    close(d);
    d = next;
  }
  if (d < 0) return 1;
  close(d);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--prepare") == 0) {
    setup(argv[2]);
    return prepare();
  }
  if (argc >= 3 && strcmp(argv[1], "child") == 0) {
    syscall(SYS_open, "/nonexistent-forged/child", O_RDONLY);
    syscall(SYS_getppid);
    prctl(PR_SET_NAME, kComm1);
    syscall(SYS_getppid);
    prctl(PR_SET_NAME, kComm2);
    syscall(SYS_getppid);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--manifest") == 0) {
    setup(argv[2]);
    return run(stdout);
  }
  if (argc != 2) {
    fprintf(stderr, "usage: forged_workload [--prepare | --manifest] DIR\n");
    return 2;
  }
  setup(argv[1]);
  return run(NULL);
}
