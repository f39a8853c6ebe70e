// The operator's own reading of the admission corpus
// (tests/integration/fleet/api/bad_manifests): a fleet the CRD refuses but
// that was stored anyway (an older CRD, a client that bypassed validation) is
// refused by ParseFleet too, with the message its `# operator:` lines name,
// and the manifests that must be admitted parse.
#include <gtest/gtest.h>

#include "controller/fleet/api/parse.h"
#include "tests/unit/fleet/api/manifest_corpus.h"

namespace agentfleet::fleet::api {
namespace {

TEST(ParseCorpus, BadManifestsAreRefusedWithTheOperatorsMessage) {
  const auto cases = testing::LoadCorpus("tests/integration/fleet/api/bad_manifests");
  ASSERT_GE(cases.size(), 30u);
  size_t checked = 0;
  for (const auto& c : cases) {
    if (c.operator_.empty()) continue;
    SCOPED_TRACE(c.where + " (" + c.name + ")");
    ++checked;
    auto parsed = ParseFleet(c.manifest);
    if (parsed.ok()) {
      ADD_FAILURE() << "parsed";
      continue;
    }
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    for (const auto& want : c.operator_) {
      EXPECT_NE(parsed.error().message.find(want), std::string::npos)
          << "got: " << parsed.error().message << "\nwant: " << want;
    }
    EXPECT_EQ(parsed.error().message.find("planted-s3cret"), std::string::npos)
        << parsed.error().message;
  }
  EXPECT_GE(checked, cases.size() / 2);
}

TEST(ParseCorpus, GoodManifestsParse) {
  const auto cases = testing::LoadCorpus("tests/integration/fleet/api/good_manifests");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.where + " (" + c.name + ")");
    auto parsed = ParseFleet(c.manifest);
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  }
}

}  // namespace
}  // namespace agentfleet::fleet::api
