// The kernel BTF subset (userspace/ebpf/core_btf.h) on a small hand-built
// "kernel": what it keeps whole, what it keeps behind pointers, what it drops.
#include "core_btf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <linux/btf.h>

#include <cstring>
#include <memory>
#include <string>

namespace bpfaudit::ebpf {
namespace {

struct BtfFree {
  void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfFree>;

const btf_type* find(const struct btf* b, const char* name, int kind) {
  int id = btf__find_by_name_kind(b, name, kind);
  return id > 0 ? btf__type_by_id(b, id) : nullptr;
}

std::string name_of(const struct btf* b, std::uint32_t id) {
  const btf_type* t = btf__type_by_id(b, id);
  return t ? btf__name_by_offset(b, t->name_off) : "?";
}

TEST(CoreBtf, EssentialNameStopsAtTheLastFlavourSeparator) {
  EXPECT_EQ(core_essential_len("task_struct"), 11u);
  EXPECT_EQ(core_essential_len("task_struct___old"), 11u);
  EXPECT_EQ(core_essential_len("a___b___c"), 5u);  // "a___b"
  EXPECT_EQ(core_essential_len("x____y"), 6u);     // underscores on both sides: no flavour
  EXPECT_EQ(core_essential_len("___y"), 4u);
  EXPECT_EQ(core_essential_len("ab___"), 5u);
  EXPECT_EQ(core_essential_len(""), 0u);
}

// kernel:  int; struct inner {int v}; typedef struct inner inner_t;
//          struct far {int f; struct farther *p}; struct farther {int g};
//          struct root {int a; inner_t in; struct far *fp; int arr[4]};
//          struct unrelated {int u}; enum e64-as-enum "mode" {A};
// local:   struct root___v2, enum mode.
TEST(CoreBtf, SubsetKeepsRootsAndWhatTheyEmbedWholeAndPointeesByName) {
  BtfPtr k(btf__new_empty());
  ASSERT_TRUE(k);
  int i32 = btf__add_int(k.get(), "int", 4, BTF_INT_SIGNED);
  int inner = btf__add_struct(k.get(), "inner", 4);
  ASSERT_EQ(btf__add_field(k.get(), "v", i32, 0, 0), 0);
  int inner_t = btf__add_typedef(k.get(), "inner_t", inner);
  int farther = btf__add_struct(k.get(), "farther", 4);
  ASSERT_EQ(btf__add_field(k.get(), "g", i32, 0, 0), 0);
  int farther_ptr = btf__add_ptr(k.get(), farther);
  int far = btf__add_struct(k.get(), "far", 16);
  ASSERT_EQ(btf__add_field(k.get(), "f", i32, 0, 0), 0);
  ASSERT_EQ(btf__add_field(k.get(), "p", farther_ptr, 64, 0), 0);
  int far_ptr = btf__add_ptr(k.get(), far);
  int arr = btf__add_array(k.get(), i32, i32, 4);
  int root = btf__add_struct(k.get(), "root", 32);
  ASSERT_EQ(btf__add_field(k.get(), "a", i32, 0, 0), 0);
  ASSERT_EQ(btf__add_field(k.get(), "in", inner_t, 32, 0), 0);
  ASSERT_EQ(btf__add_field(k.get(), "fp", far_ptr, 64, 0), 0);
  ASSERT_EQ(btf__add_field(k.get(), "arr", arr, 128, 0), 0);
  int unrelated = btf__add_struct(k.get(), "unrelated", 4);
  ASSERT_EQ(btf__add_field(k.get(), "u", i32, 0, 0), 0);
  int mode = btf__add_enum(k.get(), "mode", 4);
  ASSERT_EQ(btf__add_enum_value(k.get(), "A", 7), 0);
  ASSERT_GT(unrelated, 0);
  ASSERT_GT(mode, 0);

  BtfPtr local(btf__new_empty());
  int li = btf__add_int(local.get(), "int", 4, BTF_INT_SIGNED);
  btf__add_struct(local.get(), "root___v2", 4);
  ASSERT_EQ(btf__add_field(local.get(), "a", li, 0, 0), 0);
  btf__add_enum(local.get(), "mode", 4);
  ASSERT_EQ(btf__add_enum_value(local.get(), "A", 0), 0);
  btf__add_func_proto(local.get(), li);  // unnamed: never a root
  CoreNames names = core_names(local.get());
  ASSERT_EQ(names.names.size(), 3u);  // int, root, mode
  EXPECT_EQ(names.names[1].second, "root");

  auto made = core_btf_subset(k.get(), names);
  ASSERT_TRUE(made) << made.error().text();
  BtfPtr s(*made);

  // The root whole, members in order, each pointing at the right type.
  const btf_type* r = find(s.get(), "root", BTF_KIND_STRUCT);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->size, 32u);
  ASSERT_EQ(btf_vlen(r), 4);
  const btf_member* m = btf_members(r);
  EXPECT_EQ(std::string(btf__name_by_offset(s.get(), m[1].name_off)), "in");
  EXPECT_EQ(name_of(s.get(), m[1].type), "inner_t");
  EXPECT_EQ(btf_member_bit_offset(r, 3), 128u);
  // Embedded through the typedef: whole.
  const btf_type* in = find(s.get(), "inner", BTF_KIND_STRUCT);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(btf_vlen(in), 1);
  EXPECT_EQ(btf__type_by_id(s.get(), btf__type_by_id(s.get(), m[1].type)->type), in);
  // The array element and index types follow.
  const btf_type* at = btf__type_by_id(s.get(), m[3].type);
  ASSERT_TRUE(btf_is_array(at));
  EXPECT_EQ(btf_array(at)->nelems, 4u);
  EXPECT_EQ(name_of(s.get(), btf_array(at)->type), "int");
  // Behind a pointer: named, sized, no members; and nothing beyond it.
  const btf_type* fp = btf__type_by_id(s.get(), m[2].type);
  ASSERT_TRUE(btf_is_ptr(fp));
  const btf_type* f = btf__type_by_id(s.get(), fp->type);
  EXPECT_EQ(std::string(btf__name_by_offset(s.get(), f->name_off)), "far");
  EXPECT_EQ(f->size, 16u);
  EXPECT_EQ(btf_vlen(f), 0);
  EXPECT_EQ(find(s.get(), "farther", BTF_KIND_STRUCT), nullptr);
  EXPECT_EQ(find(s.get(), "unrelated", BTF_KIND_STRUCT), nullptr);
  // The enum whole, with its value.
  const btf_type* e = find(s.get(), "mode", BTF_KIND_ENUM);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(btf_vlen(e), 1);
  EXPECT_EQ(btf_enum(e)[0].val, 7);
  // int, inner, inner_t, far*, far (shallow), int[4], root, mode.
  EXPECT_EQ(btf__type_cnt(s.get()) - 1, 8u);
}

}  // namespace
}  // namespace bpfaudit::ebpf
