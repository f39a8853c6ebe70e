// Random mutations of a valid fleet: the parser never throws and never
// crashes, and whatever it accepts satisfies the rules the planner relies on.
#include <gtest/gtest.h>

#include <random>

#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/status_json.h"
#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::fleet::api {
namespace {

using Json = nlohmann::json;

Json RandomValue(std::mt19937_64& rng) {
  switch (rng() % 12) {
    case 0:
      return nullptr;
    case 1:
      return static_cast<int64_t>(rng() % 2000) - 1000;
    case 2:
      return static_cast<uint64_t>(rng());  // often beyond int64
    case 3:
      return std::numeric_limits<int64_t>::min();
    case 4:
      return 2.5;
    case 5:
      return std::string(rng() % 3000, 'x');
    case 6:
      return "redis://u:p@h";
    case 7:
      return Json::array({1, "a", nullptr});
    case 8:
      return Json::object({{"x", 1}});
    case 9:
      return rng() % 2 == 0;
    case 10:
      return "";
    default:
      return "Max";
  }
}

// Every node of the document, by JSON pointer.
void Pointers(const Json& j, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) Pointers(*it, at / it.key(), out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) Pointers(j[i], at / i, out);
  }
}

void Mutate(Json& doc, std::mt19937_64& rng) {
  std::vector<Json::json_pointer> ptrs;
  Pointers(doc, Json::json_pointer(), ptrs);
  const auto& p = ptrs[rng() % ptrs.size()];
  if (p.empty()) {
    if (rng() % 8 == 0) doc = RandomValue(rng);
    return;
  }
  switch (rng() % 3) {
    case 0:
      doc[p] = RandomValue(rng);
      break;
    case 1: {  // delete
      Json& parent = doc[p.parent_pointer()];
      if (parent.is_object())
        parent.erase(p.back());
      else if (parent.is_array() && !parent.empty())
        parent.erase(parent.size() - 1);
      break;
    }
    default: {  // add a sibling member
      Json& parent = doc[p.parent_pointer()];
      if (parent.is_object())
        parent[std::string("k") + std::to_string(rng() % 4)] = RandomValue(rng);
      break;
    }
  }
}

TEST(ParseFleetFuzz, RandomMutationsNeverThrowAndAcceptedFleetsAreSound) {
  Json base = testing::LoadYaml(testing::SourcePath("examples/fleet-redis.yaml"));
  base["status"] = StatusToJson(FleetStatus{});
  base["metadata"]["ownerReferences"] = {
      {{"apiVersion", "v1"}, {"kind", "X"}, {"name", "x"}, {"uid", "u"}, {"controller", true}}};
  base["metadata"]["finalizers"] = {"agentfleet.io/lease-cleanup"};
  base["metadata"]["annotations"] = {{"agentfleet.io/paused", "true"}};
  std::mt19937_64 rng(20260101);
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    Json doc = base;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) Mutate(doc, rng);
    Result<Fleet> f = MakeError(ErrorCode::kInternal, "not run");
    ASSERT_NO_THROW(f = ParseFleet(doc)) << doc.dump();
    if (!f.ok()) {
      ++rejected;
      EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument);
      EXPECT_FALSE(f.error().message.empty());
      continue;
    }
    ++accepted;
    const FleetSpec& s = f->spec;
    ASSERT_GE(s.shards, 1);
    if (s.autoscaling) {
      ASSERT_LE(s.autoscaling->min_replicas, s.autoscaling->max_replicas);
      ASSERT_LE(s.autoscaling->max_replicas, s.shards);
      ASSERT_GE(s.autoscaling->target_queue_depth_per_agent, 1);
    } else {
      ASSERT_LE(s.ManualReplicas(), s.shards);
    }
    ASSERT_TRUE(s.pod_template["spec"]["containers"].is_array());
    ASSERT_FALSE(s.pod_template["spec"]["containers"].empty());
    ASSERT_NO_THROW((void)StatusToJson(f->status));
  }
  // The mutations exercise both sides.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace agentfleet::fleet::api
