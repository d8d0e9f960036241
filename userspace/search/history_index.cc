#include "history_index.h"

#include <fcntl.h>
#include <libaudit.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <set>
#include <tuple>
#include <unordered_map>

#include "event.h"
#include "log_reader.h"
#include "search_items.h"
#include "unique_fd.h"

namespace bpfaudit::search {

namespace {

constexpr char kMagic[8] = {'B', 'P', 'F', 'A', 'I', 'D', 'X', '1'};
// 4: per block, the byte ranges of the identity runs that may be failures
// (-sv no). 5: the numbers' Bloom filters per piece of a block (about 16 KiB,
// whole identity runs) at 16 bits a value, and a four-lane checksum. Older
// indexes are ignored ("index version") and rebuilt by `bpfaudit index`.
constexpr std::uint32_t kVersion = 5;
constexpr std::size_t kEdgeBytes = 4096;  // hashed at each end of the covered content

enum FileFlag : std::uint32_t { kEndsOpen = 1, kHasNodes = 2, kInOrder = 4, kAnyNode = 8 };

// Fixed-size head of the index file (host byte order; the magic and the
// version tell a foreign or older file).
struct FileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t block_size;
  std::uint64_t dev, ino;
  std::uint64_t covered;
  std::int64_t mtime_ns;  // of the log when it was indexed
  std::uint64_t head_hash, tail_hash;
  std::uint32_t blocks, nodes;
  std::uint32_t flags, reserved;
  std::uint64_t body_length, body_hash;
  // (sec, msec, serial) of the first and last record (kInOrder files).
  std::uint64_t first_sec, first_serial, last_sec, last_serial;
  std::uint32_t first_msec, last_msec;
};
static_assert(sizeof(FileHeader) == 136);

struct BlockEntry {
  std::uint64_t start, end, min_sec, max_sec, payload_offset;
  std::uint32_t payload_length, flags;
};
static_assert(sizeof(BlockEntry) == 48);

std::uint64_t mix64(std::uint64_t x);

// The content check of the header and the index's own checksum (a torn or
// edited index file fails it): 8 bytes a step, since a search checks the
// index of every file it reads (byte-wise FNV-1a took 0.15 s per 100 MB).
//
// Four independent lanes of 8 bytes: one lane's multiply waits for the one
// before, so a single lane ran at about 1.5 GB/s here and was 4-8% of the
// CPU of every indexed query on the 10 GB history (150 MB of index hashed).
std::uint64_t content_hash(std::string_view s) {
  std::uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ s.size(), 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
                        0x27d4eb2f165667c5ull};
  std::size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    for (int l = 0; l < 4; ++l) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i + 8 * l, 8);
      h[l] = (h[l] ^ w) * 0xff51afd7ed558ccdull;
      h[l] ^= h[l] >> 32;
    }
  }
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h[0] = (h[0] ^ w) * 0xff51afd7ed558ccdull;
    h[0] ^= h[0] >> 32;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return mix64(mix64(h[0] ^ tail) ^ mix64(h[1] + 1) ^ mix64(h[2] + 2) ^ mix64(h[3] + 3));
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

enum NumberTag : std::uint64_t { kTagPid = 1, kTagUid, kTagGid, kTagSes, kTagSyscall };

std::uint64_t number_hash(std::uint64_t tag, std::uint64_t value) {
  return mix64(value ^ mix64(tag * 0x9e3779b97f4a7c15ull));
}

