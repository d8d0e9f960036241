/* Hostile and odd clients of the audit network receiver (kernel.remote).
 *
 *   remote_client HOST PORT MODE [N]
 *
 * MODE:
 *   garbage    sends an HTTP request line
 *   oversize   sends a header announcing 65535 bytes of text
 *   badtype    sends a whole frame of type 7 (not MESSAGE or HEARTBEAT)
 *   half-eof   sends 10 bytes of a header, then ends its side
 *   half-hold  sends a header and half its text, then waits
 *   noread     sends HEARTBEATs (each answered by an ACK) and never reads
 *   hold N     opens N connections and keeps them until stdin ends
 *   ack        sends one HEARTBEAT and prints the reply header in hex
 *   ending     sends nothing; prints in hex the first 16 bytes it receives
 *   blast N    sends N MESSAGE frames (records numbered 1..N) with up to
 *              1000 unanswered at a time, reads every reply, and prints the
 *              seconds and records/s (scripts/bench-remote), then on a
 *              second line the replies by type, with the text of the first
 *              of each type other than ACK
 *
 * Every mode but hold and ack then waits (up to 30 s) for the receiver to
 * close the connection and exits 0 if it did, 1 if it did not, printing the
 * seconds it waited. The header layout is audit-userspace 3.0.9's
 * lib/private.h (little-endian magic 0xff0000fe, versions, type, length,
 * sequence); it is written out byte by byte here, independently of the
 * daemon's code. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void header(unsigned char *h, uint32_t type, uint16_t len, uint32_t seq) {
  const uint32_t magic = 0xff0000feu;
  for (int i = 0; i < 4; i++) h[i] = (unsigned char)(magic >> (8 * i));
  h[4] = 0;
  h[5] = 0;
  for (int i = 0; i < 4; i++) h[6 + i] = (unsigned char)(type >> (8 * i));
  h[10] = (unsigned char)(len & 0xff);
  h[11] = (unsigned char)(len >> 8);
  for (int i = 0; i < 4; i++) h[12 + i] = (unsigned char)(seq >> (8 * i));
}

static int dial(const char *host, const char *port, int rcvbuf) {
  struct addrinfo hints = {0}, *ai;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0) return -1;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for the peer to close: read returns 0 or an error (ACKs and other
 * replies are read and dropped). */
