// The prefilter engine's ring records (ebpf::decode_engine_event) from
// arbitrary bytes, and the records the daemon writes for each one it
// accepts (event_check.h).
//
// Input: byte 0 chooses whether the target makes the ABI version and size
// right (most inputs) or leaves them as the bytes say; the rest fills the
// record from its start.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bpfaudit_prefilter.h"
#include "event_check.h"
#include "fuzz_util.h"
#include "prefilter_engine.h"
#include "trace_format.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t sel = in.byte();
  std::string_view body = in.rest();
  std::size_t n = sel & 1 ? body.size() : sizeof(bpfaudit_pf_event);
  std::vector<std::uint64_t> buf((std::max(n, sizeof(bpfaudit_pf_event)) + 7) / 8, 0);
  auto* bytes = reinterpret_cast<char*>(buf.data());
  std::memcpy(bytes, body.data(), std::min(body.size(), buf.size() * 8));
  auto* ev = reinterpret_cast<bpfaudit_pf_event*>(bytes);
  if (!(sel & 1)) {
    ev->abi = BPFAUDIT_PF_ABI_VERSION;
    ev->size = sizeof(bpfaudit_pf_event);
    fuzz::plain_tty(ev->tty, sizeof ev->tty);
  }
  ebpf::EngineEvent out;
  if (!ebpf::decode_engine_event(bytes, n, out)) return 0;
  if (sel & 1) fuzz::plain_tty(out.event.tty.data(), out.event.tty.size());
  auto stamp = record::Stamp::at_wall_ns(out.boot_ns, 1, "bpfaudit");
  std::string text;
  ebpf::append_event_records(text, out.event, stamp, out.key);
  fuzz::check_event_text(text, out.event, out.key);
  return 0;
}
