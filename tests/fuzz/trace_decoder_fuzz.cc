// autrace's ring decoder (ebpf::TraceDecoder) on arbitrary ring records,
// and the records it formats for each syscall it completes
// (event_check.h). The formatted text is also compared with and without the
// per-identity SYSCALL tail cache: the cache must never show another
// identity's fields.
//
// Input: a sequence of [selector][length: 2 bytes][payload]. The selector
// picks an event type (SYSCALL..IDENTITY, SOCKADDR, a prefilter's
// RULE_MATCH, and the VFS hooks' VFS, EXEC_ITEM and FCAPS) whose header
// (type, size) the target fills in, so
// most records are well formed; or raw bytes as they are; or a truncated
// record. Thread ids are folded onto a few values so that events meet.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bpfaudit_engine.h"
#include "event_check.h"
#include "fuzz_util.h"
#include "trace_events.h"
#include "trace_format.h"

using namespace bpfaudit;

namespace {

std::size_t size_of(std::uint32_t type, bool inode) {
  switch (type) {
    case BPFAUDIT_EV_SYSCALL:
      return inode ? sizeof(bpfaudit_syscall_inode_event) : sizeof(bpfaudit_syscall_event);
    case BPFAUDIT_EV_FORK:
      return sizeof(bpfaudit_fork_event);
    case BPFAUDIT_EV_EXIT:
      return sizeof(bpfaudit_exit_event);
    case BPFAUDIT_EV_PATH:
      return sizeof(bpfaudit_path_event);
    case BPFAUDIT_EV_CWD:
      return sizeof(bpfaudit_cwd_event);
    case BPFAUDIT_EV_EXEC:
      return sizeof(bpfaudit_exec_event);
    case BPFAUDIT_EV_IDENTITY:
      return sizeof(bpfaudit_identity_event);
    case BPFAUDIT_EV_SOCKADDR:
      return sizeof(bpfaudit_sockaddr_event);
    case BPFAUDIT_EV_VFS:
      return sizeof(bpfaudit_vfs_event);
    case BPFAUDIT_EV_EXEC_ITEM:
      return sizeof(bpfaudit_exec_item_event);
    case BPFAUDIT_EV_FCAPS:
      return sizeof(bpfaudit_fcaps_event);
    case BPFAUDIT_EV_RULE_MATCH:
      return sizeof(bpfaudit_rule_match_event);
  }
  return 0;
}

// Small thread and process ids, so that identities, paths and syscalls meet.
void fold_ids(std::uint32_t type, void* p) {
  constexpr std::uint32_t k = 3;
  switch (type) {
    case BPFAUDIT_EV_SYSCALL:
      static_cast<bpfaudit_syscall_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_FORK: {
      auto* e = static_cast<bpfaudit_fork_event*>(p);
      e->parent_tgid %= k;
      e->child_tgid %= k;
      break;
    }
    case BPFAUDIT_EV_EXIT: {
      auto* e = static_cast<bpfaudit_exit_event*>(p);
      e->tgid %= k;
      e->tid %= k;
      break;
    }
    case BPFAUDIT_EV_PATH:
      static_cast<bpfaudit_path_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_CWD:
      static_cast<bpfaudit_cwd_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_EXEC: {
      auto* e = static_cast<bpfaudit_exec_event*>(p);
      e->pid %= k;
      e->tid %= k;
      e->old_tid %= k;
      break;
    }
    case BPFAUDIT_EV_IDENTITY: {
      auto* e = static_cast<bpfaudit_identity_event*>(p);
      e->tid %= k;
      e->id.pid %= k;
      break;
    }
    case BPFAUDIT_EV_SOCKADDR:
      static_cast<bpfaudit_sockaddr_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_VFS:
      static_cast<bpfaudit_vfs_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_EXEC_ITEM:
      static_cast<bpfaudit_exec_item_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_FCAPS:
      static_cast<bpfaudit_fcaps_event*>(p)->tid %= k;
      break;
    case BPFAUDIT_EV_RULE_MATCH:
      static_cast<bpfaudit_rule_match_event*>(p)->tid %= k;
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  ebpf::TraceDecoder decoder;
  decoder.set_exe(1, "/usr/bin/traced");
  ebpf::SyscallEvent scratch;  // reused, as autrace's reader does
  ebpf::SyscallTailCache tails;
  static const std::optional<std::string> kKeys[] = {std::nullopt, "k",
                                                     "a key\nwith \"odd\" bytes"};
  const std::optional<std::string>& key = kKeys[in.byte() % 3];
  std::vector<std::uint64_t> buf;  // 8-byte aligned, as ring records are
  std::uint64_t serial = 0;
  while (in.left() >= 3) {
    std::uint8_t sel = in.byte();
    std::size_t len = in.byte() | std::size_t{in.byte()} << 8;
    std::string_view left = in.rest();
    std::string_view payload = left.substr(0, len);
    // The rest of the input, after this record's payload.
    in = fuzz::Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()) + payload.size(),
                     left.size() - payload.size());
    // Bits 0-3 the type (0 and those without a fixed size: raw bytes),
    // 0x40 an inode event, 0x20 ids as they are, 0x80 cut short.
    std::uint32_t type = sel & 0x0f;
    bool inode = sel & 0x40;
    if (type && !size_of(type, inode)) type = 0;
    std::size_t n = type ? size_of(type, inode) : payload.size();
    buf.assign((n + 7) / 8 + 1, 0);
    auto* bytes = reinterpret_cast<char*>(buf.data());
    if (type) {
      std::size_t off = sizeof(bpfaudit_event_header);
      std::memcpy(bytes + off, payload.data(), std::min(payload.size(), n - off));
      auto* hdr = reinterpret_cast<bpfaudit_event_header*>(bytes);
      hdr->type = type;
      hdr->size = static_cast<std::uint32_t>(n);
      if (type == BPFAUDIT_EV_SYSCALL && inode)
        reinterpret_cast<bpfaudit_syscall_event*>(bytes)->flags |= BPFAUDIT_SC_HAS_INODE;
      if (!(sel & 0x20)) fold_ids(type, bytes);
      if (sel & 0x80) n = std::min(n, payload.size() + off);  // cut short
    } else {
      std::memcpy(bytes, payload.data(), payload.size());
    }
    // The kernel names ttys (event_check.h): whatever the record, a tty is plain.
    if (n >= sizeof(bpfaudit_identity_event) &&
        reinterpret_cast<bpfaudit_event_header*>(bytes)->type == BPFAUDIT_EV_IDENTITY) {
      auto* e = reinterpret_cast<bpfaudit_identity_event*>(bytes);
      fuzz::plain_tty(e->id.tty, sizeof e->id.tty);
    }
    if (!decoder.feed(bytes, n, scratch)) continue;

    record::Stamp stamp{1700000000, 123, ++serial, "bpfaudit"};
    std::string cached, plain;
    ebpf::append_event_records(cached, scratch, stamp, key, &tails);
    ebpf::SyscallEvent copy = scratch;
    copy.identity = 0;  // no cache: formatted from the fields themselves
    ebpf::append_event_records(plain, copy, stamp, key);
    if (cached != plain) fuzz::event_fail("the tail cache changed the record", cached + plain);
    fuzz::check_event_text(plain, copy, key);
  }
  return 0;
}