static int wait_closed(int fd, double t0) {
  char buf[4096];
  while (now() - t0 < 30) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      printf("closed after %.1f s\n", now() - t0);
      return 0;
    }
  }
  printf("still open after 30 s\n");
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: remote_client HOST PORT MODE [N]\n");
    return 2;
  }
  const char *mode = argv[3];
  unsigned char h[16];
  if (strcmp(mode, "hold") == 0) {
    int n = argc > 4 ? atoi(argv[4]) : 1, opened = 0;
    int *fds = calloc((size_t)n, sizeof(int));
    for (int i = 0; i < n; i++) {
      fds[i] = dial(argv[1], argv[2], 0);
      if (fds[i] >= 0) opened++;
    }
    printf("opened %d\n", opened);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    for (int i = 0; i < n; i++)
      if (fds[i] >= 0) close(fds[i]);
    return opened == n ? 0 : 1;
  }
  int fd = dial(argv[1], argv[2], strcmp(mode, "noread") == 0 ? 2048 : 0);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  double t0 = now();
  if (strcmp(mode, "garbage") == 0) {
    const char *g = "GET / HTTP/1.0\r\n\r\n";
    if (write(fd, g, strlen(g)) < 0) return 1;
  } else if (strcmp(mode, "oversize") == 0) {
    header(h, 0, 0xffff, 1);
    if (write(fd, h, 16) < 0) return 1;
  } else if (strcmp(mode, "badtype") == 0) {
    header(h, 7, 0, 1);
    if (write(fd, h, 16) < 0) return 1;
  } else if (strcmp(mode, "half-eof") == 0) {
    header(h, 0, 40, 1);
    if (write(fd, h, 10) < 0) return 1;
    shutdown(fd, SHUT_WR);
  } else if (strcmp(mode, "half-hold") == 0) {
    header(h, 0, 40, 1);
    if (write(fd, h, 16) < 0 || write(fd, "type=USER msg=audit(", 20) < 0) return 1;
  } else if (strcmp(mode, "noread") == 0) {
    /* Until a send fails (the receiver closed) or 4M heartbeats went out. */
    unsigned char batch[16 * 256];
    uint32_t seq = 0;
    long sent = 0;
    while (sent < 4000000) {
      for (int i = 0; i < 256; i++) header(batch + 16 * i, 1, 0, ++seq);
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, 30000) <= 0) break;
      ssize_t n = send(fd, batch, sizeof(batch), MSG_NOSIGNAL);
      if (n < 0) {
        printf("send failed after %ld heartbeats (%s) after %.1f s\n", sent, strerror(errno),
               now() - t0);
        return 0;
      }
      sent += n / 16;
    }
    printf("sent %ld heartbeats\n", sent);
    /* Only now is anything read: the receiver must have closed meanwhile. */
  } else if (strcmp(mode, "blast") == 0) {
    long n = argc > 4 ? atol(argv[4]) : 1000, sent = 0, acked = 0, other = 0;
    /* ACK, DISKLOW, DISKFULL, DISKERROR, anything else */
    static const uint32_t types[4] = {0x40000000u, 0x50000001u, 0x60000001u, 0x60000002u};
    static const char *names[5] = {"ACK", "DISKLOW", "DISKFULL", "DISKERROR", "other"};
    long seen[5] = {0};
    char text[5][128] = {{0}};
    char rec[256], out[65536], in[65536];
    size_t inlen = 0;
    while (acked < n) {
      size_t olen = 0;
      while (sent < n && sent - acked < 1000 && olen + 16 + sizeof(rec) < sizeof(out)) {
        sent++;
        int len = snprintf(rec, sizeof(rec),
                           "node=blast type=USER msg=audit(1700000000.%03ld:%ld): pid=1 uid=0 "
                           "auid=0 ses=1 msg='op=bench seq=%ld res=success'",
                           sent % 1000, sent, sent);
        header((unsigned char *)out + olen, 0, (uint16_t)len, (uint32_t)sent);
        memcpy(out + olen + 16, rec, (size_t)len);
        olen += 16 + (size_t)len;
      }
      for (size_t off = 0; off < olen;) {
        ssize_t w = write(fd, out + off, olen - off);
        if (w <= 0) return 1;
        off += (size_t)w;
      }
      ssize_t r = read(fd, in + inlen, sizeof(in) - inlen);
      if (r <= 0) {
        printf("closed after %ld of %ld replies\n", acked, n);
        return 1;
      }
      inlen += (size_t)r;
      size_t at = 0;
      while (inlen - at >= 16) {
        unsigned char *h2 = (unsigned char *)in + at;
        size_t tlen = (size_t)(h2[10] | (h2[11] << 8));
        if (inlen - at < 16 + tlen) break;
        uint32_t type = (uint32_t)h2[6] | (uint32_t)h2[7] << 8 | (uint32_t)h2[8] << 16 |
                        (uint32_t)h2[9] << 24;
        int k = 0;
        while (k < 4 && types[k] != type) k++;
        if (k) other++;
        if (seen[k]++ == 0 && k)
          snprintf(text[k], sizeof(text[k]), "%.*s", (int)(tlen < 100 ? tlen : 100),
                   (char *)h2 + 16);
        acked++;
        at += 16 + tlen;
      }
      memmove(in, in + at, inlen - at);
      inlen -= at;
    }
    double secs = now() - t0;
    printf("%ld records in %.3f s: %.0f records/s, %ld replies other than ACK\n", n, secs,
           (double)n / secs, other);
    int first = 1;
    for (int k = 0; k < 5; k++) {
      if (!seen[k]) continue;
      printf("%s%s", first ? "" : " ", names[k]);
      if (k) printf("=\"%s\"", text[k]);
      first = 0;
    }
    printf("\n");
    return 0;
  } else if (strcmp(mode, "ack") == 0 || strcmp(mode, "ending") == 0) {
    header(h, 1, 0, 0x01020304);
    if (mode[0] == 'a' && write(fd, h, 16) < 0) return 1;
    unsigned char r[16];
    size_t got = 0;
    while (got < 16) {
      ssize_t n = read(fd, r + got, 16 - got);
      if (n <= 0) return 1;
      got += (size_t)n;
    }
    for (int i = 0; i < 16; i++) printf("%02x", r[i]);
    printf("\n");
    return 0;
  } else {
    fprintf(stderr, "remote_client: unknown mode %s\n", mode);
    return 2;
  }
  return wait_closed(fd, t0);
}
