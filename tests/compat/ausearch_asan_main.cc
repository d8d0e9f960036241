// ausearch alone, built with AddressSanitizer and UBSan for the bad-input test.
#include "tools.h"

int main(int argc, char** argv) { return bpfaudit::compat::ausearch_main(argc, argv); }
