// Entry points of the front ends linked into the multi-call binary.
#pragma once

namespace bpfaudit::compat {

int ausearch_main(int argc, char** argv);
int aureport_main(int argc, char** argv);
int capture_main(int argc, char** argv);
int autrace_main(int argc, char** argv);
int auditctl_main(int argc, char** argv);
int augenrules_main(int argc, char** argv);
int daemon_main(int argc, char** argv);

}  // namespace bpfaudit::compat
