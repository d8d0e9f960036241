// An index file (LOG.bpfidx) is outside input: it can be truncated, edited or
// forged. The input is one index file's bytes, put beside one of two fixed
// logs built here; ausearch then reads the log as `ausearch -if LOG` does
// (search::run: HistoryIndex::load, the units read, skipped or dropped), for
// four queries (a key, a pid, a -ts/-te window, -m USER_LOGIN -sv no).
//
// The log it describes is the one whose size is the header's covered size
// (else the first). The header's device, inode and mtime are set to that
// log's, which anyone on the host can read; the rest is the input's.
// Bit 0 of the header's reserved word picks who wrote the bytes:
//  - 0, a forger: the body checksum is recomputed over the input's body, so
//    the parser, the summaries and the placeholder runs see arbitrary bytes.
//    Checked: the sanitizers, and that the output is the full read's when
//    the reader refuses the index or when it is byte for byte what the
//    builder writes for that log (the seeds). Any other index that passes
//    every check is
//    trusted: a forged summary that says a block lacks a key it holds hides
//    that block (the checksum is no signature).
//  - 1, an editor (a torn write, a flipped byte, a hand edit): nothing is
//    recomputed. Checked: the output (stdout, stderr, status) is the full
//    read's (BPFAUDIT_NO_INDEX=1) for every query, whatever the bytes.
//
// The seeds (seeds/history_index/) are `bpfaudit index` output for these two
// logs (make_index_seeds.sh); BPFAUDIT_FUZZ_WRITE_LOGS=DIR makes this binary
// write the logs into DIR and exit.
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "criteria.h"
#include "fuzz_util.h"
#include "history_index.h"
#include "options.h"
#include "search.h"

using namespace bpfaudit;

namespace {

// Offsets in the index header (history_index.cc's FileHeader, 136 bytes).
constexpr std::size_t kHeaderSize = 136;
constexpr std::size_t kBlockSizeAt = 12, kDevAt = 16, kInoAt = 24, kCoveredAt = 32, kMtimeAt = 40, kReservedAt = 76,
                      kBodyHashAt = 88;

std::string stamp(std::uint64_t sec, int msec, std::uint64_t serial) {
  char b[64];
  std::snprintf(b, sizeof b, "msg=audit(%llu.%03d:%llu):", static_cast<unsigned long long>(sec),
                msec, static_cast<unsigned long long>(serial));
  return b;
}

// An exec-like event of four records, each as the kernel writes it.
std::string exec_event(const std::string& node, std::uint64_t sec, std::uint64_t serial, int pid,
                       const char* key, bool eoe = true) {
  const std::string s = stamp(sec, 0, serial);
  std::string e = node + "type=SYSCALL " + s +
                  " arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 "
                  "ppid=1 pid=" +
                  std::to_string(pid) +
                  " auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 "
                  "sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"" +
                  key + "\"\n";
  e += node + "type=CWD " + s + " cwd=\"/root\"\n";
  e += node + "type=PATH " + s +
       " item=0 name=\"/usr/bin/ls\" inode=1311 dev=fd:01 mode=0100755 ouid=0 ogid=0 "
       "rdev=00:00 nametype=NORMAL\n";
  if (eoe) e += node + "type=EOE " + s + "\n";
  return e;
}

std::string login(const std::string& node, std::uint64_t sec, std::uint64_t serial, int pid,
                  bool failed) {
  return node + "type=USER_LOGIN " + stamp(sec, 0, serial) + " pid=" + std::to_string(pid) +
         " uid=0 auid=1000 ses=7 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" "
         "hostname=10.0.0.1 addr=10.0.0.1 terminal=ssh res=" +
         (failed ? "failed" : "success") + "'\n";
}

// Log 0: in order, one node, about 25 KB (six 4 KiB blocks): keys "alpha"
// and, in two events, "beta"; pid 4242 in one event; a login every seventh
// event, every other one failed.
std::string log0() {
  std::string s;
  std::uint64_t serial = 1;
  for (int i = 0; i < 56; ++i) {
    const std::uint64_t sec = 1000 + i;
    s += exec_event("", sec, serial++, i == 40 ? 4242 : 100 + i % 7,
                    i == 20 || i == 21 ? "beta" : "alpha");
    if (i % 7 == 3) s += login("", sec, serial++, 900 + i, (i / 7) % 2 == 0);
  }
  return s;
}

// Log 1: what the in-order shortcut must not take: node= prefixes, records
// of events interleaved and an event's late record after others began, an
// event without EOE cut across a block by its size, a SOCKADDR record, a
// bad time stamp, equal keys on two nodes, and a partial last line.
std::string log1() {
  std::string s;
  std::uint64_t serial = 500;
  for (int i = 0; i < 44; ++i) {
    const std::uint64_t sec = 2000 + i;
    const std::string node = i % 3 == 0 ? "node=alpha " : i % 3 == 1 ? "node=beta " : "";
    s += exec_event(node, sec, serial, i == 30 ? 4242 : 200 + i % 5, i == 12 ? "beta" : "alpha",
                    i % 4 != 0);
    if (i % 6 == 2) {
      // The same key on the other node: another event.
      s += exec_event(node == "node=alpha " ? "node=beta " : "node=alpha ", sec, serial, 300 + i,
                      "alpha");
    }
    if (i % 8 == 5) {
      s += login(node, sec, serial + 1, 700 + i, i % 16 == 5);
      // A late PATH of the event before the login.
      s += node + "type=PATH " + stamp(sec, 0, serial) +
           " item=1 name=\"/late\" inode=2 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
           "nametype=NORMAL\n";
    }
    if (i == 17)
      s += "type=SOCKADDR " + stamp(sec, 0, serial) + " saddr=0100\n";
    if (i == 25)
      s += "type=SYSCALL msg=audit(9223372036854775807.000:1): arch=c000003e syscall=2 "
           "success=no exit=-2 pid=1 key=\"beta\"\n";
    if (i == 33) {
      // Out of order: an older time after a newer one.
      s += login("", sec - 20, serial + 2, 4242, true);
    }
    serial += 3;
  }
  s += "type=SYSCALL " + stamp(2100, 0, serial) + " arch=c000003e syscall=2 succ";
  return s;
}

struct Log {
  std::string path;
  std::string text;
  struct stat st {};
};

const std::vector<Log>& logs() {
  static const std::vector<Log> l = [] {
    std::vector<Log> v(2);
    v[0].text = log0();
    v[1].text = log1();
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i].path = fuzz::scratch_file("log" + std::to_string(i) + ".log", v[i].text);
      if (::stat(v[i].path.c_str(), &v[i].st) != 0) std::abort();
    }
    return v;
  }();
  return l;
}

