// The prefilter engine's ring records through the one decoder of the ABI
// (ebpf::decode_engine_event over ebpf::TraceDecoder), and the records the
// daemon writes for each match it completes (event_check.h).
//
// Input: a sequence of [selector][payload of the record's size]. The
// selector's low bits pick the record: a match's three (IDENTITY,
// RULE_MATCH, SYSCALL marked standalone) in their order, one of them alone
// or out of order (a lost reservation), or a truncated one; the payload fills
// the record after its header. Thread ids are folded onto a few values so
// that records of different matches meet.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bpfaudit_engine.h"
#include "event_check.h"
#include "fuzz_util.h"
#include "prefilter_engine.h"
#include "trace_events.h"
#include "trace_format.h"

using namespace bpfaudit;

namespace {

constexpr std::uint32_t kThreads = 3;

// Fills a `T` from the input after its header, with the header and the
// fields the engine always sets made right (unless `raw`).
template <typename T>
std::vector<std::uint64_t> ring_record(fuzz::Bytes& in, std::uint32_t type, bool raw) {
  std::vector<std::uint64_t> buf((sizeof(T) + 7) / 8, 0);
  auto* bytes = reinterpret_cast<char*>(buf.data());
  std::string_view body = in.rest();
  std::size_t n = std::min(body.size(), sizeof(T) - sizeof(bpfaudit_event_header));
  std::memcpy(bytes + sizeof(bpfaudit_event_header), body.data(), n);
  in = fuzz::Bytes(reinterpret_cast<const std::uint8_t*>(body.data()) + n, body.size() - n);
  auto* hdr = reinterpret_cast<bpfaudit_event_header*>(bytes);
  hdr->type = type;
  hdr->size = raw ? hdr->size : sizeof(T);
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  ebpf::TraceDecoder decoder;
  ebpf::EngineEvent out;  // reused, as EngineRing does
  while (in.left() >= 2) {
    std::uint8_t sel = in.byte();
    bool raw = sel & 0x80;
    std::uint32_t tid = (sel >> 4) % kThreads;
    std::vector<std::vector<std::uint64_t>> records;
    switch (sel & 3) {
      case 0: {  // a whole match
        auto id = ring_record<bpfaudit_identity_event>(in, BPFAUDIT_EV_IDENTITY, raw);
        auto m = ring_record<bpfaudit_rule_match_event>(in, BPFAUDIT_EV_RULE_MATCH, raw);
        auto sc = ring_record<bpfaudit_syscall_event>(in, BPFAUDIT_EV_SYSCALL, raw);
        auto* e = reinterpret_cast<bpfaudit_identity_event*>(id.data());
        e->tid = tid;
        fuzz::plain_tty(e->id.tty, sizeof e->id.tty);
        reinterpret_cast<bpfaudit_rule_match_event*>(m.data())->tid = tid;
        auto* s = reinterpret_cast<bpfaudit_syscall_event*>(sc.data());
        s->tid = tid;
        if (!raw) s->flags = BPFAUDIT_SC_STANDALONE | (s->flags & BPFAUDIT_SC_COMPAT);
        records = {std::move(id), std::move(m), std::move(sc)};
        break;
      }
      case 1: {
        auto id = ring_record<bpfaudit_identity_event>(in, BPFAUDIT_EV_IDENTITY, raw);
        auto* e = reinterpret_cast<bpfaudit_identity_event*>(id.data());
        e->tid = tid;
        fuzz::plain_tty(e->id.tty, sizeof e->id.tty);
        records = {std::move(id)};
        break;
      }
      case 2: {
        auto m = ring_record<bpfaudit_rule_match_event>(in, BPFAUDIT_EV_RULE_MATCH, raw);
        reinterpret_cast<bpfaudit_rule_match_event*>(m.data())->tid = tid;
        records = {std::move(m)};
        break;
      }
      case 3: {
        auto sc = ring_record<bpfaudit_syscall_event>(in, BPFAUDIT_EV_SYSCALL, raw);
        reinterpret_cast<bpfaudit_syscall_event*>(sc.data())->tid = tid;
        records = {std::move(sc)};
        break;
      }
    }
    for (auto& r : records) {
      std::size_t n = r.size() * 8;
      if (sel & 0x08) n = reinterpret_cast<bpfaudit_event_header*>(r.data())->size % (n + 1);
      if (n < sizeof(bpfaudit_event_header)) n = sizeof(bpfaudit_event_header);
      if (!ebpf::decode_engine_event(decoder, r.data(), n, out)) continue;
      auto stamp = record::Stamp::at_wall_ns(out.boot_ns, 1, "bpfaudit");
      std::string text;
      ebpf::append_event_records(text, out.event, stamp, out.key);
      fuzz::check_event_text(text, out.event, out.key);
    }
  }
  return 0;
}
