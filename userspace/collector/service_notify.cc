#include "service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "unique_fd.h"

namespace bpfaudit::collector {

bool notify_service_manager(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (!env || !*env) return false;
  std::string_view path(env);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) return false;
  std::memcpy(sa.sun_path, path.data(), path.size());
  // '@' names an abstract socket: a NUL in its place, no terminator counted.
  if (path.front() == '@') sa.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                         (path.front() == '@' ? 0 : 1));
  base::UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return false;
  return ::sendto(s.get(), state.data(), state.size(), MSG_NOSIGNAL,
                  reinterpret_cast<sockaddr*>(&sa), len) == static_cast<ssize_t>(state.size());
}

}  // namespace bpfaudit::collector
