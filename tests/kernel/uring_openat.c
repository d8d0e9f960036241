// One io_uring openat, through the raw syscalls (no liburing): sets up a
// ring, writes one IORING_OP_OPENAT SQE, submits it with io_uring_enter and
// waits for its completion. With "async" the SQE carries IOSQE_ASYNC, so the
// kernel runs it on an io-wq worker instead of inside io_uring_enter: audit
// records the two differently (a URINGOP record of its own, or one inside
// the io_uring_enter syscall's event).
// Usage: uring_openat PATH [inline|async]
// Prints "pid=N res=R"; exits 0 when the open succeeded, 3 when it failed,
// 77 when io_uring is unavailable (ENOSYS, or EPERM from
// kernel.io_uring_disabled), 2 on other errors.
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: uring_openat PATH [inline|async]\n");
    return 2;
  }
  int async = argc > 2 && strcmp(argv[2], "async") == 0;
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
  if (ring < 0) {
    int e = errno;
    fprintf(stderr, "io_uring_setup: %s\n", strerror(e));
    return e == ENOSYS || e == EPERM ? 77 : 2;
  }
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len) sq_len = cq_len;
  char* sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
                  IORING_OFF_SQ_RING);
  char* cq = (p.features & IORING_FEAT_SINGLE_MMAP)
                 ? sq
                 : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
                        IORING_OFF_CQ_RING);
  struct io_uring_sqe* sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
                                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
                                   IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  unsigned* sq_tail = (unsigned*)(sq + p.sq_off.tail);
  unsigned* sq_mask = (unsigned*)(sq + p.sq_off.ring_mask);
  unsigned* sq_array = (unsigned*)(sq + p.sq_off.array);
  unsigned* cq_head = (unsigned*)(cq + p.cq_off.head);
  unsigned* cq_tail = (unsigned*)(cq + p.cq_off.tail);
  unsigned* cq_mask = (unsigned*)(cq + p.cq_off.ring_mask);
  struct io_uring_cqe* cqes = (struct io_uring_cqe*)(cq + p.cq_off.cqes);

  unsigned tail = *sq_tail;
  unsigned idx = tail & *sq_mask;
  struct io_uring_sqe* sqe = &sqes[idx];
  memset(sqe, 0, sizeof(*sqe));
  sqe->opcode = IORING_OP_OPENAT;
  sqe->fd = AT_FDCWD;
  sqe->addr = (unsigned long)argv[1];
  sqe->open_flags = O_RDONLY | O_CLOEXEC;
  sqe->flags = async ? IOSQE_ASYNC : 0;
  sqe->user_data = 42;
  sq_array[idx] = idx;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);

  int n = (int)syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
  if (n < 0) {
    perror("io_uring_enter");
    return 2;
  }
  unsigned head = *cq_head;
  while (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
    n = (int)syscall(__NR_io_uring_enter, ring, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (n < 0 && errno != EINTR) {
      perror("io_uring_enter");
      return 2;
    }
  }
  struct io_uring_cqe* cqe = &cqes[head & *cq_mask];
  int res = cqe->res;
  __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
  printf("pid=%d res=%d\n", (int)getpid(), res);
  if (res >= 0) close(res);
  close(ring);
  return res >= 0 ? 0 : 3;
}