struct Query {
  const char* name;
  void (*set)(search::Criteria&, std::size_t log);
};
const Query kQueries[] = {
    {"-k beta", [](search::Criteria& c, std::size_t) { c.key = "beta"; }},
    {"-p 4242", [](search::Criteria& c, std::size_t) { c.pid = 4242; }},
    {"-ts/-te",
     [](search::Criteria& c, std::size_t log) {
       c.start_time = log == 0 ? 1020 : 2015;
       c.end_time = log == 0 ? 1030 : 2025;
     }},
    {"-m USER_LOGIN -sv no",
     [](search::Criteria& c, std::size_t) {
       c.message_types = {1112};  // AUDIT_USER_LOGIN
       c.success = search::Success::kFailed;
     }},
};
constexpr std::size_t kQueryCount = std::size(kQueries);

struct Output {
  int rc;
  std::string out, err;
  bool operator==(const Output&) const = default;
};

// ausearch -if LOG --raw with the query's criteria.
Output search_log(std::size_t log, std::size_t query, bool use_index) {
  search::Options opts;
  opts.input = logs()[log].path;
  opts.eoe_timeout = 2;
  opts.criteria.format = search::ReportFormat::kRaw;
  kQueries[query].set(opts.criteria, log);
  if (!use_index) ::setenv("BPFAUDIT_NO_INDEX", "1", 1);
  char *obuf = nullptr, *ebuf = nullptr;
  std::size_t olen = 0, elen = 0;
  std::FILE* out = ::open_memstream(&obuf, &olen);
  std::FILE* err = ::open_memstream(&ebuf, &elen);
  search::Environment env;
  static const std::string conf = fuzz::scratch_file("auditd.conf", "");
  env.auditd_conf = conf.c_str();
  env.stdin_fd = -1;
  Output o;
  o.rc = search::run(opts, out, err, env);
  std::fclose(out);
  std::fclose(err);
  o.out.assign(obuf, olen);
  o.err.assign(ebuf, elen);
  std::free(obuf);
  std::free(ebuf);
  ::unsetenv("BPFAUDIT_NO_INDEX");
  return o;
}

