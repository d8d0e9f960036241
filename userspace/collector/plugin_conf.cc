#include "plugin_conf.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "log_reader.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

namespace {

template <class E>
struct Word {
  const char* name;
  E value;
};

constexpr Word<bool> kActive[] = {{"yes", true}, {"no", false}};
// Stock lists "in" as not supported yet: only "out" is accepted.
constexpr Word<int> kDirections[] = {{"out", 1}};
constexpr Word<PluginType> kTypes[] = {{"builtin", PluginType::kBuiltin},
                                       {"always", PluginType::kAlways}};
constexpr Word<PluginFormat> kFormats[] = {{"binary", PluginFormat::kBinary},
                                           {"string", PluginFormat::kString}};

class Parser {
 public:
  Parser(PluginConfResult& r, const std::string& file) : r_(r), file_(file) {}
  bool run(std::string_view text);

 private:
  void msg(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool line(const record::ConfLine& nv, int ln);
  bool sanity_check();
  template <class E, std::size_t N>
  bool pick(const record::ConfLine& nv, int ln, const Word<E> (&words)[N], E& out) {
    for (const auto& w : words)
      if (strcasecmp(nv.value.c_str(), w.name) == 0) {
        out = w.value;
        return true;
      }
    msg("Option %s not found - line %d", nv.value.c_str(), ln);
    return false;
  }

  PluginConfResult& r_;
  PluginConf& c_ = r_.conf;
  const std::string& file_;
};

void Parser::msg(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r_.messages.push_back({LOG_ERR, record::format_conf_message(fmt, ap)});
  va_end(ap);
}

bool Parser::line(const record::ConfLine& nv, int ln) {
  // A line whose split failed ends the file without a word of its own (the
  // split's message was said); the caller says the plugin is skipped.
  if (!nv.has_value) return false;
  static constexpr const char* kKeywords[] = {"active", "direction", "path",
                                              "type",   "args",      "format"};
  const char* kw = nullptr;
  for (const char* k : kKeywords)
    if (strcasecmp(k, nv.name.c_str()) == 0) kw = k;
  if (!kw) {
    msg("Unknown keyword \"%s\" in line %d of %s", nv.name.c_str(), ln, file_.c_str());
    return false;
  }
  std::string_view k(kw);
  if (k != "args" && nv.has_option) {
    msg("Keyword \"%s\" has invalid option \"%s\" in line %d of %s", nv.name.c_str(),
        nv.option.c_str(), ln, file_.c_str());
    return false;
  }
  if (k == "active") return pick(nv, ln, kActive, c_.active);
  if (k == "direction") {
    int d = 0;
    return pick(nv, ln, kDirections, d);
  }
  if (k == "type") return pick(nv, ln, kTypes, c_.type);
  if (k == "format") return pick(nv, ln, kFormats, c_.format);
  if (k == "args") {
    c_.args.assign({nv.value});
    if (nv.has_option) c_.args.push_back(nv.option);
    return true;
  }
  // path: builtins are taken as they are; a program's directory must be at
  // least as long as "/var" (stock's shortest accepted dirname).
  if (is_builtin_path(nv.value)) {
    c_.path = nv.value;
    return true;
  }
  std::string copy = nv.value;
  const char* dir = ::dirname(copy.data());
  if (std::strlen(dir) < 4) {
    msg("The directory name: %s is too short - line %d", dir, ln);
    return false;
  }
  c_.path = nv.value;
  return true;
}

bool Parser::sanity_check() {
  if (!c_.active) return true;
  if (c_.path.empty()) {
    msg("Error - plugin (%s) is active but no path given", file_.c_str());
    return false;
  }
  if (is_builtin_path(c_.path)) return true;
  struct stat st;
  if (::stat(c_.path.c_str(), &st) < 0) {
    msg("Unable to stat %s (%s)", c_.path.c_str(), std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    msg("%s is not a regular file", c_.path.c_str());
    return false;
  }
  if (st.st_uid != 0) {
    msg("%s is not owned by root", c_.path.c_str());
    return false;
  }
  // Stock wants these bits set and does not look at the others' bits.
  constexpr mode_t kNeeded = S_IRUSR | S_IWUSR | S_IXUSR | S_IRGRP | S_IXGRP;
  if ((st.st_mode & kNeeded) != kNeeded) {
    msg("%s permissions should be 0750", c_.path.c_str());
    return false;
  }
  c_.inode = st.st_ino;
  return true;
}

bool Parser::run(std::string_view text) {
  int lineno = 1;
  if (!record::scan_conf_lines(
          text, file_, r_.messages,
          [this](const record::ConfLine& nv, int ln) { return line(nv, ln); }, lineno))
    return false;
  std::string copy = file_;
  c_.name = ::basename(copy.data());
  if (lineno > 1) return sanity_check();
  return true;
}

}  // namespace

bool is_builtin_path(std::string_view path) {
  return path.size() >= 8 && strncasecmp(path.data(), "builtin_", 8) == 0;
}

PluginConfResult parse_plugin_conf_text(std::string_view text, const std::string& file) {
  PluginConfResult r;
  Parser p(r, file);
  r.ok = p.run(text);
  return r;
}

PluginConfResult load_plugin_conf(const std::string& file) {
  PluginConfResult r;
  auto fail = [&](const std::string& text) {
    r.messages.push_back({LOG_ERR, text});
    return r;
  };
  base::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) return fail("Error opening " + file + " (" + std::strerror(errno) + ")");
    r.messages.push_back({LOG_WARNING, "Config file " + file + " doesn't exist, skipping"});
    r.ok = true;
    return r;
  }
  struct stat st;
  if (fstat(fd.get(), &st) < 0)
    return fail(std::string("Error fstat'ing config file (") + std::strerror(errno) + ")");
  std::string text;
  if (st.st_uid == 0 && !(st.st_mode & S_IWOTH) && S_ISREG(st.st_mode))
    record::read_all(fd.get(), text);
  fd.reset();
  if (st.st_uid != 0) return fail("Error - " + file + " isn't owned by root");
  if (st.st_mode & S_IWOTH) return fail("Error - " + file + " is world writable");
  if (!S_ISREG(st.st_mode)) return fail("Error - " + file + " is not a regular file");
  return parse_plugin_conf_text(text, file);
}

PluginDirResult load_plugin_dir(const std::string& dir) {
  PluginDirResult out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    // Hidden files, "." and "..", and backup copies (a.conf.rpmsave) are not read.
    if (name[0] == '.' || std::count(name.begin(), name.end(), '.') > 1) continue;
    // Stock joins with a '/' although plugin_dir from auditd.conf ends in one.
    auto r = load_plugin_conf(dir + "/" + std::string(name));
    out.messages.insert(out.messages.end(), r.messages.begin(), r.messages.end());
    if (!r.ok)
      out.messages.push_back({LOG_ERR, "Skipping " + std::string(name) + " plugin due to errors"});
    else if (r.conf.active)
      out.active.push_back(std::move(r.conf));
  }
  ::closedir(d);
  return out;
}

}  // namespace bpfaudit::collector
