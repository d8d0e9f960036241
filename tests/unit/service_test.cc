// The service pieces of issue 17: the readiness datagram systemd's
// Type=notify waits for (sd_notify(3): one datagram, "READY=1", to the
// socket named by $NOTIFY_SOCKET), and the default configuration that
// `cmake --install` puts in /etc/audit, read with stock 3.0.9's rules.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "auditd_conf.h"
#include "plugin_conf.h"
#include "service_notify.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ServiceNotify, OneDatagramToNotifySocketAndNothingWithoutIt) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(bpfaudit::collector::notify_service_manager("READY=1"));
  char tmpl[] = "/tmp/bpfaudit-notify-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/notify";
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(bpfaudit::collector::notify_service_manager("READY=1"));
  unsetenv("NOTIFY_SOCKET");
  char buf[64];
  ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
  ASSERT_EQ(n, 7);
  EXPECT_EQ(std::string(buf, 7), "READY=1");
  close(s);
  unlink(path.c_str());
  rmdir(tmpl);
}

TEST(DistDefaults, AuditdConfAndJsonPluginParseWithoutAWord) {
  auto c = bpfaudit::record::parse_auditd_conf_text(
      slurp(BPFAUDIT_DIST_DIR "/audit/auditd.conf"), "auditd.conf",
      bpfaudit::record::ConfCheck::kSearch);
  EXPECT_TRUE(c.ok);
  for (const auto& m : c.messages) EXPECT_GE(m.priority, LOG_INFO) << m.text;
  EXPECT_EQ(c.conf.log_file, "/var/log/audit/audit.log");
  // Stock's plugin_dir parser appends the slash (auditd-config.c).
  EXPECT_EQ(c.conf.plugin_dir, "/etc/audit/plugins.d/");
  auto p = bpfaudit::collector::parse_plugin_conf_text(
      slurp(BPFAUDIT_DIST_DIR "/audit/plugins.d/json.conf"), "json.conf");
  EXPECT_TRUE(p.ok);
  EXPECT_TRUE(p.messages.empty());
  EXPECT_FALSE(p.conf.active);
  EXPECT_EQ(p.conf.path, "builtin_json");
  EXPECT_EQ(p.conf.type, bpfaudit::collector::PluginType::kBuiltin);
}

}  // namespace
