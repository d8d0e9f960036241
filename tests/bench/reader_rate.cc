// reader_rate [EVENTS]: what autrace's reader spends per event of a traced
// `dd bs=1`, on this CPU, without the kernel: ring events as the engine
// sends them (one IDENTITY, then SYSCALL events, 1-byte reads and writes)
// through the decoder, then through the formatter with its caches, as
// RecordWriter uses them (node=bpfaudit, no key, no EOE), into a 1 MiB
// buffer that is emptied when full (the I/O thread's part is not in it).
// Five rounds; the fastest of each is printed (this VM's vCPU speed moves
// from second to second, and a CPU-bound loop is never faster than it can be):
// "decode NS/event, format NS/event, BYTES bytes/event". The reader
// has one CPU while dd runs on the other, so decode + format per event is
// what bounds the rate it keeps up with (bench-trace's dd: about 2M events
// in dd's own 0.3-0.45 s here).
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bpfaudit_engine.h"
#include "trace_events.h"
#include "trace_format.h"

namespace {

std::uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000 +
         static_cast<std::uint64_t>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bpfaudit;
  const std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  if (events == 0) {
    std::fprintf(stderr, "usage: reader_rate [EVENTS]\n");
    return 2;
  }
  constexpr std::uint32_t kTid = 4242;
  bpfaudit_identity_event who{};
  who.hdr.type = BPFAUDIT_EV_IDENTITY;
  who.hdr.size = sizeof(who);
  who.tid = kTid;
  who.id.pid = kTid;
  who.id.ppid = 4241;
  who.id.auid = 1000;
  who.id.ses = 3;
  std::memcpy(who.id.comm, "dd", 3);
  std::memcpy(who.id.tty, "pts0", 5);
  // Two events, a read and a write, as the engine fills them; the time
  // moves by 250 ns an event (dd's rate here), so the millisecond changes
  // every 4000 events.
  bpfaudit_syscall_event sc[2]{};
  for (int i = 0; i < 2; ++i) {
    sc[i].hdr.type = BPFAUDIT_EV_SYSCALL;
    sc[i].hdr.size = sizeof(sc[i]);
    sc[i].nr = i;
    sc[i].ret = 1;
    sc[i].tid = kTid;
    sc[i].args[0] = static_cast<std::uint64_t>(i);
    sc[i].args[1] = 0x55d0c0a3b000;
    sc[i].args[2] = 1;
  }
  static const char kTitle[] = "/usr/bin/dd\0if=/dev/zero\0of=/dev/null\0bs=1\0count=1000000";

  auto decoder = [&] {
    ebpf::TraceDecoder d;
    d.set_exe(kTid, "/usr/bin/dd");
    d.set_cmdline(kTid, std::string(kTitle, sizeof kTitle - 1));
    ebpf::SyscallEvent ev;
    d.feed(&who, sizeof who, ev);
    return d;
  };
  const std::uint64_t boot_to_wall = 1'796'600'000ull * 1'000'000'000;

  double best_decode = 1e300, best_both = 1e300;
  std::uint64_t bytes = 0;
  for (int round = 0; round < 5; ++round) {
    // Decode alone.
    ebpf::TraceDecoder d1 = decoder();
    ebpf::SyscallEvent ev;
    std::uint64_t t0 = now_ns(), ok = 0;
    for (std::uint64_t i = 0; i < events; ++i) {
      sc[i & 1].hdr.ts_ns = 1'000'000'000 + i * 250;
      ok += d1.feed(&sc[i & 1], sizeof sc[0], ev);
    }
    std::uint64_t t1 = now_ns();
    if (ok != events) {
      std::fprintf(stderr, "reader_rate: decoded %llu of %llu events\n",
                   static_cast<unsigned long long>(ok), static_cast<unsigned long long>(events));
      return 1;
    }
    // Decode and format.
    ebpf::TraceDecoder d2 = decoder();
    ebpf::SyscallTailCache tails;
    std::string out;
    out.reserve((1 << 20) + (64 << 10));
    bytes = 0;
    std::uint64_t t2 = now_ns();
    for (std::uint64_t i = 0; i < events; ++i) {
      sc[i & 1].hdr.ts_ns = 1'000'000'000 + i * 250;
      if (!d2.feed(&sc[i & 1], sizeof sc[0], ev)) continue;
      auto stamp = record::Stamp::at_wall_ns(ev.enter_ns + boot_to_wall, i + 1, "bpfaudit");
      ebpf::append_event_records(out, ev, stamp, std::nullopt, &tails, false);
      if (out.size() >= (1 << 20)) {
        bytes += out.size();
        out.clear();
      }
    }
    std::uint64_t t3 = now_ns();
    bytes += out.size();
    best_decode = std::min(best_decode, static_cast<double>(t1 - t0));
    best_both = std::min(best_both, static_cast<double>(t3 - t2));
  }
  const double n = static_cast<double>(events);
  std::printf("decode %.1f ns/event, format %.1f ns/event, %.1f bytes/event\n", best_decode / n,
              (best_both - best_decode) / n, static_cast<double>(bytes) / n);
  return 0;
}
