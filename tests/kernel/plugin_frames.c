/* Prints the frames a format=binary plugin received, one line each:
 * "ver=V hlen=H type=T size=S DATA", DATA being the first S bytes (up to a
 * NUL). Stock auditd 3.0.9 writes each event as the 16-byte
 * audit_dispatcher_header and then its whole MAX_AUDIT_MESSAGE_LENGTH data
 * buffer, so a stream is a sequence of fixed-size frames; a stream that does
 * not end on a frame boundary is reported and exits 1. For
 * tests/kernel/plugins_diff.sh. */
#include <libaudit.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: plugin_frames FILE\n");
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
    printf("ver=%u hlen=%u type=%u size=%u %.*s\n", h.ver, h.hlen, h.type, h.size, (int)size,
           data);
  }
  return 0;
}
