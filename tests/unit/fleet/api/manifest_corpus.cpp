#include "tests/unit/fleet/api/manifest_corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/unit/fleet/api/yaml_json.h"

namespace agentfleet::testing {
namespace {

bool TakeField(const std::string& line, const std::string& key, std::string& value) {
  const std::string prefix = "# " + key + ":";
  if (line.rfind(prefix, 0) != 0) return false;
  value = line.substr(prefix.size());
  value.erase(0, value.find_first_not_of(' '));
  return true;
}

void AddCase(const std::string& relative, int first_line, const std::string& text,
             std::vector<CorpusCase>& out) {
  CorpusCase c;
  c.where = relative + ":" + std::to_string(first_line);
  std::istringstream in(text);
  std::string line, value;
  bool any_key = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#' && line[0] != ' ') any_key = true;
    if (TakeField(line, "case", value)) c.name = value;
    if (TakeField(line, "expect", value)) c.expect.push_back(value);
    if (TakeField(line, "operator", value)) c.operator_.push_back(value);
  }
  if (!any_key) return;  // a trailing separator or a comment-only header
  if (c.name.empty()) {
    std::cerr << c.where << ": a document without a `# case:` line\n";
    std::abort();
  }
  c.manifest = ParseYaml(text, c.where);
  out.push_back(std::move(c));
}

}  // namespace

std::vector<CorpusCase> LoadCorpus(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(SourcePath(dir))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<CorpusCase> out;
  for (const auto& file : files) {
    const std::string relative = dir + "/" + file;
    std::ifstream in(SourcePath(relative));
    std::string line, chunk;
    int line_no = 0, chunk_start = 1;
    while (std::getline(in, line)) {
      ++line_no;
      if (line == "---") {
        AddCase(relative, chunk_start, chunk, out);
        chunk.clear();
        chunk_start = line_no + 1;
        continue;
      }
      chunk += line + "\n";
    }
    AddCase(relative, chunk_start, chunk, out);
  }
  return out;
}

}  // namespace agentfleet::testing
