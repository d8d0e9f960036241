# Writes OUT, a header with the first 64 bits of OBJ's SHA-256 as NAME_bpf_stamp:
# what a preloaded engine is checked against (userspace/ebpf/trace_probe.cc).
# Hashing the 900 KB object at run time cost every autrace run 0.16 ms warm
# (std::hash) and faulted its 225 pages in.
file(SHA256 ${OBJ} digest)
string(SUBSTRING ${digest} 0 16 digest64)
file(WRITE ${OUT}.tmp "// Generated from ${NAME}.bpf.o by bpf/object_stamp.cmake.\n#pragma once\n#include <cstdint>\ninline constexpr std::uint64_t ${NAME}_bpf_stamp = 0x${digest64}ull;\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