// 16 bits a value and 8 probes: about 0.06% false positives per filter
// (v4 had 10 bits and 4 probes, about 1.2%: on the 10 GB history `-p`
// read about 2,000 blocks for nothing).
constexpr int kBloomProbes = 8;
constexpr std::size_t kBloomBitsPerValue = 16;
// The probe's bit: a multiply-shift onto [0, bits) instead of a division.
inline std::uint64_t bloom_bit(std::uint64_t h, std::uint64_t h2, int i, std::uint64_t bits) {
  return static_cast<std::uint64_t>(
      (static_cast<unsigned __int128>(h + static_cast<std::uint64_t>(i) * h2) * bits) >> 64);
}
bool bloom_has(std::string_view words, std::uint64_t h) {
  const std::uint64_t bits = words.size() / 8 * 64;
  if (bits == 0) return false;
  std::uint64_t h2 = mix64(h) | 1;
  for (int i = 0; i < kBloomProbes; ++i) {
    std::uint64_t bit = bloom_bit(h, h2, i, bits);
    unsigned char byte = static_cast<unsigned char>(words[bit / 8]);
    if (!(byte & (1u << (bit % 8)))) return false;
  }
  return true;
}
std::string bloom_of(const std::vector<std::uint64_t>& nums) {
  std::size_t words = nums.empty() ? 0 : (nums.size() * kBloomBitsPerValue + 63) / 64;
  std::string bloom(words * 8, '\0');
  const std::uint64_t bits = words * 64;
  for (std::uint64_t h : nums) {
    std::uint64_t h2 = mix64(h) | 1;
    for (int i = 0; i < kBloomProbes; ++i) {
      std::uint64_t bit = bloom_bit(h, h2, i, bits);
      bloom[bit / 8] = static_cast<char>(static_cast<unsigned char>(bloom[bit / 8]) | (1u << (bit % 8)));
    }
  }
  return bloom;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Bounds-checked reading of a payload; a short or malformed payload makes
// `ok` false and every later read return 0.
struct Cursor {
  std::string_view s;
  std::size_t pos = 0;
  bool ok = true;
  std::uint64_t varint() {
    // Most varints of a payload are one byte.
    if (pos < s.size() && !(static_cast<unsigned char>(s[pos]) & 0x80))
      return static_cast<unsigned char>(s[pos++]);
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= s.size()) {
        ok = false;
        return 0;
      }
      auto b = static_cast<unsigned char>(s[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view bytes(std::uint64_t n) {
    if (n > s.size() - pos) {
      ok = false;
      pos = s.size();
      return {};
    }
    std::string_view r = s.substr(pos, n);
    pos += n;
    return r;
  }
};

// The event-opening class of a record type, as the assembler sees it.
enum Class : unsigned { kClassEoe = 0, kClassSingle = 1, kClassMulti = 2 };
unsigned class_of(int type) {
  if (type == AUDIT_EOE) return kClassEoe;
  return record::is_single_record_type(type) ? kClassSingle : kClassMulti;
}
int type_for_class(unsigned cls) {
  if (cls == kClassEoe) return AUDIT_EOE;
  return cls == kClassSingle ? AUDIT_USER : AUDIT_SYSCALL;
}

constexpr int kStringFields = 3;  // the values after key=, exe=, comm=
// Past this many bytes of distinct values a field's set is dropped (the
// block then cannot be ruled out by it).
constexpr std::size_t kMaxStringBytes = 2048;

// The distinct number hashes of the block being read (only they make its
// Bloom filter): an open-addressing set whose table the builder keeps from
// block to block. It replaced a vector of every occurrence, sorted and
// uniqued per block: 10% of the build's CPU (perf, 64 MiB of
// scripts/gen-history), as a block's records repeat the same ids.
class NumberSet {
 public:
  void add(std::uint64_t h) {
    if (h == 0) {  // 0 marks an empty slot
      has_zero_ = true;
      return;
    }
    if ((count_ + 1) * 2 > table_.size()) grow();
    insert(h);
  }
  std::size_t size() const { return count_ + (has_zero_ ? 1 : 0); }
  template <class Fn>
  void for_each(Fn&& fn) const {
    if (has_zero_) fn(std::uint64_t{0});
    for (std::uint64_t h : table_)
      if (h) fn(h);
  }
  void clear() {
    if (count_) std::fill(table_.begin(), table_.end(), 0);
    count_ = 0;
    has_zero_ = false;
  }

 private:
  void insert(std::uint64_t h) {
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (table_[i] == h) return;
      if (table_[i] == 0) {
        table_[i] = h;
        ++count_;
        return;
      }
    }
  }
  void grow() {
    std::vector<std::uint64_t> old(std::max<std::size_t>(table_.size() * 2, 256), 0);
    old.swap(table_);
    count_ = 0;
    for (std::uint64_t h : old)
      if (h) insert(h);
  }
  std::vector<std::uint64_t> table_;
  std::size_t count_ = 0;
  bool has_zero_ = false;
};

struct Summary {
  std::set<int> types;
  std::set<std::string, std::less<>> strings[kStringFields];
  std::size_t string_bytes[kStringFields] = {};
  bool overflow[kStringFields] = {};

  void add_string(int field, std::string_view v) {
    if (overflow[field]) return;
    if (strings[field].size() > 0 && strings[field].find(v) != strings[field].end()) return;
    string_bytes[field] += v.size() + 1;
    if (string_bytes[field] > kMaxStringBytes) {
      overflow[field] = true;
      strings[field].clear();
      return;
    }
    strings[field].emplace(v);
  }
};

// read_ulong(p, 10, out), whose digit loop divides at every digit to catch
// overflow (13% of the build's CPU in perf): up to 19 decimal digits cannot
// overflow, so they are summed directly; anything else is read_ulong's.
bool read_decimal(const char* p, unsigned long& out) {
  unsigned long v = 0;
  int n = 0;
  for (; n < 19 && p[n] >= '0' && p[n] <= '9'; ++n) v = v * 10 + static_cast<unsigned long>(p[n] - '0');
  if (n > 0 && !(p[n] >= '0' && p[n] <= '9')) {
    out = v;
    return true;
  }
  return record::read_ulong(p, 10, out);
}

// Every value stock's extraction could read from `raw` for the criteria the
// index answers: each occurrence of each needle, converted as stock converts
// (and also as the value cut at its first space).
//
// One pass over the record's '=' signs, each checked for the needles that
// end there (no needle is a suffix of another, so at most one does): the
// same occurrences as a strstr per needle, which with read_ulong was 29% of
// the build's CPU (perf, 64 MiB of gen-history). Numbers only make a set and
// each field's strings a set, so the order they are found in does not
// matter.
void collect_values(int type, const std::string& raw, Summary& s, NumberSet& numbers) {
  const char* t = raw.c_str();
  const char* const end = t + raw.size();
  // Stock takes an absent field of these records as a value: uid 0, auid
  // and ses unset (-1), exe "(null)".
  if (type == AUDIT_NETFILTER_CFG || type == AUDIT_EVENT_LISTENER) {
    numbers.add(number_hash(kTagUid, 0));
    numbers.add(number_hash(kTagUid, 0xffffffffu));
    numbers.add(number_hash(kTagSes, 0xffffffffu));
    s.add_string(1, "(null)");
  }
  auto narrow = [](NumberTag tag, unsigned long v) -> std::uint64_t {
    switch (tag) {
      case kTagPid:
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
      case kTagSyscall:
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<int>(v)));
      default:
        return static_cast<std::uint32_t>(v);
    }
  };
  auto ends_with = [&](const char* eq, std::string_view name) {
    return static_cast<std::size_t>(eq - t) >= name.size() &&
           std::memcmp(eq - name.size(), name.data(), name.size()) == 0;
  };
  std::string cut;
  bool uid_seen = false;
  for (const char* eq = static_cast<const char*>(std::memchr(t, '=', raw.size())); eq;
       eq = static_cast<const char*>(std::memchr(eq + 1, '=', static_cast<std::size_t>(end - eq - 1)))) {
    if (eq == t) continue;
    NumberTag tag{};
    int field = -1;
    switch (eq[-1]) {
      case 'd':
        if (ends_with(eq, "pid")) tag = kTagPid;
        else if (ends_with(eq, "uid")) tag = kTagUid;
        else if (ends_with(eq, "gid")) tag = kTagGid;
        break;
      case 's':
        if (ends_with(eq, "ses")) tag = kTagSes;
        break;
      case 'l':
        if (ends_with(eq, "syscall")) tag = kTagSyscall;
        break;
      case 'p':
        if (ends_with(eq, "uring_op")) tag = kTagSyscall;
        break;
      case 'y':
        if (ends_with(eq, "key")) field = 0;
        break;
      case 'e':
        if (ends_with(eq, "exe")) field = 1;
        break;
      case 'm':
        if (ends_with(eq, "comm")) field = 2;
        break;
      default:
        break;
    }
    const char* v = eq + 1;
    if (tag != NumberTag{}) {
      if (tag == kTagUid) uid_seen = true;
      unsigned long x;
      if (read_decimal(v, x)) numbers.add(number_hash(tag, narrow(tag, x)));
      // The value cut at its first space converts the same unless strtoul
      // would skip leading white space: only then is it converted again.
      if (*v < '0' || *v > '9') {
        const char* sp = std::strchr(v, ' ');
        if (sp) {
          cut.assign(v, sp);
          if (record::read_ulong(cut.c_str(), 10, x)) numbers.add(number_hash(tag, narrow(tag, x)));
        }
      }
    } else if (field >= 0) {
      if (*v == '"') {
        const char* close = std::strchr(v + 1, '"');
        if (close) s.add_string(field, std::string_view(v + 1, static_cast<std::size_t>(close - v - 1)));
        continue;
      }
      if (auto d = decode_hex_value(v)) s.add_string(field, *d);
      const char* e = v;
      while (*e && *e != ' ') ++e;
      s.add_string(field, std::string_view(v, static_cast<std::size_t>(e - v)));
    }
  }
  // Stock reads one " uid=" from its '=', which converts to 0.
  if (uid_seen) numbers.add(number_hash(kTagUid, 0));
}

// A piece of a block for the numbers: whole identity runs from `start` to
// the next piece (or the block's end), about 1/kPieceParts of a block, with
// its own Bloom filter. In files in order an event lies within one run, so
// a search for a number reads only the pieces that may hold it (see
// HistoryIndex::number_ranges). `edge`: a run crosses its outer boundary
// (the block was cut inside a run, or it is the file's first or last
// piece, which a rotation may have cut): read whenever its block is.
struct Piece {
  std::uint64_t start = 0;
  bool edge = false;
  std::vector<std::uint64_t> numbers;  // distinct (seal_numbers)
};
// 4: the 97 shared test logs' indexes are 2.87% of the logs (8: 3.01%;
// v4 2.69%), and a piece of 16 KiB is read for each block that holds the
// number.
constexpr std::uint64_t kPieceParts = 4;
constexpr std::uint64_t kMinPiece = 4096;
// At most this many pieces per block are read back; more make the block's
// payload malformed (the builder writes at most about 2 * kPieceParts + 1).
constexpr std::uint64_t kMaxPieces = 64;

