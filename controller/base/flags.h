#pragma once

// The command-line grammar of every binary of the project, so that they all
// read the same syntax and fail with the same messages:
//
//   --flag=value and --flag value; a boolean flag alone means true;
//   --help (or -h), and --version where the binary has one;
//   an environment variable may supply a flag that is absent (the flag wins);
//   a lone "--" hands the rest to another program, where the binary allows it.
//
// A binary declares its flags over its own options struct; each typed flag
// checks its value before storing it, so a rejected value never lands.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet {

// What a command line asks the program to do.
enum class FlagParseKind { kRun, kHelp, kVersion, kError };

struct FlagOutcome {
  FlagParseKind kind = FlagParseKind::kRun;
  std::string error;  // kError: names the flag (or variable) and the problem
};

// A binary's parse: its options and what to do with them.
template <typename Options>
struct ParsedFlags : FlagOutcome {
  using Kind = FlagParseKind;
  Options options;
};

struct FlagSpec {
  std::string_view name;  // without the leading --
  std::string_view help;
  std::string_view env = {};  // a variable that supplies the value when the flag is absent
  bool required = false;      // the flag or its variable must be given; --help shows no default
  bool secret = false;        // errors never echo the value: it may hold a password
};

// What --help says around the list of flags. Views: the FlagSet keeps them, so
// they must outlive it (string literals do).
struct FlagHelp {
  std::string_view summary;      // the paragraph after the usage line
  std::string_view footer = {};  // a paragraph after the flags
  bool version = false;          // --version is a flag of this binary
};

// Checks a string flag's value; the error's message completes "invalid value ...: ".
using FlagCheck = std::function<Status(std::string_view)>;

// The check of string flags that must not be set to "".
Status NonEmpty(std::string_view value);

class FlagSet {
 public:
  explicit FlagSet(FlagHelp help) : help_(help) {}

  void String(const FlagSpec& spec, std::string* target, FlagCheck check = {});
  // true, 1, t, TRUE, True and their false counterparts, as Go's flag package reads them.
  void Bool(const FlagSpec& spec, bool* target);
  // A whole number from `min` to `max` (no upper bound when absent).
  template <std::integral T>
  void Int(const FlagSpec& spec, T* target, int64_t min, std::optional<int64_t> max = {}) {
    AddInt(
        spec, min, max,
        [target](int64_t v) {
          if (!std::in_range<T>(v)) return false;
          *target = static_cast<T>(v);
          return true;
        },
        [target] { return std::to_string(*target); });
  }
  // A finite number above `greater_than`.
  void Number(const FlagSpec& spec, double* target, double greater_than);
  // A duration (controller/base/duration.h) of at least `min`.
  void Duration(const FlagSpec& spec, std::chrono::milliseconds* target,
                std::chrono::milliseconds min);
  // May be given many times: the first occurrence replaces the default (or the
  // variable's value), the later ones append.
  void Repeated(const FlagSpec& spec, std::vector<std::string>* target);
  // The arguments after a lone "--" go to `rest` unread; `name` stands for them
  // in the usage line. Without this, "--" is an unexpected argument.
  void Rest(std::vector<std::string>* rest, std::string_view name);

  // Applies `env`, then `args` (without the program name), then checks that
  // every required flag was given.
  FlagOutcome Parse(std::span<const std::string_view> args,
                    const std::map<std::string, std::string>& env = {});

  // The --help text: every flag, its variable, default and meaning.
  std::string Usage(std::string_view program) const;

 private:
  struct Flag {
    std::string name, help, env;
    bool required = false;
    bool secret = false;
    bool takes_value = true;  // false: a boolean, true when named alone
    bool repeated = false;
    // Checks and stores; `again` is set when the command line named the flag before.
    std::function<Status(std::string_view value, bool again)> set;
    std::function<std::string()> show;  // the current value, as --help shows a default
  };

  void Add(const FlagSpec& spec, Flag flag);
  void AddInt(const FlagSpec& spec, int64_t min, std::optional<int64_t> max,
              std::function<bool(int64_t)> store, std::function<std::string()> show);
  Flag* Find(std::string_view name);
  std::optional<FlagOutcome> ApplyEnvironment(const std::map<std::string, std::string>& env,
                                              std::vector<bool>& given);
  FlagOutcome CheckRequired(const std::vector<bool>& given) const;

  FlagHelp help_;
  std::vector<Flag> flags_;
  std::vector<std::string>* rest_ = nullptr;
  std::string rest_name_;
};

// `define` declares a binary's flags over the options it is given, so that
// Parse fills them (and Usage shows their defaults). After an error the
// options are the defaults.
template <typename Options>
ParsedFlags<Options> ParseFlags(FlagSet (*define)(Options& options),
                                std::span<const std::string_view> args,
                                const std::map<std::string, std::string>& env = {}) {
  ParsedFlags<Options> parsed;
  static_cast<FlagOutcome&>(parsed) = define(parsed.options).Parse(args, env);
  // Half a command line configures nothing.
  if (parsed.kind == FlagParseKind::kError) parsed.options = Options{};
  return parsed;
}

// The --help text of the flags `define` declares, with the options' defaults.
template <typename Options>
std::string FlagUsage(FlagSet (*define)(Options& options), std::string_view program) {
  Options defaults;
  return define(defaults).Usage(program);
}

// How a binary's main ends a command line that does not run it.
struct FlagProgram {
  std::string_view name;          // prefixes errors and the version line
  std::string_view invoked_as;    // argv[0], for the hint after an error
  std::string_view version = {};  // printed by --version
};

// --help prints `usage` and --version "<name> <version>" on `out` (exit code
// 0); a bad command line prints "<name>: <error>" and a hint on `err` (exit
// code 2). nullopt for a command line that runs the program.
std::optional<int> ExitCodeForFlags(const FlagOutcome& outcome, const FlagProgram& program,
                                    std::string_view usage, std::ostream& out, std::ostream& err);

}  // namespace agentfleet
