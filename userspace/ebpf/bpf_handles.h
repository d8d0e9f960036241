// What both BPF users of the tree (autrace's TraceProbe and the prefilter's
// PrefilterEngine) hold and need: the skeleton holder, the one libbpf message
// sink, and the file systems libbpf expects mounted. Private to ebpf/: only
// this library sees skeletons.
#pragma once

#include <memory>
#include <string>

#include "result.h"

namespace bpfaudit::ebpf {

// Owns a bpftool skeleton (`struct foo_bpf`) and destroys it with its own
// `foo_bpf__destroy` (detaches the links, closes the maps, frees the object).
// The skeleton's header defines that function static inline, so the .cc that
// includes it says which it is, before first use:
//   template <> void SkelDestroy<foo_bpf>::operator()(foo_bpf* s) const { foo_bpf__destroy(s); }
// and headers name the holder with the skeleton only forward-declared.
template <class Skel>
struct SkelDestroy {
  void operator()(Skel* s) const;
};
template <class Skel>
using SkelPtr = std::unique_ptr<Skel, SkelDestroy<Skel>>;

}  // namespace bpfaudit::ebpf

// The engine's object (bpf/engine.bpf.c), loaded by TraceProbe and
// PrefilterEngine; its holder's destroy is defined in trace_probe.cc.
struct engine_bpf;
template <>
void bpfaudit::ebpf::SkelDestroy<engine_bpf>::operator()(engine_bpf* s) const;

namespace bpfaudit::ebpf {

// libbpf reports through one process-wide print callback. While a LibbpfLog
// lives, warnings and errors are kept (the last ones go into the error a
// failed load or attach returns) and, with BPFAUDIT_BPF_LOG=1 in the
// environment, echoed whole to stderr (the verifier's log among them); debug
// output is dropped. Outside one, libbpf prints nothing.
class LibbpfLog {
 public:
  LibbpfLog();
  ~LibbpfLog();
  LibbpfLog(const LibbpfLog&) = delete;
  LibbpfLog& operator=(const LibbpfLog&) = delete;

  // The last `lines` lines kept, for an error message; "" when none.
  std::string tail(int lines) const;
  // All that is kept (the kernel tier's assertion messages show it).
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  LibbpfLog* outer_;
};

// Pins need the BPF file system and libbpf finds tracepoints through tracefs.
// systemd mounts both at boot; a host without systemd (a fresh CI machine, a
// minimal VM) may not, so they are mounted where systemd would, with its
// options, and left mounted: they are the system's, not ours.
base::Result<void> ensure_bpffs();
base::Result<void> ensure_tracefs();

}  // namespace bpfaudit::ebpf
