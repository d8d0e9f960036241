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
//
// Selector bit 2 packs the step's records into one BPFAUDIT_EV_BATCH record
// instead (autrace's per-CPU batch: [cut byte], and with bit 7 the batch's
// `used` and `count` as two u32 of the input), cut to a shorter size with
// bit 3, and hands it to ebpf::for_each_batched_event as TraceProbe::deliver
// does; each piece goes through the same decoding. Checked: the pieces are
// back to back inside the record's `used` bytes (as far as the record
// reaches); with the events' own headers (bit 7 clear) they are exactly the
// events packed, the last one cut short where the record is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bpfaudit_engine.h"
#include "event_check.h"
#include "fuzz_util.h"
#include "prefilter_engine.h"
#include "trace_events.h"
#include "trace_format.h"
#include "trace_probe.h"

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

void decode_and_check(ebpf::TraceDecoder& decoder, ebpf::EngineEvent& out, const void* data,
                      std::size_t n) {
  if (!ebpf::decode_engine_event(decoder, data, n, out)) return;
  auto stamp = record::Stamp::at_wall_ns(out.boot_ns, 1, "bpfaudit");
  std::string text;
  ebpf::append_event_records(text, out.event, stamp, out.key);
  fuzz::check_event_text(text, out.event, out.key);
}

struct Piece {
  std::size_t offset;  // in the batch's data
  std::size_t size;
  bool operator==(const Piece&) const = default;
};

// A batch holds whole events back to back, each a multiple of 8 bytes
// (bpfaudit_engine.h): what ring_record builds is then exactly the event.
static_assert(sizeof(bpfaudit_identity_event) % 8 == 0 &&
              sizeof(bpfaudit_rule_match_event) % 8 == 0 && sizeof(bpfaudit_syscall_event) % 8 == 0);

// The step's records as one batch record, through the splitter.
void feed_batch(ebpf::TraceDecoder& decoder, ebpf::EngineEvent& out,
                const std::vector<std::vector<std::uint64_t>>& records, bool raw, bool cut,
                std::uint8_t cut_byte, std::uint32_t raw_used, std::uint32_t raw_count) {
  constexpr std::size_t kHead = offsetof(bpfaudit_batch_event, data);
  std::vector<std::uint64_t> buf((sizeof(bpfaudit_batch_event) + 7) / 8, 0);
  auto* b = reinterpret_cast<bpfaudit_batch_event*>(buf.data());
  std::vector<Piece> packed;
  for (const auto& r : records) {
    std::size_t n = r.size() * 8;  // sizeof the event, a multiple of 8 as in the ring
    if (b->used + n > BPFAUDIT_BATCH_BYTES) break;
    std::memcpy(b->data + b->used, r.data(), n);
    packed.push_back({b->used, n});
    b->used += static_cast<std::uint32_t>(n);
    ++b->count;
  }
  std::size_t whole = kHead + b->used;
  b->hdr.type = BPFAUDIT_EV_BATCH;
  b->hdr.size = static_cast<std::uint32_t>(whole);
  if (raw) {
    b->used = raw_used;
    b->count = raw_count;
  }
  std::size_t size = cut ? whole - cut_byte * (whole + 1) / 256 : whole;

  const auto* base = reinterpret_cast<const std::uint8_t*>(buf.data());
  std::vector<Piece> got;
  bool split = ebpf::for_each_batched_event(b, size, [&](const void* p, std::size_t n) {
    const auto* at = static_cast<const std::uint8_t*>(p);
    // Inside the record, after its header, before `size`.
    if (at < base + kHead || at > base + size || n > static_cast<std::size_t>(base + size - at))
      std::abort();
    got.push_back({static_cast<std::size_t>(at - base - kHead), n});
    decode_and_check(decoder, out, p, n);
  });
  if (split != (size >= kHead)) std::abort();
  if (!split) {  // TraceProbe::deliver hands on what is not a batch as it is
    decode_and_check(decoder, out, b, size);
    return;
  }
  // Back to back from the start of data, over the bytes `used` says that the
  // record holds.
  std::size_t avail = std::min<std::size_t>(b->used, size - kHead);
  std::size_t at = 0;
  for (const auto& p : got) {
    if (p.offset != at || p.size == 0) std::abort();
    at += p.size;
  }
  if (at != avail) std::abort();
  if (raw) return;
  // The events packed, each whole while the record holds it, the first that
  // runs past its end as what is left of it, and nothing after.
  std::vector<Piece> want;
  for (const auto& p : packed) {
    if (p.offset >= avail) break;
    want.push_back({p.offset, std::min(p.size, avail - p.offset)});
  }
  if (got != want) std::abort();
  if (!cut && got != packed) std::abort();
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
    bool batch = sel & 0x04;
    std::uint8_t cut_byte = 0;
    std::uint32_t raw_used = 0, raw_count = 0;
    if (batch) {
      cut_byte = in.byte();
      if (raw) {
        raw_used = in.u32();
        raw_count = in.u32();
      }
    }
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
    if (batch) {
      feed_batch(decoder, out, records, raw, sel & 0x08, cut_byte, raw_used, raw_count);
      continue;
    }
    for (auto& r : records) {
      std::size_t n = r.size() * 8;
      if (sel & 0x08) n = reinterpret_cast<bpfaudit_event_header*>(r.data())->size % (n + 1);
      if (n < sizeof(bpfaudit_event_header)) n = sizeof(bpfaudit_event_header);
      decode_and_check(decoder, out, r.data(), n);
    }
  }
  return 0;
}
