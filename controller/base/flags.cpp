#include "controller/base/flags.h"

#include <charconv>
#include <cmath>
#include <ostream>
#include <sstream>

#include "controller/base/duration.h"

namespace agentfleet {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

FlagOutcome Fail(std::string message) {
  return {FlagParseKind::kError, std::move(message)};
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "true" || v == "1" || v == "t" || v == "TRUE" || v == "True") return true;
  if (v == "false" || v == "0" || v == "f" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

std::string WholeNumberRange(int64_t min, std::optional<int64_t> max) {
  if (!max) return "must be a whole number of at least " + std::to_string(min);
  return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(*max);
}

std::string ShowNumber(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

// `where` is "for --flag" or "in $VARIABLE".
std::string InvalidValue(bool secret, std::string_view value, std::string_view where,
                         const Error& why) {
  std::string quoted = secret ? "" : " \"" + std::string(value) + "\"";
  return "invalid value" + quoted + " " + std::string(where) + ": " + why.message;
}

}  // namespace

Status NonEmpty(std::string_view value) {
  if (value.empty()) return Invalid("must not be empty");
  return Ok{};
}

void FlagSet::Add(const FlagSpec& spec, Flag flag) {
  flag.name = spec.name;
  flag.help = spec.help;
  flag.env = spec.env;
  flag.required = spec.required;
  flag.secret = spec.secret;
  flags_.push_back(std::move(flag));
}

void FlagSet::String(const FlagSpec& spec, std::string* target, FlagCheck check) {
  Add(spec, {.set = [target, check](std::string_view v, bool) -> Status {
               if (check) {
                 if (auto ok = check(v); !ok.ok()) return ok;
               }
               *target = v;
               return Ok{};
             },
             .show = [target] { return *target; }});
}

void FlagSet::Bool(const FlagSpec& spec, bool* target) {
  Add(spec, {.takes_value = false,
             .set = [target](std::string_view v, bool) -> Status {
               auto b = ParseBool(v);
               if (!b) return Invalid("must be true or false");
               *target = *b;
               return Ok{};
             },
             .show = [target] { return std::string(*target ? "true" : "false"); }});
}

void FlagSet::AddInt(const FlagSpec& spec, int64_t min, std::optional<int64_t> max,
                     std::function<bool(int64_t)> store, std::function<std::string()> show) {
  Add(spec, {.set = [min, max, store](std::string_view v, bool) -> Status {
               int64_t i = 0;
               auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
               if (ec != std::errc() || ptr != v.data() + v.size() || i < min ||
                   (max && i > *max) || !store(i)) {
                 return Invalid(WholeNumberRange(min, max));
               }
               return Ok{};
             },
             .show = std::move(show)});
}

void FlagSet::Number(const FlagSpec& spec, double* target, double greater_than) {
  Add(spec, {.set = [target, greater_than](std::string_view v, bool) -> Status {
               double d = 0;
               auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
               if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(d) ||
                   d <= greater_than) {
                 return Invalid("must be a number greater than " + ShowNumber(greater_than));
               }
               *target = d;
               return Ok{};
             },
             .show = [target] { return ShowNumber(*target); }});
}

void FlagSet::Duration(const FlagSpec& spec, std::chrono::milliseconds* target,
                       std::chrono::milliseconds min) {
  Add(spec, {.set = [target, min](std::string_view v, bool) -> Status {
               auto d = ParseDuration(v);
               if (!d.ok()) return d.error();
               if (*d < min) return Invalid("must be at least " + FormatDuration(min));
               *target = *d;
               return Ok{};
             },
             .show = [target] { return FormatDuration(*target); }});
}

void FlagSet::Repeated(const FlagSpec& spec, std::vector<std::string>* target) {
  Add(spec, {.repeated = true,
             .set = [target](std::string_view v, bool again) -> Status {
               if (!again) target->clear();
               target->emplace_back(v);
               return Ok{};
             },
             .show =
                 [target] {
                   std::string joined;
                   for (const auto& v : *target) joined += (joined.empty() ? "" : ",") + v;
                   return joined;
                 }});
}

void FlagSet::Rest(std::vector<std::string>* rest, std::string_view name) {
  rest_ = rest;
  rest_name_ = name;
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<FlagOutcome> FlagSet::ApplyEnvironment(const std::map<std::string, std::string>& env,
                                                     std::vector<bool>& given) {
  for (size_t i = 0; i < flags_.size(); ++i) {
    const Flag& f = flags_[i];
    if (f.env.empty()) continue;
    auto it = env.find(f.env);
    // An empty variable is an absent one, as a pod spec cannot unset a variable.
    if (it == env.end() || it->second.empty()) continue;
    if (auto ok = f.set(it->second, false); !ok.ok()) {
      return Fail(InvalidValue(f.secret, it->second, "in $" + f.env, ok.error()));
    }
    given[i] = true;
  }
  return std::nullopt;
}

FlagOutcome FlagSet::Parse(std::span<const std::string_view> args,
                           const std::map<std::string, std::string>& env) {
  std::vector<bool> given(flags_.size(), false), named(flags_.size(), false);
  if (auto failed = ApplyEnvironment(env, given)) return *failed;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return {FlagParseKind::kHelp};
    if (arg == "--version" && help_.version) return {FlagParseKind::kVersion};
    if (arg == "--" && rest_ != nullptr) {
      rest_->assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      return Fail("unexpected argument \"" + std::string(arg) + "\": flags start with --");
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    Flag* flag = Find(name);
    if (flag == nullptr) return Fail("unknown flag --" + std::string(name));
    if (!value) {
      if (!flag->takes_value) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Fail("flag --" + std::string(name) + " needs a value");
      }
    }
    const size_t index = static_cast<size_t>(flag - flags_.data());
    if (auto ok = flag->set(*value, named[index]); !ok.ok()) {
      return Fail(InvalidValue(flag->secret, *value, "for --" + flag->name, ok.error()));
    }
    given[index] = named[index] = true;
  }
  return CheckRequired(given);
}

FlagOutcome FlagSet::CheckRequired(const std::vector<bool>& given) const {
  for (size_t i = 0; i < flags_.size(); ++i) {
    const Flag& f = flags_[i];
    if (!f.required || given[i]) continue;
    std::string alternative = f.env.empty() ? "" : " (or $" + f.env + ")";
    return Fail("--" + f.name + alternative + " is required");
  }
  return {};
}

std::string FlagSet::Usage(std::string_view program) const {
  std::ostringstream out;
  out << "Usage: " << program << " [flags]";
  if (rest_ != nullptr) out << " [-- " << rest_name_ << "...]";
  out << "\n\n" << help_.summary << "\n\nFlags:\n";
  for (const auto& f : flags_) {
    out << "  --" << f.name;
    if (f.takes_value) out << " value";
    if (!f.env.empty()) out << "   [$" << f.env << "]";
    out << "\n      " << f.help;
    if (f.repeated) out << " (repeatable)";
    if (auto shown = f.show(); !f.required && !shown.empty())
      out << " (default \"" << shown << "\")";
    out << "\n";
  }
  out << "  --help\n      Print this help and exit.\n";
  if (help_.version) out << "  --version\n      Print the version and exit.\n";
  if (!help_.footer.empty()) out << "\n" << help_.footer;
  return out.str();
}

std::optional<int> ExitCodeForFlags(const FlagOutcome& outcome, const FlagProgram& program,
                                    std::string_view usage, std::ostream& out, std::ostream& err) {
  switch (outcome.kind) {
    case FlagParseKind::kRun:
      return std::nullopt;
    case FlagParseKind::kHelp:
      out << usage;
      return 0;
    case FlagParseKind::kVersion:
      out << program.name << " " << program.version << "\n";
      return 0;
    case FlagParseKind::kError:
      err << program.name << ": " << outcome.error << "\n"
          << "Run '" << program.invoked_as << " --help' for the list of flags.\n";
      return 2;
  }
  return 2;
}

}  // namespace agentfleet
