#include <gtest/gtest.h>

#include <set>

#include "controller/kube/controller/object_key.h"
#include "controller/kube/controller/reconcile_id.h"
#include "controller/kube/controller/reconcile_result.h"

namespace agentfleet::kube::controller {
namespace {

TEST(ObjectKey, MakeAndSplit) {
  EXPECT_EQ(MakeKey("shop", "eu"), "shop/eu");
  EXPECT_EQ(MakeKey("", "node-1"), "node-1");
  auto k = SplitKey("shop/eu");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, (ObjectKey{"shop", "eu"}));
  auto c = SplitKey("cluster-wide");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (ObjectKey{"", "cluster-wide"}));
  for (auto bad : {"", "/", "a/", "/b", "a/b/c"}) {
    auto r = SplitKey(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

// 8-4-4-4-12 lowercase hex, version nibble 4, variant 8, 9, a or b.
bool IsUuidV4(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = id[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return id[14] == '4' && std::string_view("89ab").find(id[19]) != std::string_view::npos;
}

TEST(ReconcileID, UuidV4ShapedAndUnique) {
  EXPECT_FALSE(IsUuidV4("123e4567-e89b-12d3-a456-426614174000"));  // version 1
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = NewReconcileID();
    ASSERT_TRUE(IsUuidV4(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ReconcileResult, Kinds) {
  using K = ReconcileResult::Kind;
  EXPECT_EQ(ReconcileResult::Done().kind(), K::kDone);
  EXPECT_EQ(ReconcileResult::Requeue().kind(), K::kRequeue);
  auto after = ReconcileResult::RequeueAfter(std::chrono::seconds(3));
  EXPECT_EQ(after.kind(), K::kRequeueAfter);
  EXPECT_EQ(after.requeue_after(), std::chrono::seconds(3));
  EXPECT_EQ(ReconcileResult::RequeueAfter(std::chrono::seconds(0)).kind(), K::kRequeue);
  ReconcileResult err = MakeError(ErrorCode::kConflict, "stale");
  EXPECT_EQ(err.kind(), K::kError);
  EXPECT_EQ(err.error()->code, ErrorCode::kConflict);
  auto terminal = ReconcileResult::Terminal(MakeError(ErrorCode::kInvalidArgument, "bad"));
  EXPECT_EQ(terminal.kind(), K::kTerminalError);
  EXPECT_EQ(ReconcileResult::FromStatus(Ok{}).kind(), K::kDone);
  EXPECT_EQ(ReconcileResult::FromStatus(MakeError(ErrorCode::kTimeout, "t")).kind(), K::kError);
}

}  // namespace
}  // namespace agentfleet::kube::controller