// The piece's distinct numbers, taken from the builder's set (emptied).
void seal_numbers(Piece& p, NumberSet& numbers) {
  p.numbers.reserve(numbers.size());
  numbers.for_each([&](std::uint64_t h) { p.numbers.push_back(h); });
  numbers.clear();
}

// A run of records of one identity (in an in-order log, an event is part of
// one run) that may be a failure, clipped to one block: its byte range and
// its record types; `edge`: the file's first or last run, which a rotation
// may have cut (the rest of its event, and its types, are in another file).
struct FailRun {
  std::uint64_t start, end;
  std::vector<int> types;
  bool edge;
};
// Past 1/kFailBytesPart of the block's size in failure ranges a block keeps
// none (it is read whole for -sv no): 327 bytes of a 64 KiB block, about 60
// ranges, so that they add at most 0.5% to the index. (Adjacent runs are
// one range: a block of AVC denials is a few ranges, not one per record.)
constexpr std::uint64_t kFailBytesPart = 200;

struct BlockBuild {
  BlockEntry entry{};
  Summary summary;
  std::vector<Piece> pieces;
  std::vector<FailRun> fails;
  std::string runs;
  std::uint64_t run_count = 0;
  // The current run: consecutive records of one identity.
  bool in_run = false;
  bool run_open = false;  // still recording classes (no multi-record type yet)
  std::uint64_t sec = 0, serial = 0, prev_sec = 0, prev_serial = 0;
  std::uint32_t msec = 0, node = 0;
  std::vector<unsigned> classes;

  void flush_run(bool has_nodes) {
    if (!in_run) return;
    put_varint(runs, classes.size());
    put_varint(runs, zigzag(static_cast<std::int64_t>(sec - prev_sec)));
    put_varint(runs, msec);
    put_varint(runs, zigzag(static_cast<std::int64_t>(serial - prev_serial)));
    if (has_nodes) put_varint(runs, node);
    for (std::size_t i = 0; i < classes.size(); i += 4) {
      unsigned byte = 0;
      for (std::size_t k = 0; k < 4 && i + k < classes.size(); ++k) byte |= classes[i + k] << (2 * k);
      runs.push_back(static_cast<char>(byte));
    }
    prev_sec = sec;
    prev_serial = serial;
    ++run_count;
    in_run = false;
    classes.clear();
  }
};

std::string encode_payload(BlockBuild& b, bool has_nodes) {
  b.flush_run(has_nodes);
  std::string out;
  put_varint(out, b.summary.types.size());
  for (int t : b.summary.types) put_varint(out, zigzag(t));
  for (int f = 0; f < kStringFields; ++f) {
    if (b.summary.overflow[f]) {
      put_varint(out, 0);
      continue;
    }
    put_varint(out, b.summary.strings[f].size() + 1);
    for (const auto& v : b.summary.strings[f]) {
      put_varint(out, v.size());
      out += v;
    }
  }
  // The pieces: count, then each one's start (from the previous start,
  // shifted, bit 0 the edge flag) and its Bloom filter (words, bytes).
  put_varint(out, b.pieces.size());
  std::uint64_t prev_start = b.entry.start;
  for (const Piece& p : b.pieces) {
    put_varint(out, ((p.start - prev_start) << 1) | (p.edge ? 1 : 0));
    prev_start = p.start;
    std::string bloom = bloom_of(p.numbers);
    put_varint(out, bloom.size() / 8);
    out += bloom;
  }
  // The failure ranges: count + 1 (0: none kept, read the block whole), then
  // each one's start (from the previous end), length, and its types as a
  // mask over the block's type list (bit 0: an edge run, any type).
  {
    std::vector<int> types(b.summary.types.begin(), b.summary.types.end());
    struct Range {
      std::uint64_t start, end, mask;
    };
    std::vector<Range> merged;
    for (const FailRun& f : b.fails) {
      std::uint64_t mask = f.edge ? 1 : 0;
      for (int t : f.types)
        mask |= 2ull << (std::lower_bound(types.begin(), types.end(), t) - types.begin());
      if (!merged.empty() && merged.back().end == f.start) {
        merged.back().end = f.end;
        merged.back().mask |= mask;
      } else {
        merged.push_back({f.start, f.end, mask});
      }
    }
    std::string list;
    const std::uint64_t max_bytes = (b.entry.end - b.entry.start) / kFailBytesPart;
    bool keep = types.size() <= 62;
    std::uint64_t prev = b.entry.start;
    for (const Range& r : merged) {
      if (!keep) break;
      put_varint(list, r.start - prev);
      put_varint(list, r.end - r.start);
      put_varint(list, r.mask);
      prev = r.end;
      keep = list.size() <= max_bytes;
    }
    if (!keep) {
      put_varint(out, 0);
    } else {
      put_varint(out, merged.size() + 1);
      out += list;
    }
  }
  put_varint(out, b.run_count);
  out += b.runs;
  return out;
}

// Hashes of the first and last kEdgeBytes of [0, covered).
bool edge_hashes(int fd, std::uint64_t covered, std::uint64_t& head, std::uint64_t& tail) {
  std::string buf(std::min<std::uint64_t>(kEdgeBytes, covered), '\0');
  if (record::pread_full(fd, buf.data(), buf.size(), 0) != buf.size()) return false;
  head = content_hash(buf);
  if (record::pread_full(fd, buf.data(), buf.size(), covered - buf.size()) != buf.size()) return false;
  tail = content_hash(buf);
  return true;
}

// Offset just past the last '\n' of the file's first `size` bytes.
std::uint64_t last_line_end(int fd, std::uint64_t size) {
  char buf[64 << 10];
  std::uint64_t end = size;
  while (end > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, end));
    if (record::pread_full(fd, buf, n, end - n) != n) return 0;
    for (std::size_t i = n; i > 0; --i)
      if (buf[i - 1] == '\n') return end - n + i;
    end -= n;
  }
  return 0;
}

}  // namespace

std::string index_path_for(const std::string& log_path) {
  return log_path + std::string(kIndexSuffix);
}

