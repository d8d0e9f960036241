// Regressions for what the fuzz targets (tests/fuzz) found, one case each,
// named after the bug.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctl.h"
#include "event.h"
#include "fake_control.h"
#include "interpret.h"
#include "memstream.h"
#include "placement.h"
#include "record.h"

namespace bpfaudit {
namespace {

struct CtlRun {
  int rc;
  std::string out, err;
};

CtlRun ctl_run(fuzz::FakeControl& kernel, const std::vector<std::string>& args) {
  testing::MemStream out, err;
  rules::CtlIo io = fuzz::null_io();
  io.out = out.file();
  io.err = err.file();
  rules::Ctl ctl(kernel, fuzz::fake_env(), io);
  int rc = ctl.run(args);
  return {rc, out.str(), err.str()};
}

// fuzz_auditctl_args: a word before -l or -D is moved after them by getopt,
// so nothing follows the option and argv[optind] is NULL; stock 3.0.9
// crashes (strcmp(NULL)), ours did too. Now refused as stock would refuse a
// wrong word there.
TEST(FuzzFound, AuditctlWordBeforeListOrDeleteAll) {
  fuzz::FakeControl kernel;
  CtlRun l = ctl_run(kernel, {"auditctl", "x", "-l"});
  EXPECT_NE(l.rc, 0);
  EXPECT_EQ(l.err, "Only -k or -i options are allowed\n");
  CtlRun d = ctl_run(kernel, {"auditctl", "x", "y", "-D"});
  EXPECT_NE(d.rc, 0);
  EXPECT_EQ(d.err, "Only the -k option is allowed\n");
}

// fuzz_placement: coverage() took the last arch= field alone and
// lower_rule() dropped arch= fields, so `-F arch=b64 -F arch=b32 -S getpid`
// (which the kernel never matches: it ANDs both) put an always-true rule on
// the engine's i386 getpid row. Every arch field now narrows the rows, with
// its operator (arch!=b64 -S 20 is i386 getpid only, where x86_64's 20 is
// writev).
TEST(FuzzFound, PlacementAndsEveryArchField) {
  fuzz::FakeControl kernel;
  ASSERT_EQ(ctl_run(kernel, {"auditctl", "-a", "always,exit", "-F", "arch=b64", "-F", "arch=b32",
                             "-S", "getpid", "-k", "both"}).rc, 0);
  ASSERT_EQ(ctl_run(kernel, {"auditctl", "-a", "always,exit", "-F", "arch!=b64", "-S", "20",
                             "-k", "not64"}).rc, 0);
  std::vector<rules::Rule> exit_rules;
  for (const auto& b : kernel.rules) exit_rules.emplace_back(b);
  ASSERT_EQ(exit_rules.size(), 2u);
  auto plan = rules::place_rules(exit_rules, {});
  ASSERT_EQ(plan.engine_rules.size(), 2u) << plan.placement[1].reason;
  EXPECT_TRUE(plan.engine_rules[0].syscalls.empty());  // matches nothing, as in the kernel
  ASSERT_EQ(plan.engine_rules[1].syscalls.size(), 1u);
  EXPECT_EQ(plan.engine_rules[1].syscalls[0].arch, 1);  // i386 getpid only
  EXPECT_EQ(plan.engine_rules[1].syscalls[0].nr, 20);
  EXPECT_TRUE(plan.engine_rules[1].fields.empty());
}

// fuzz_search: libauparse 3.0.9's key_escape does not terminate its output
// when a key= value of several keys ends with the separator (0x01) and a key
// needs escaping; `ausearch -i --escape shell_quote` (or tty with a control
// byte in a key) then read past the heap buffer. The trailing separators now
// go around libauparse.
TEST(FuzzFound, InterpretKeyEndingWithSeparator) {
  record::Interpreter quote(record::EscapeMode::kShellQuote);
  record::FieldContext ctx;
  ctx.record_type = AUDIT_SYSCALL;
  EXPECT_EQ(quote.interpret(ctx, "key", "01793D280101"), "\x01y=\\(\x01\x01");
  record::Interpreter tty(record::EscapeMode::kTty);
  EXPECT_EQ(tty.interpret(ctx, "key", "6B02016B3201"), "k\\002\x01k2\x01");
}

// fuzz_search, again: the csv and text formats read the normalizer's fields
// through libauparse's own auparse_interpret_field, around the guard above;
// a CONFIG_CHANGE's key (its OBJ_PRIME) then read past the heap buffer
// (ASan, 2026-12-07). They now take the key through the same guard.
TEST(FuzzFound, CsvAndTextKeyEndingWithSeparator) {
  auto event = [](const std::string& key) {
    std::string l =
        "type=CONFIG_CHANGE msg=audit(1700000000.1:10): auid=1000 ses=3 op=\"add_rule\" key=" +
        key + " list=4 res=1";
    record::Event ev;
    auto h = record::parse_header(l);
    if (h) {
      ev.id = h->id;
      ev.records.push_back(record::make_record(l, h->type));
    }
    return ev;
  };
  // A well-formed (hex) value: the object is its first key, as stock 3.0.9
  // prints it for this record (ausearch --format csv|text --escape shell_quote).
  record::Interpreter quote(record::EscapeMode::kShellQuote);
  std::string csv, text;
  quote.write_csv(event("01793D280101"), {}, csv);
  EXPECT_NE(csv.find(",changed-audit-configuration,success,y=\\(,,audit-config,\n"),
            std::string::npos)
      << csv;
  quote.write_text(event("01793D280101"), text);
  EXPECT_NE(text.find(" changed-audit-configuration y=\\( \n"), std::string::npos) << text;
  // The fuzzer's record: a raw separator after "(". Stock prints "\(", the
  // separator, then whatever bytes follow its buffer; ours ends there.
  record::Interpreter shell(record::EscapeMode::kShell);
  csv.clear();
  shell.write_csv(event("(\x01"), {}, csv);
  EXPECT_NE(csv.find(",success,\\(\x01,,audit-config,\n"), std::string::npos) << csv;
}

// fuzz_auditctl_diff: stock libaudit 3.0.9 (Debian builds it WITH_ARM)
// takes -F arch=arm; ours refused it with "Unable to identify machine type".
TEST(FuzzFound, AuditctlArchArmAsStock) {
  rules::Rule rule;
  rule.data().flags = AUDIT_FILTER_EXIT;
  rules::BuildState st;
  std::string opt, diag;
  EXPECT_EQ(rules::add_field_pair(rule, "arch=arm", AUDIT_FILTER_EXIT, st, fuzz::fake_env(), &opt,
                                  &diag),
            rules::RuleError::kNone);
  EXPECT_EQ(st.elf, static_cast<unsigned>(audit_machine_to_elf(MACH_ARM)));
  EXPECT_NE(st.elf, 0u);
}

// fuzz_history_index (a genuine index of a log whose blocks need
// placeholders): the history index feeds a skipped block's records to the
// assembler as placeholders, headers with an empty RecordView whose text
// has a null data(); the text arena memcpy'd from that null pointer (UBSan:
// "null pointer passed as argument 2"). Undefined even for 0 bytes, so it
// is not copied now. Here: placeholders and real records mixed in one
// assembler keep their identities, their order and their (empty) text.
TEST(FuzzFound, PlaceholderRecordsHaveNoTextToCopy) {
  record::EventAssembler a(2);
  record::RecordHeader h;
  h.id.sec = 1000;
  h.id.serial = 7;
  h.type = 1300;  // SYSCALL: the event stays open for the PATH below
  record::RecordView placeholder;
  placeholder.type = h.type;
  ASSERT_EQ(placeholder.text.data(), nullptr);
  ASSERT_TRUE(a.add(h, placeholder, std::nullopt, 1));
  const std::string path = "type=PATH msg=audit(1000.000:7): item=0 name=\"/x\"";
  record::RecordHeader hp = h;
  hp.type = 1302;
  ASSERT_TRUE(a.add(hp, record::view_record(path, hp.type), std::nullopt, 2));
  record::RecordHeader h2;
  h2.id.sec = 1000;
  h2.id.serial = 8;
  h2.type = 1112;  // USER_LOGIN: a one-record event, complete at once
  ASSERT_TRUE(a.add(h2, placeholder, std::nullopt, 3));
  a.close_all();
  record::Event ev;
  std::vector<std::uint64_t> tags;
  ASSERT_TRUE(a.pop_ready(ev, &tags));
  EXPECT_EQ(ev.id.serial, 7u);
  ASSERT_EQ(ev.records.size(), 2u);
  EXPECT_EQ(ev.records[0].text, "");
  EXPECT_EQ(ev.records[1].text, path);
  EXPECT_EQ(tags, (std::vector<std::uint64_t>{1, 2}));
  ASSERT_TRUE(a.pop_ready(ev, &tags));
  EXPECT_EQ(ev.id.serial, 8u);
  ASSERT_EQ(ev.records.size(), 1u);
  EXPECT_EQ(ev.records[0].text, "");
  EXPECT_EQ(tags, (std::vector<std::uint64_t>{3}));
  EXPECT_FALSE(a.pop_ready(ev, &tags));
}

// fuzz_auparse_diff: split_fields against libauparse 3.0.9 on malformed
// lines. Expected fields are what auparse_get_field_name/_str return for
// each line (stock's header fields node= and type= left out, as ours leaves
// them out).
std::vector<std::string> field_texts(std::string_view raw) {
  std::vector<std::string> out;
  for (const auto& f : record::split_fields(raw))
    out.push_back(std::string(f.name) + "=" + std::string(f.value));
  return out;
}

// A stamp without its "):" (handwritten.log has one): ours skipped to the
// end of the line and lost cwd=; stock keeps the fields after the stamp word.
TEST(FuzzFound, SplitFieldsAfterUnclosedStamp) {
  EXPECT_EQ(field_texts("type=CWD msg=audit(1700000081.000:81 cwd=\"/x\""),
            (std::vector<std::string>{"cwd=\"/x\""}));
}

// Two records run together on one line: the second stamp word is no field,
// its type= is (stock: item, obj, type=CWD, cwd).
TEST(FuzzFound, SplitFieldsSkipsASecondStampWord) {
  EXPECT_EQ(field_texts("type=PATH msg=audit(1166111074.191:74): item=0 "
                        "obj=system_u:object_r:a_t:s0 type=CWD msg=audit(1166111074.191:74):  "
                        "cwd=\"/\""),
            (std::vector<std::string>{"item=0", "obj=system_u:object_r:a_t:s0", "type=CWD",
                                      "cwd=\"/\""}));
}

// Text glued to a closing quote, a quote never closed, and a quote opening
// a word are parts of their word, as stock splits words at spaces.
TEST(FuzzFound, SplitFieldsQuotesDoNotSplitWords) {
  EXPECT_EQ(field_texts("type=CWD msg=audit(1795434790.628:474058): cwd=\"/work/main\"p=0 "
                        "cap_fi=0"),
            (std::vector<std::string>{"cwd=\"/work/main\"p=0", "cap_fi=0"}));
  EXPECT_EQ(field_texts("type=\"=AVC msg=audit(1524662933.080:61207): perm=15"),
            (std::vector<std::string>{"perm=15"}));
  EXPECT_EQ(field_texts("type=SYSCALL msg=audit(1158584780.957:718): syscall=195 comm=\"yum\" "
                        "'exe=\"/usr/bin/yum\" res=success'"),
            (std::vector<std::string>{"syscall=195", "comm=\"yum\"", "'exe=\"/usr/bin/yum\"",
                                      "res=success"}));
  // An empty value is no field: the later type= is the header's (stock:
  // type=MMAP, then no field).
  EXPECT_EQ(field_texts("type= msg=audit(1700000041.041:41): a= type=MMAP b=1"),
            (std::vector<std::string>{"b=1"}));
  // A quoted value holding a space (no writer makes one) ends at the space.
  EXPECT_EQ(field_texts("type=CWD msg=audit(1700000081.000:81): a=\"x y\" b=1"),
            (std::vector<std::string>{"a=\"x", "b=1"}));
  // ...but a user message's closing quote is still no part of its last value.
  EXPECT_EQ(field_texts("type=USER_CMD msg=audit(1.000:5): pid=7 msg='cwd=\"/\" exe=\"/bin/su\"'"),
            (std::vector<std::string>{"pid=7", "cwd=\"/\"", "exe=\"/bin/su\""}));
}

// A user message whose text itself opens with msg=: libauparse cuts
// `msg='` once per word and reads the rest as one name=value, so stock
// 3.0.9 gives pid, uid, msg='op=login, id, res for the first line and pid,
// uid, msg=audit(1700000031.000:31 (trimmed), op, res for the second (its
// auparse_get_field_name/_str). Ours cut `msg='` again, returning op=login,
// and skipped the second as a stamp word.
TEST(FuzzFound, SplitFieldsCutsAUserMessageOpeningOnce) {
  EXPECT_EQ(field_texts("type=USER_LOGIN msg=audit(1700000030.030:30): pid=906 uid=0 "
                        "msg='msg='op=login id=1001 res=success'"),
            (std::vector<std::string>{"pid=906", "uid=0", "msg='op=login", "id=1001",
                                      "res=success"}));
  EXPECT_EQ(field_texts("type=USER_LOGIN msg=audit(1700000030.030:30): pid=906 uid=0 "
                        "msg='msg=audit(1700000031.000:31): op=login res=success'"),
            (std::vector<std::string>{"pid=906", "uid=0", "msg=audit(1700000031.000:31):",
                                      "op=login", "res=success"}));
}

// A header field written with a leading '(': libauparse drops the '(' of
// every name, so `(type=SYSCALL` is still the header's type (stock 3.0.9:
// type=SYSCALL, arch, syscall, pid; with node=abcdef first, node too); ours
// returned it as a field.
TEST(FuzzFound, SplitFieldsHeaderTypeWithParen) {
  EXPECT_EQ(field_texts("(type=SYSCALL msg=audit(1700000031.031:31): arch=c000003e syscall=2 "
                        "pid=2"),
            (std::vector<std::string>{"arch=c000003e", "syscall=2", "pid=2"}));
  EXPECT_EQ(field_texts("node=abcdef (type=SYSCALL msg=audit(1700000031.031:31): arch=c000003e "
                        "syscall=2 pid=2"),
            (std::vector<std::string>{"arch=c000003e", "syscall=2", "pid=2"}));
}

// A first word naming no node= field is no header field to drop: type= is
// still the first field, and is dropped (stock: type=PATH, item, name).
TEST(FuzzFound, SplitFieldsHeaderAfterAWordWithoutEquals) {
  EXPECT_EQ(field_texts("nodename type=PATH msg=audit(1700000090.090:90): item=0 "
                        "name=\"/etc/hosts\""),
            (std::vector<std::string>{"item=0", "name=\"/etc/hosts\""}));
}

}  // namespace
}  // namespace bpfaudit
