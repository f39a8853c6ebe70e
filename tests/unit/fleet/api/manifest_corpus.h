#pragma once

// Test helper: a corpus of PricingAgentFleet manifests with what each one must
// get, in YAML files users can read. Documents are separated by `---` lines;
// comment lines before a document's first key say what it is:
//   # case: a name of 64 characters
//   # expect: must be at most 63 characters     (the API server's message, a substring)
//   # operator: metadata.name: must be at most   (the operator's InvalidSpec message)
// Other comments are prose for readers.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentfleet::testing {

struct CorpusCase {
  std::string where;                   // "bad_manifests/urls.yaml:12"
  std::string name;                    // the `# case:` line
  std::vector<std::string> expect;     // substrings of the API server's answer
  std::vector<std::string> operator_;  // substrings of the operator's parse error
  nlohmann::json manifest;
};

// Every case of every *.yaml file in `dir` (under the source tree), by file
// name then position. Aborts the test binary when a document has no `# case:`.
std::vector<CorpusCase> LoadCorpus(const std::string& dir);

}  // namespace agentfleet::testing
