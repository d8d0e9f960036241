/* plugin_frames FILE: prints the frames a format=binary plugin received, one line each:
 * "ver=V hlen=H type=T size=S DATA", DATA being the first S bytes (up to a
 * NUL). Stock auditd 3.0.9 writes each event as the 16-byte
 * audit_dispatcher_header and then its whole MAX_AUDIT_MESSAGE_LENGTH data
 * buffer, so a stream is a sequence of fixed-size frames; a stream that does
 * not end on a frame boundary is reported and exits 1.
 * plugin_frames --read-socket PATH OUT: a reader of builtin_af_unix: connects
 * to PATH, creates OUT.connected, and copies what it reads to OUT until the
 * daemon closes the connection.
 * For tests/kernel/plugins_diff.sh. */
#include <fcntl.h>
#include <libaudit.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_socket(const char* path, const char* out) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  if (s < 0 || connect(s, (struct sockaddr*)&sa, sizeof(sa)) != 0) {
    perror(path);
    return 2;
  }
  int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char mark[4096];
  snprintf(mark, sizeof(mark), "%s.connected", out);
  int m = open(mark, O_WRONLY | O_CREAT, 0644);
  if (o < 0 || m < 0) {
    perror(out);
    return 2;
  }
  close(m);
  char buf[65536];
  ssize_t n;
  while ((n = read(s, buf, sizeof(buf))) > 0)
    if (write(o, buf, (size_t)n) != n) return 2;
  close(o);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--read-socket") == 0) return read_socket(argv[2], argv[3]);
  if (argc != 2) {
    fprintf(stderr, "usage: plugin_frames FILE | --read-socket PATH OUT\n");
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  static char data[MAX_AUDIT_MESSAGE_LENGTH];
  struct audit_dispatcher_header h;
  for (;;) {
    size_t n = fread(&h, 1, sizeof(h), f);
    if (n == 0) break;
    size_t m = n == sizeof(h) ? fread(data, 1, sizeof(data), f) : 0;
    if (n != sizeof(h) || m != sizeof(data)) {
      printf("PARTIAL frame: %zu header and %zu data bytes\n", n, m);
      return 1;
    }
    unsigned size = h.size < sizeof(data) ? h.size : (unsigned)sizeof(data);
    printf("ver=%u hlen=%u type=%u size=%u %.*s\n", h.ver, h.hlen, h.type, h.size, (int)size, data);
  }
  return 0;
}
