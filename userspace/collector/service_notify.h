// systemd's readiness protocol (sd_notify(3)) without libsystemd: when the
// service manager started the daemon with $NOTIFY_SOCKET set (Type=notify in
// dist/systemd/bpfaudit.service), one datagram with a state such as
// "READY=1" or "STOPPING=1" goes to that socket. Without the variable
// nothing is sent, so the daemon runs the same under any other init.
#pragma once

#include <string_view>

namespace bpfaudit::collector {

// Sends `state` to $NOTIFY_SOCKET (a path, or '@' for the abstract
// namespace); false when the variable is unset or the send failed.
bool notify_service_manager(std::string_view state);

}  // namespace bpfaudit::collector