base::Result<std::string> make_index(int fd, std::uint32_t block_size, std::uint64_t eoe_timeout,
                                     IndexBuildStats* stats, const HistoryIndex* prior) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return base::Error{-errno, "cannot stat the log"};
  if (!S_ISREG(st.st_mode)) return base::Error{-EINVAL, "not a regular file"};
  if (block_size < 4096) block_size = 4096;
  const std::uint64_t covered = last_line_end(fd, static_cast<std::uint64_t>(st.st_size));

  // Extending `prior` (checked against this file by HistoryIndex::parse:
  // same inode, the covered part's first and last 4 KiB unchanged): its
  // blocks are kept up to the run of blocks that share events with its last
  // one (kCrossNext), and the log is read again from there. No event of a
  // kept block has a record past them (else the kept block would be
  // flagged), and the assembler groups and closes the events it reads by
  // their own records alone (a timeout is checked against the time of the
  // event that opens), so reading on from that block boundary gives the
  // blocks, flags and header a build of the whole file gives: the result is
  // byte for byte `bpfaudit index --force`'s (HistoryIndexTest.Extending*,
  // ActiveLogIndex.*). One case differs, and only by matching more: records
  // of one identity across that boundary (possible only where a block had
  // to end inside a run, past twice the block size) keep the -sv no range
  // of an edge run, which any type matches.
  std::size_t keep = 0;
  std::uint64_t from = 0;
  std::optional<record::EventId> before;  // the last record before `from`
  if (prior && prior->block_size() == block_size && !prior->blocks().empty() &&
      prior->covered() <= covered) {
    const auto& ob = prior->blocks();
    std::size_t s = ob.size() - 1;
    while (s > 0 && (ob[s - 1].flags & HistoryIndex::kCrossNext)) --s;
    keep = s;
    from = ob[s].start;
    for (std::size_t k = keep; k > 0 && !before; --k) before = prior->last_record(k - 1);
  }
  if (::lseek(fd, static_cast<off_t>(from), SEEK_SET) != static_cast<off_t>(from))
    return base::Error{-errno, "cannot seek in the log"};

  std::vector<std::string> nodes;
  std::unordered_map<std::string, std::uint32_t> node_ids;
  auto node_of = [&](const std::optional<std::string>& n) -> std::uint32_t {
    if (!n) return 0;
    auto [it, inserted] = node_ids.try_emplace(*n, static_cast<std::uint32_t>(nodes.size() + 1));
    if (inserted) nodes.push_back(*n);
    return it->second;
  };
  // The kept blocks' runs name nodes by their number in prior's list, which
  // is the order a whole build finds them in.
  if (keep > 0)
    for (const auto& n : prior->nodes()) node_of(n);

  // Every run carries its node (one byte when the log has none): the
  // encoding is then known before the first record.
  const bool has_nodes = true;

  std::vector<BlockBuild> blocks;
  std::vector<std::uint8_t> cross;  // per block: an event continues into the next
  blocks.emplace_back();
  blocks.back().entry.start = from;
  blocks.back().entry.min_sec = ~0ull;
  // The file's first piece is an edge; a piece where an extension starts
  // reading again is one when a rebuild would have cut its block inside a
  // run (decided at its first line, as at any other block's).
  blocks.back().pieces.push_back({from, from == 0, {}});
  bool first_line = from > 0;
  const std::uint64_t piece_size = std::max<std::uint64_t>(block_size / kPieceParts, kMinPiece);
  std::vector<std::uint32_t> record_block;  // per record ordinal
  record::EventAssembler assembler(eoe_timeout);
  record::Event ev;
  std::vector<std::uint64_t> tags;
  auto note_event = [&](bool open_at_end) {
    std::uint32_t lo = ~0u, hi = 0;
    for (std::uint64_t t : tags) {
      lo = std::min(lo, record_block[t]);
      hi = std::max(hi, record_block[t]);
    }
    if (open_at_end) hi = static_cast<std::uint32_t>(blocks.size() - 1);
    for (std::uint32_t b = lo; b < hi; ++b) cross[b] = 1;
  };

  // The identity run being read, for the failure ranges.
  struct IdRun {
    bool active = false, may_fail = false, first = true;
    std::uint64_t start = 0, end = 0;
    std::uint32_t first_block = 0, last_block = 0;
    std::vector<int> types;
  } idr;
  auto finish_run = [&](bool last) {
    if (!idr.active) return;
    idr.active = false;
    const bool edge = idr.first || last;
    idr.first = false;
    if (!idr.may_fail && !edge) return;
    std::sort(idr.types.begin(), idr.types.end());
    idr.types.erase(std::unique(idr.types.begin(), idr.types.end()), idr.types.end());
    for (std::uint32_t k = idr.first_block; k <= idr.last_block; ++k) {
      const std::uint64_t lo = std::max(idr.start, blocks[k].entry.start);
      const std::uint64_t hi =
          k < idr.last_block ? std::min(idr.end, blocks[k + 1].entry.start) : idr.end;
      if (lo < hi) blocks[k].fails.push_back({lo, hi, idr.types, edge});
    }
  };

  NumberSet numbers;
  record::LineReader reader(fd, record::kMaxRecordLength - 1);
  const std::uint64_t max_sec = static_cast<std::uint64_t>(LONG_MAX) - kIndexMaxEoe - 1;
  std::string bad_stamp, raw;
  bool line_start = true;
  record::EventId last_id;
  // In order: every record of another identity has a greater (sec, msec,
  // serial) than the one before, so an identity's records are all in one
  // row and events leave in the order they come.
  bool in_order = true, any_record = false, any_node = false;
  record::EventId first_id;
  // Extending: the kept records' part of these, which the records read
  // again (from the first block not kept) go on from.
  bool join_check = false;
  if (before) {
    last_id = *before;
    any_record = true;
    in_order = prior->in_order();
    any_node = prior->any_node();
    first_id.sec = prior->first().sec;
    first_id.msec = prior->first().msec;
    first_id.serial = prior->first().serial;
    // The first run read is not the file's first, unless it goes on a run
    // of the kept blocks (its start and types are then not all seen here):
    // it stays an edge run, whose range matches any type.
    idr.first = false;
    join_check = true;
  }
  std::uint64_t ordinal = 0;
  cross.push_back(0);
  while (auto line = reader.next()) {
    const std::uint64_t off = reader.offset();  // the file offset (the reader starts at `from`)
    if (off >= covered) break;
    BlockBuild* b = &blocks.back();
    const bool at_line = line_start;
    line_start = !line->empty() && line->back() == '\n';
    record::HeaderError herr;
    auto h = record::parse_header(*line, &herr, &bad_stamp, max_sec);
    // A block ends at a line where another event starts (a record of
    // another identity), so that events written in a row, as the kernel
    // writes them, stay in one block; a block that finds no such line
    // within twice its size ends at any line.
    const std::uint64_t filled = off - b->entry.start;
    const bool new_identity = h && (h->id.sec != last_id.sec || h->id.msec != last_id.msec ||
                                    h->id.serial != last_id.serial || h->id.node != last_id.node);
    if (first_line) {
      first_line = false;
      b->pieces.back().edge = !new_identity;
    }
    if (at_line && filled >= block_size && (new_identity || filled >= 2ull * block_size)) {
      b->entry.end = off;
      b->flush_run(has_nodes);
      seal_numbers(b->pieces.back(), numbers);
      // Cut inside a run: the run's pieces on both sides are edges.
      if (!new_identity) b->pieces.back().edge = true;
      blocks.emplace_back();
      cross.push_back(0);
      b = &blocks.back();
      b->entry.start = off;
      b->entry.min_sec = ~0ull;
      b->pieces.push_back({off, !new_identity, {}});
    } else if (new_identity && off - b->pieces.back().start >= piece_size) {
      seal_numbers(b->pieces.back(), numbers);
      b->pieces.push_back({off, false, {}});
    }
    if (h) {
      if (join_check) {
        join_check = false;
        if (h->id.sec == last_id.sec && h->id.msec == last_id.msec &&
            h->id.serial == last_id.serial && h->id.node == last_id.node)
          idr.first = true;
      }
      if (idr.active && (h->id.sec != last_id.sec || h->id.msec != last_id.msec ||
                         h->id.serial != last_id.serial || h->id.node != last_id.node))
        finish_run(false);
      any_node = any_node || h->id.node.has_value();
      if (!any_record) {
        first_id = h->id;
        any_record = true;
      } else if (h->id.sec != last_id.sec || h->id.msec != last_id.msec ||
                 h->id.serial != last_id.serial || h->id.node != last_id.node) {
        if (std::tie(h->id.sec, h->id.msec, h->id.serial) <=
            std::tie(last_id.sec, last_id.msec, last_id.serial))
          in_order = false;
      }
      last_id = h->id;
    }
    if (!h) {
      if (herr == record::HeaderError::kBadTimestamp) b->entry.flags |= HistoryIndex::kBadStamp;
      continue;
    }
    b->entry.flags |= HistoryIndex::kRecords;
    b->entry.min_sec = std::min(b->entry.min_sec, h->id.sec);
    b->entry.max_sec = std::max(b->entry.max_sec, h->id.sec);
    b->summary.types.insert(h->type);
    if (h->type == AUDIT_SOCKADDR) b->entry.flags |= HistoryIndex::kSockaddr;
    record::RecordView view = record::view_record(*line, h->type);
    raw.assign(view.text.substr(0, view.raw_length));
    collect_values(h->type, raw, b->summary, numbers);
    if (!idr.active) {
      idr.active = true;
      idr.may_fail = false;
      idr.start = off;
      idr.first_block = static_cast<std::uint32_t>(blocks.size() - 1);
      idr.types.clear();
    }
    idr.end = off + line->size();
    idr.last_block = static_cast<std::uint32_t>(blocks.size() - 1);
    idr.types.push_back(h->type);
    idr.may_fail = idr.may_fail || record_may_fail(h->type, raw);

    std::uint32_t node = node_of(h->id.node);
    bool same = b->in_run && b->sec == h->id.sec && b->msec == h->id.msec &&
                b->serial == h->id.serial && b->node == node;
    if (!same) {
      b->flush_run(has_nodes);
      b->in_run = b->run_open = true;
      b->sec = h->id.sec;
      b->msec = h->id.msec;
      b->serial = h->id.serial;
      b->node = node;
    }
    if (b->run_open) {
      // After a record that can only leave its identity's event open,
      // the rest of the run joins that event whatever its type.
      unsigned cls = class_of(h->type);
      b->classes.push_back(cls);
      if (cls == kClassMulti) b->run_open = false;
    }

    record_block.push_back(static_cast<std::uint32_t>(blocks.size() - 1));
    // The assembler is here only for which records make an event (its
    // grouping reads the header alone): an empty text spares copying every
    // record in and out of it (12% of the build's CPU in perf).
    assembler.add(*h, record::RecordView{view.type, {}, 0, view.enriched}, std::nullopt, ordinal++);
    while (assembler.pop_ready(ev, &tags)) note_event(false);
  }
  if (reader.error()) return base::Error{-reader.error(), "cannot read the log"};
  finish_run(true);
  blocks.back().entry.end = covered;
  seal_numbers(blocks.back().pieces.back(), numbers);
  assembler.close_all();
  bool ends_open = false;
  while (assembler.pop_ready(ev, &tags)) {
    ends_open = true;
    note_event(true);
  }
  // A last empty block (the file ended on a block boundary) is dropped.
  if (blocks.size() > 1 && blocks.back().entry.start >= blocks.back().entry.end) {
    blocks.pop_back();
    cross.pop_back();
  }
  // The file's last piece: a rotation may cut its run.
  blocks.back().pieces.back().edge = true;

  std::string body;
  for (const auto& n : nodes) {
    put_varint(body, n.size());
    body += n;
  }
  const std::size_t dir_at = body.size();
  body.resize(dir_at + (keep + blocks.size()) * sizeof(BlockEntry));
  std::uint64_t records_total = ordinal;
  // Appends a block's payload and writes its directory entry at `slot`.
  auto put_block = [&](std::size_t slot, BlockEntry e, std::string_view payload) {
    e.payload_offset = body.size();
    e.payload_length = static_cast<std::uint32_t>(payload.size());
    body += payload;
    std::memcpy(body.data() + dir_at + slot * sizeof(BlockEntry), &e, sizeof(BlockEntry));
  };
  for (std::size_t i = 0; i < keep; ++i) {
    const HistoryIndex::Block& ob = prior->blocks()[i];
    BlockEntry e{};
    e.start = ob.start;
    e.end = ob.end;
    e.min_sec = ob.min_sec;
    e.max_sec = ob.max_sec;
    e.flags = ob.flags;
    put_block(i, e, ob.payload);
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    BlockBuild& b = blocks[i];
    if (cross[i]) b.entry.flags |= HistoryIndex::kCrossNext;
    if (!(b.entry.flags & HistoryIndex::kRecords)) b.entry.min_sec = b.entry.max_sec = 0;
    put_block(keep + i, b.entry, encode_payload(b, has_nodes));
  }

  FileHeader hdr{};
  std::memcpy(hdr.magic, kMagic, sizeof kMagic);
  hdr.version = kVersion;
  hdr.block_size = block_size;
  hdr.dev = st.st_dev;
  hdr.ino = st.st_ino;
  hdr.covered = covered;
  hdr.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (covered > 0 && !edge_hashes(fd, covered, hdr.head_hash, hdr.tail_hash))
    return base::Error{-EIO, "cannot read the log"};
  hdr.blocks = static_cast<std::uint32_t>(keep + blocks.size());
  hdr.nodes = static_cast<std::uint32_t>(nodes.size());
  hdr.flags = (ends_open ? std::uint32_t{kEndsOpen} : 0u) | (has_nodes ? std::uint32_t{kHasNodes} : 0u) |
              (in_order && any_record ? std::uint32_t{kInOrder} : 0u) |
              (any_node ? std::uint32_t{kAnyNode} : 0u);
  hdr.first_sec = first_id.sec;
  hdr.first_msec = first_id.msec;
  hdr.first_serial = first_id.serial;
  hdr.last_sec = last_id.sec;
  hdr.last_msec = last_id.msec;
  hdr.last_serial = last_id.serial;
  hdr.body_length = body.size();
  hdr.body_hash = content_hash(body);
  std::string out(reinterpret_cast<const char*>(&hdr), sizeof hdr);
  out += body;
  if (stats) {
    stats->log_bytes = static_cast<std::uint64_t>(st.st_size);
    stats->covered = covered;
    stats->index_bytes = out.size();
    stats->records = records_total;
    stats->blocks = hdr.blocks;
    stats->reused = from;
  }
  return out;
}