// The full read's output, once per process.
const Output& full(std::size_t log, std::size_t query) {
  static const std::vector<Output> all = [] {
    std::vector<Output> v;
    for (std::size_t l = 0; l < logs().size(); ++l)
      for (std::size_t q = 0; q < kQueryCount; ++q) v.push_back(search_log(l, q, false));
    return v;
  }();
  return all[log * kQueryCount + query];
}

// Whether `bytes` (device, inode and mtime already the log's) is exactly
// what the builder writes for `log` with its header's block size and an
// end-of-event timeout of 1 or 2, as the seeds are.
bool genuine(std::size_t log, const std::string& bytes) {
  static std::map<std::pair<std::uint32_t, int>, std::string> made;
  std::uint32_t block;
  std::memcpy(&block, bytes.data() + kBlockSizeAt, sizeof block);
  if (block < 4096 || block > (1u << 16)) return false;
  for (int eoe : {1, 2}) {
    auto [it, fresh] = made.try_emplace({block * 2 + static_cast<std::uint32_t>(log), eoe});
    if (fresh) {
      int fd = ::open(logs()[log].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) std::abort();
      auto b = search::make_index(fd, block, static_cast<std::uint64_t>(eoe));
      ::close(fd);
      if (!b) std::abort();
      it->second = *b;
    }
    if (it->second == bytes) return true;
  }
  return false;
}

template <class T>
void put(std::string& s, std::size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof v);
}
template <class T>
T get(const std::string& s, std::size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof v);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("BPFAUDIT_FUZZ_WRITE_LOGS")) {
    for (std::string name : {"log0.log", "log1.log"}) {
      std::string text = name == "log0.log" ? log0() : log1();
      std::FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "w");
      if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size()) std::abort();
      std::fclose(f);
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::size_t log = 0;
  bool forger = true;
  if (bytes.size() >= kHeaderSize) {
    const auto covered = get<std::uint64_t>(bytes, kCoveredAt);
    for (std::size_t i = 0; i < logs().size(); ++i)
      if (covered == logs()[i].text.size() ||
          (i == 1 && covered == logs()[i].text.rfind('\n') + 1))
        log = i;
    const struct stat& st = logs()[log].st;
    put<std::uint64_t>(bytes, kDevAt, st.st_dev);
    put<std::uint64_t>(bytes, kInoAt, st.st_ino);
    put<std::int64_t>(bytes, kMtimeAt,
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
    forger = (get<std::uint32_t>(bytes, kReservedAt) & 1) == 0;
    if (forger)
      put<std::uint64_t>(bytes, kBodyHashAt,
                         search::index_body_hash(std::string_view(bytes).substr(kHeaderSize)));
  }
  const std::string idx_path = search::index_path_for(logs()[log].path);
  fuzz::scratch_file(logs()[log].path.substr(logs()[log].path.rfind('/') + 1) + ".bpfidx", bytes);

  // Whether the reader takes it (ausearch's own check, on the log it opens).
  bool taken;
  {
    int fd = ::open(logs()[log].path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) std::abort();
    taken = search::HistoryIndex::load(logs()[log].path, fd).has_value();
    ::close(fd);
  }
  // A forged index that is byte for byte the builder's is held to the same
  // bar as an edited one: the seeds themselves are checked this way.
  const bool checked = !forger || !taken || genuine(log, bytes);
  // A refused index is not looked at again (scan_indexed loads it the same
  // way): one query shows that the read is then the full one. Most mutated
  // inputs are refused, and four searches took about 16 ms an input (61
  // inputs/s, a build running beside it).
  for (std::size_t q = 0; q < (taken ? kQueryCount : 1); ++q) {
    const Output& want = full(log, q);
    Output got = search_log(log, q, true);
    if (checked && !(got == want)) {
      std::fprintf(stderr,
                   "history_index: log%zu, %s, index %s by the reader (%s): output differs from "
                   "the full read\n--- full (rc %d)\n%s%s--- indexed (rc %d)\n%s%s",
                   log, kQueries[q].name, taken ? "taken" : "refused",
                   forger ? "resealed" : "as given", want.rc, want.out.c_str(), want.err.c_str(),
                   got.rc, got.out.c_str(), got.err.c_str());
      std::abort();
    }
  }
  ::unlink(idx_path.c_str());
  return 0;
}
