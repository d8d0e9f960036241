// plugins.d: the plugin configuration files stock auditd 3.0.9 reads from
// plugin_dir (audisp/audispd-pconfig.c, audispd.c load_plugin_conf), with its
// rules and messages, so that a plugin stock would skip is skipped here with
// the same words and one it runs is run the same way.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "auditd_conf.h"

namespace bpfaudit::collector {

enum class PluginType { kAlways, kBuiltin };
enum class PluginFormat { kBinary, kString };

// Defaults are stock's clear_pconfig().
struct PluginConf {
  std::string name;  // the file's name in plugin_dir: plugins are matched by it on SIGHUP
  bool active = false;
  std::string path;  // empty: none given
  PluginType type = PluginType::kAlways;
  // At most two: stock's nv_split keeps one value and one option, and args
  // is the only keyword that takes the option.
  std::vector<std::string> args;
  PluginFormat format = PluginFormat::kString;
  ino_t inode = 0;  // of `path` (active, not builtin): a new inode on SIGHUP restarts it
};

struct PluginConfResult {
  PluginConf conf;
  bool ok = false;
  std::vector<record::ConfMessage> messages;
};

// `path = builtin_*` (stock compares the prefix without case).
bool is_builtin_path(std::string_view path);

// One file, as stock's load_pconfig: owned by root, not world writable, a
// regular file; known keywords only; an active plugin needs a path, and an
// executable path must be a regular file owned by root with at least mode 0750.
PluginConfResult load_plugin_conf(const std::string& file);
// The same rules on text already read (the path checks still look at the disk).
PluginConfResult parse_plugin_conf_text(std::string_view text, const std::string& file);

struct PluginDirResult {
  std::vector<PluginConf> active;  // in directory order, as stock starts them
  std::vector<record::ConfMessage> messages;
};

// Every file of plugin_dir except hidden ones and names with more than one
// dot (stock's rule against backup files: no *.conf filter), parsed as above;
// refused files are skipped with "Skipping NAME plugin due to errors", inactive
// ones silently. A missing directory means no plugins.
PluginDirResult load_plugin_dir(const std::string& dir);

}  // namespace bpfaudit::collector