std::uint64_t index_body_hash(std::string_view body) { return content_hash(body); }

base::Result<IndexBuildStats> build_index(const std::string& log_path, std::uint32_t block_size,
                                          std::uint64_t eoe_timeout, bool extend) {
  base::UniqueFd fd(::open(log_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return base::Error{-errno, log_path + ": " + std::strerror(errno)};
  IndexBuildStats stats;
  // Only an index that passes every check a search makes is extended; any
  // other is rebuilt from the start.
  std::optional<HistoryIndex> prior;
  if (extend) prior = HistoryIndex::load(log_path, fd.get());
  auto bytes = make_index(fd.get(), block_size, eoe_timeout, &stats, prior ? &*prior : nullptr);
  if (!bytes) return base::Error{bytes.code(), log_path + ": " + bytes.error().text()};
  // Written beside the log and renamed over the old index: a reader sees
  // the old index or the new one, and a crash leaves at most a temporary
  // file (and a torn index fails its own checksum).
  const std::string path = index_path_for(log_path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  base::UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) return base::Error{-errno, tmp + ": " + std::strerror(errno)};
  const std::string& data = *bytes;
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(out.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return base::Error{-e, tmp + ": " + std::strerror(e)};
    }
    done += static_cast<std::size_t>(n);
  }
  // As private as the log: its summaries hold the log's keys, names, ids.
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0) {
    (void)::fchown(out.get(), static_cast<uid_t>(-1), st.st_gid);
    (void)::fchmod(out.get(), st.st_mode & 0660);
  }
  if (::fsync(out.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return base::Error{-e, path + ": " + std::strerror(e)};
  }
  return stats;
}

std::optional<IndexQuery> make_index_query(const Criteria& c, std::uint64_t eoe_timeout) {
  // --debug writes a line for every malformed event, matched or not; an
  // end-of-event timeout of 0 closes events as they open, which the
  // placeholder runs do not describe.
  if (c.debug || eoe_timeout == 0 || eoe_timeout > kIndexMaxEoe) return std::nullopt;
  IndexQuery q;
  if (c.start_time || c.end_time) {
    q.time = true;
    q.start_time = c.start_time;
    q.end_time = c.end_time;
  }
  using Kind = IndexQuery::Kind;
  if (!c.message_types.empty()) q.terms.push_back({Kind::kTypes, 0, {}, c.message_types, {}, {}});
  const std::optional<std::string>* strings[kStringFields] = {&c.key, &c.exe, &c.comm};
  for (int f = 0; f < kStringFields; ++f)
    if (*strings[f]) q.terms.push_back({Kind::kString, f, **strings[f], {}, {}, {}});
  auto numbers = [&](std::vector<std::uint64_t> hashes) {
    if (q.number_term < 0) q.number_term = static_cast<int>(q.terms.size());
    q.terms.push_back({Kind::kNumbers, 0, {}, {}, std::move(hashes), {}});
  };
  if (c.pid != -1) numbers({number_hash(kTagPid, static_cast<std::uint64_t>(c.pid))});
  if (c.ppid != -1) numbers({number_hash(kTagPid, static_cast<std::uint64_t>(c.ppid))});
  constexpr std::uint32_t kUnset = ~0u, kNotSeen = ~0u - 1;
  if (!c.tuid && !c.teuid && !c.tauid) {
    if (c.uid_all) {
      // An unset member would compare equal to an event that lacks it.
      if (c.uid != kUnset && c.euid != kUnset && c.loginuid != kNotSeen)
        numbers({number_hash(kTagUid, c.uid), number_hash(kTagUid, c.euid),
                 number_hash(kTagUid, c.loginuid)});
    } else {
      if (c.uid != kUnset) numbers({number_hash(kTagUid, c.uid)});
      if (c.euid != kUnset) numbers({number_hash(kTagUid, c.euid)});
      if (c.loginuid != kNotSeen) numbers({number_hash(kTagUid, c.loginuid)});
    }
  }
  if (c.gid_all) {
    if (c.gid != kUnset && c.egid != kUnset)
      numbers({number_hash(kTagGid, c.gid), number_hash(kTagGid, c.egid)});
  } else {
    if (c.gid != kUnset) numbers({number_hash(kTagGid, c.gid)});
    if (c.egid != kUnset) numbers({number_hash(kTagGid, c.egid)});
  }
  if (c.session_id != kNotSeen) numbers({number_hash(kTagSes, c.session_id)});
  // An event without syscall= keeps stock's 0, so -sc 0 cannot rule anything out.
  if (c.syscall != -1 && c.syscall != 0)
    numbers({number_hash(kTagSyscall,
                         static_cast<std::uint64_t>(static_cast<std::int64_t>(c.syscall)))});
  if (c.event_id != ~0u) q.terms.push_back({Kind::kSerial, 0, {}, {}, {c.event_id}, {}});
  if (!c.nodes.empty()) q.terms.push_back({Kind::kNodes, 0, {}, {}, {}, c.nodes});
  // -sv no (with the -m types, if any): only the runs that may be failures.
  if (c.success == Success::kFailed && q.terms.size() < 32) {
    q.failed_term = static_cast<int>(q.terms.size());
    q.terms.push_back({Kind::kFailed, 0, {}, c.message_types, {}, {}});
  }
  // Only 32 criteria fit a mask; more are simply not used to rule out.
  if (q.terms.size() > 32) q.terms.resize(32);
  q.reads_sockaddr = c.hostname.has_value() || c.filename.has_value();
  return q;
}

std::optional<HistoryIndex> HistoryIndex::load(const std::string& log_path, int log_fd,
                                               std::string* why) {
  base::UniqueFd fd(::open(index_path_for(log_path).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (why) *why = "no index";
    return std::nullopt;
  }
  // Mapped, not read: reading the 1281 indexes of the 10 GB history (150
  // MB) into fresh memory spent most of `-k rarekey`'s CPU zeroing and
  // faulting in the pages it copied into (perf: clear_page 22-59% of the
  // samples). The mapping shares the page cache's pages. Both writers of
  // indexes (bpfaudit index, the daemon) replace a file by a rename, which
  // leaves a mapping of the old one intact; a file truncated in place while
  // a search runs would make its reads fault (SIGBUS).
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (why) *why = "index unreadable";
    return std::nullopt;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(FileHeader)) {
    if (why) *why = "index truncated";
    return std::nullopt;
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
  if (map == MAP_FAILED) {
    if (why) *why = "index unreadable";
    return std::nullopt;
  }
  std::shared_ptr<const void> owner(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  return parse_view(std::string_view(static_cast<const char*>(map), size), std::move(owner), log_fd,
                    why);
}

std::optional<HistoryIndex> HistoryIndex::parse(std::string bytes, int log_fd, std::string* why) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  std::string_view view(*owned);
  return parse_view(view, std::move(owned), log_fd, why);
}

std::optional<HistoryIndex> HistoryIndex::parse_view(std::string_view bytes,
                                                     std::shared_ptr<const void> owner, int log_fd,
                                                     std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<HistoryIndex> {
    if (why) *why = reason;
    return std::nullopt;
  };
  FileHeader hdr;
  if (bytes.size() < sizeof hdr) return fail("index truncated");
  std::memcpy(&hdr, bytes.data(), sizeof hdr);
  if (std::memcmp(hdr.magic, kMagic, sizeof kMagic) != 0) return fail("not an index");
  if (hdr.version != kVersion) return fail("index version");
  if (hdr.body_length != bytes.size() - sizeof hdr) return fail("index truncated");
  std::string_view body(bytes.data() + sizeof hdr, hdr.body_length);
  if (content_hash(body) != hdr.body_hash) return fail("index checksum");
  struct stat st {};
  if (::fstat(log_fd, &st) != 0) return fail("log stat");
  if (st.st_dev != hdr.dev || st.st_ino != hdr.ino) return fail("another file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < hdr.covered) return fail("log shorter than covered");
  const std::int64_t mtime =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  // Same size, another time: rewritten in place.
  if (size == hdr.covered && mtime != hdr.mtime_ns) {
    // The index of a log that ended in a partial line covers less than
    // the log; only an exact size with a changed time is suspicious.
    return fail("log modified");
  }
  if (hdr.covered > 0) {
    std::uint64_t head = 0, tail = 0;
    if (!edge_hashes(log_fd, hdr.covered, head, tail)) return fail("log unreadable");
    if (head != hdr.head_hash || tail != hdr.tail_hash) return fail("log content changed");
  }
  HistoryIndex idx;
  Cursor cur{body};
  for (std::uint32_t i = 0; i < hdr.nodes && cur.ok; ++i) {
    auto len = cur.varint();
    idx.nodes_.emplace_back(cur.bytes(len));
  }
  if (!cur.ok) return fail("index malformed");
  std::string_view dir = cur.bytes(static_cast<std::uint64_t>(hdr.blocks) * sizeof(BlockEntry));
  if (!cur.ok) return fail("index malformed");
  idx.blocks_.reserve(hdr.blocks);
  std::uint64_t prev_end = 0;
  for (std::uint32_t i = 0; i < hdr.blocks; ++i) {
    BlockEntry e;
    std::memcpy(&e, dir.data() + i * sizeof e, sizeof e);
    if (e.start != prev_end || e.end < e.start || e.end > hdr.covered ||
        e.payload_offset > body.size() || e.payload_length > body.size() - e.payload_offset)
      return fail("index malformed");
    prev_end = e.end;
    Block b;
    b.start = e.start;
    b.end = e.end;
    b.min_sec = e.min_sec;
    b.max_sec = e.max_sec;
    b.flags = e.flags;
    b.payload = body.substr(e.payload_offset, e.payload_length);
    idx.blocks_.push_back(b);
  }
  if (prev_end != hdr.covered) return fail("index malformed");
  idx.covered_ = hdr.covered;
  idx.block_size_ = hdr.block_size;
  idx.ends_open_ = hdr.flags & kEndsOpen;
  idx.has_nodes_ = hdr.flags & kHasNodes;
  idx.in_order_ = hdr.flags & kInOrder;
  idx.any_node_ = hdr.flags & kAnyNode;
  idx.first_ = {hdr.first_sec, hdr.first_msec, hdr.first_serial};
  idx.last_ = {hdr.last_sec, hdr.last_msec, hdr.last_serial};
  // The payload views point into the bytes, which `owner` keeps.
  idx.owner_ = std::move(owner);
  return idx;
}

bool HistoryIndex::outside_time(std::size_t block, const IndexQuery& q) const {
  const Block& b = blocks_[block];
  if (b.flags & kBadStamp) return false;
  if (!(b.flags & kRecords)) return true;
  if (!q.time) return false;
  const auto lo = static_cast<std::int64_t>(b.min_sec), hi = static_cast<std::int64_t>(b.max_sec);
  if (q.end_time && lo > q.end_time) return true;
  if (q.start_time && hi < q.start_time) return true;
  return false;
}

namespace {

struct Run {
  std::uint64_t sec, serial;
  std::uint32_t msec, node;
  std::vector<unsigned> classes;
};

// One piece of a payload, decoded: its byte range and Bloom filter.
struct PieceView {
  std::uint64_t start, end;
  bool edge;
  std::string_view bloom;
};

// Reads the pieces (the cursor at them), calling fn(piece) for each;
// false when they are malformed (not inside the block, not in order, or
// more than kMaxPieces).
template <class Fn>
bool read_pieces(Cursor& c, std::uint64_t block_start, std::uint64_t block_end, Fn&& fn) {
  const std::uint64_t n = c.varint();
  if (!c.ok || n > kMaxPieces) return false;
  std::uint64_t start = block_start;
  PieceView prev{};
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t v = c.varint();
    const std::uint64_t gap = v >> 1;
    if (!c.ok || gap > block_end - start || (i == 0 && gap != 0) || (i > 0 && gap == 0)) return false;
    start += gap;
    std::string_view bloom = c.bytes(c.varint() * 8);
    if (!c.ok) return false;
    if (i > 0) {
      prev.end = start;
      fn(prev);
    }
    prev = {start, block_end, (v & 1) != 0, bloom};
  }
  if (n > 0) fn(prev);
  return true;
}

// Skips a payload's string fields (the values after key=, exe=, comm=).
void skip_strings(Cursor& c) {
  for (int f = 0; f < kStringFields && c.ok; ++f) {
    auto count = c.varint();
    for (std::uint64_t i = 1; i < count && c.ok; ++i) c.bytes(c.varint());
  }
}

// Skips a payload's message types (its first field), leaving the cursor at
// its string fields.
void skip_types(Cursor& c) {
  for (auto n = c.varint(); n > 0 && c.ok; --n) c.varint();
}

// Skips the summaries of a payload, leaving the cursor at the runs.
void skip_summaries(Cursor& c) {
  skip_types(c);
  skip_strings(c);
  for (auto p = c.varint(); p > 0 && c.ok; --p) {
    c.varint();
    c.bytes(c.varint() * 8);
  }
  for (auto n = c.varint(); n > 1 && c.ok; --n) {
    c.varint();
    c.varint();
    c.varint();
  }
}

// One failure range of a payload, decoded.
struct FailRange {
  std::uint64_t start, end, mask;
};

// Reads the failure ranges (the cursor at them); false when the block kept
// none (it may hold any number) or the payload is malformed.
bool read_fail_ranges(Cursor& c, std::uint64_t block_start, std::uint64_t block_end,
                      std::vector<FailRange>& out) {
  out.clear();
  auto n = c.varint();
  if (n == 0 || !c.ok) return false;
  std::uint64_t prev = block_start;
  for (std::uint64_t i = 1; i < n && c.ok; ++i) {
    const std::uint64_t gap = c.varint(), len = c.varint(), mask = c.varint();
    // Inside the block and in order, else the payload is not the builder's.
    if (gap > block_end - prev || len > block_end - prev - gap) return false;
    FailRange r{prev + gap, prev + gap + len, mask};
    prev = r.end;
    out.push_back(r);
  }
  return c.ok;
}

// Whether a failure range may hold an event of one of `types` (empty: any).
bool fail_range_matches(const FailRange& r, const std::vector<int>& block_types,
                        const std::vector<int>& types) {
  if ((r.mask & 1) || types.empty()) return true;
  for (std::size_t i = 0; i < block_types.size() && i < 63; ++i)
    if ((r.mask >> (i + 1) & 1) &&
        std::find(types.begin(), types.end(), block_types[i]) != types.end())
      return true;
  return false;
}

template <class Fn>
bool decode_runs(Cursor& c, bool has_nodes, Fn&& fn) {
  auto count = c.varint();
  std::uint64_t sec = 0, serial = 0;
  Run r;
  for (std::uint64_t i = 0; i < count && c.ok; ++i) {
    auto n = c.varint();
    sec += static_cast<std::uint64_t>(unzigzag(c.varint()));
    r.msec = static_cast<std::uint32_t>(c.varint());
    serial += static_cast<std::uint64_t>(unzigzag(c.varint()));
    r.node = has_nodes ? static_cast<std::uint32_t>(c.varint()) : 0;
    r.sec = sec;
    r.serial = serial;
    std::string_view cls = c.bytes((n + 3) / 4);
    if (!c.ok) break;
    r.classes.clear();
    for (std::uint64_t k = 0; k < n; ++k)
      r.classes.push_back((static_cast<unsigned char>(cls[k / 4]) >> (2 * (k % 4))) & 3u);
    fn(r);
  }
  return c.ok;
}

}  // namespace

std::uint32_t HistoryIndex::prune_mask(std::size_t block, const IndexQuery& q) const {
  const Block& b = blocks_[block];
  if (b.flags & kBadStamp) return kMustRead;
  if (q.reads_sockaddr && (b.flags & kSockaddr)) return kMustRead;
  if (!(b.flags & kRecords)) return ~0u >> 1;  // nothing to rule in
  Cursor c{b.payload};
  // Scratch kept from call to call: a search calls this for every block
  // of every file (163,388 on the 10 GB history), and allocating these
  // per call was 14% of `-k rarekey`'s CPU (malloc and free in perf).
  struct Strings {
    bool overflow;
    std::vector<std::string_view> values;
  };
  thread_local std::vector<int> types;
  thread_local Strings strings[kStringFields];
  thread_local std::vector<FailRange> fails;
  types.clear();
  for (auto n = c.varint(); n > 0 && c.ok; --n) types.push_back(static_cast<int>(unzigzag(c.varint())));
  for (int f = 0; f < kStringFields; ++f) {
    auto count = c.varint();
    strings[f].overflow = count == 0;
    strings[f].values.clear();
    for (std::uint64_t i = 1; i < count && c.ok; ++i) strings[f].values.push_back(c.bytes(c.varint()));
  }
  if (!c.ok) return kMustRead;
  // The pieces' filters (a block may hold a number when any piece does).
  std::string_view blooms[kMaxPieces];
  std::size_t piece_count = 0;
  if (!read_pieces(c, b.start, b.end, [&](const PieceView& p) { blooms[piece_count++] = p.bloom; }))
    return kMustRead;
  const bool fails_kept = read_fail_ranges(c, b.start, b.end, fails);
  if (!c.ok) return kMustRead;
  std::vector<Run> runs;
  bool runs_decoded = false;
  auto need_runs = [&] {
    if (runs_decoded) return;
    runs_decoded = true;
    Cursor rc = c;
    decode_runs(rc, has_nodes_, [&](const Run& r) { runs.push_back(r); });
  };
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < q.terms.size(); ++i) {
    const IndexQuery::Term& t = q.terms[i];
    bool may = true;
    switch (t.kind) {
      case IndexQuery::Kind::kTypes:
        may = std::any_of(t.types.begin(), t.types.end(), [&](int ty) {
          return std::find(types.begin(), types.end(), ty) != types.end();
        });
        break;
      case IndexQuery::Kind::kString: {
        const auto& s = strings[t.field];
        // Stock compares whole values (-w) or looks for a substring; either
        // way the needle is inside a value the block holds.
        may = s.overflow || std::any_of(s.values.begin(), s.values.end(), [&](std::string_view v) {
                return v.find(t.needle) != std::string_view::npos;
              });
        break;
      }
      case IndexQuery::Kind::kNumbers:
        may = std::any_of(blooms, blooms + piece_count, [&](std::string_view bloom) {
          return std::any_of(t.any.begin(), t.any.end(),
                             [&](std::uint64_t h) { return bloom_has(bloom, h); });
        });
        break;
      case IndexQuery::Kind::kSerial:
        need_runs();
        may = std::any_of(runs.begin(), runs.end(), [&](const Run& r) {
          return static_cast<std::uint32_t>(r.serial) == static_cast<std::uint32_t>(t.any[0]);
        });
        break;
      case IndexQuery::Kind::kFailed:
        may = !fails_kept || std::any_of(fails.begin(), fails.end(), [&](const FailRange& r) {
                return fail_range_matches(r, types, t.types);
              });
        break;
      case IndexQuery::Kind::kNodes:
        need_runs();
        may = std::any_of(runs.begin(), runs.end(), [&](const Run& r) {
          if (r.node == 0 || r.node > nodes_.size()) return false;
          return std::find(t.nodes.begin(), t.nodes.end(), nodes_[r.node - 1]) != t.nodes.end();
        });
        break;
    }
    if (!may) mask |= 1u << i;
  }
  return mask;
}

bool HistoryIndex::failed_ranges(std::size_t block, const IndexQuery& q,
                                 std::vector<std::pair<std::uint64_t, std::uint64_t>>& out) const {
  out.clear();
  const Block& b = blocks_[block];
  if (q.failed_term < 0 || (b.flags & kBadStamp) || (q.reads_sockaddr && (b.flags & kSockaddr)))
    return false;
  Cursor c{b.payload};
  thread_local std::vector<int> types;  // scratch, as in prune_mask
  thread_local std::vector<FailRange> fails;
  types.clear();
  for (auto n = c.varint(); n > 0 && c.ok; --n) types.push_back(static_cast<int>(unzigzag(c.varint())));
  skip_strings(c);
  if (!c.ok || !read_pieces(c, b.start, b.end, [](const PieceView&) {})) return false;
  if (!c.ok || !read_fail_ranges(c, b.start, b.end, fails)) return false;
  const auto& want = q.terms[static_cast<std::size_t>(q.failed_term)].types;
  for (const FailRange& r : fails)
    if (fail_range_matches(r, types, want)) out.emplace_back(r.start, r.end);
  return true;
}

bool HistoryIndex::number_ranges(std::size_t block, const IndexQuery& q,
                                 std::vector<std::pair<std::uint64_t, std::uint64_t>>& out) const {
  out.clear();
  const Block& b = blocks_[block];
  if (q.number_term < 0 || (b.flags & kBadStamp) || (q.reads_sockaddr && (b.flags & kSockaddr)))
    return false;
  Cursor c{b.payload};
  skip_types(c);
  skip_strings(c);
  if (!c.ok) return false;
  const auto& want = q.terms[static_cast<std::size_t>(q.number_term)].any;
  const bool ok = read_pieces(c, b.start, b.end, [&](const PieceView& p) {
    if (!p.edge && std::none_of(want.begin(), want.end(),
                                [&](std::uint64_t h) { return bloom_has(p.bloom, h); }))
      return;
    if (!out.empty() && out.back().second == p.start)
      out.back().second = p.end;
    else
      out.emplace_back(p.start, p.end);
  });
  if (!ok) out.clear();
  return ok;
}

std::optional<record::EventId> HistoryIndex::last_record(std::size_t block) const {
  if (!(blocks_[block].flags & kRecords)) return std::nullopt;
  Cursor c{blocks_[block].payload};
  skip_summaries(c);
  std::optional<record::EventId> last;
  if (!decode_runs(c, has_nodes_, [&](const Run& r) {
        record::EventId id;
        id.sec = r.sec;
        id.msec = r.msec;
        id.serial = r.serial;
        if (r.node > 0 && r.node <= nodes_.size()) id.node = nodes_[r.node - 1];
        last = id;
      }))
    return std::nullopt;
  return last;
}

void HistoryIndex::placeholders(std::size_t block, std::vector<record::RecordHeader>& out) const {
  out.clear();
  Cursor c{blocks_[block].payload};
  skip_summaries(c);
  decode_runs(c, has_nodes_, [&](const Run& r) {
    record::RecordHeader h;
    h.id.sec = r.sec;
    h.id.msec = r.msec;
    h.id.serial = r.serial;
    if (r.node > 0 && r.node <= nodes_.size()) h.id.node = nodes_[r.node - 1];
    for (unsigned cls : r.classes) {
      h.type = type_for_class(cls);
      out.push_back(h);
    }
  });
}

}  // namespace bpfaudit::search
