#include "controller/base/flags.h"

#include <gtest/gtest.h>

#include <sstream>

namespace agentfleet {
namespace {

using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

// One flag of every kind, as a binary declares them over its options.
struct Options {
  std::string name = "default-name";
  std::string url;
  std::string level = "info";
  bool verbose = false;
  int count = 3;
  uint32_t shards = 0;
  double rate = 20;
  std::chrono::milliseconds timeout{15'000};
  std::vector<std::string> tags;
  std::vector<std::string> rest;
};

FlagSet Define(Options& o) {
  FlagSet set({.summary = "Does one thing well.",
               .footer = "Exit codes: 2 on bad flags.\n",
               .version = true});
  set.String({.name = "name", .help = "A name.", .env = "TEST_NAME"}, &o.name, NonEmpty);
  set.String({.name = "url", .help = "A URL.", .env = "TEST_URL", .required = true, .secret = true},
             &o.url, NonEmpty);
  set.String({.name = "level", .help = "A level."}, &o.level, [](std::string_view v) -> Status {
    if (v == "info" || v == "debug") return Ok{};
    return MakeError(ErrorCode::kInvalidArgument, "must be info or debug");
  });
  set.Bool({.name = "verbose", .help = "Say more."}, &o.verbose);
  set.Int({.name = "count", .help = "How many.", .env = "TEST_COUNT"}, &o.count, 1);
  set.Int({.name = "shards", .help = "Shards.", .required = true}, &o.shards, 1, 65536);
  set.Number({.name = "rate", .help = "Per second."}, &o.rate, 0);
  set.Duration({.name = "timeout", .help = "How long."}, &o.timeout, 300ms);
  set.Repeated({.name = "tag", .help = "A tag.", .env = "TEST_TAG"}, &o.tags);
  return set;
}

// The same flags, with a lone "--" handing the rest on.
FlagSet DefineWithRest(Options& o) {
  FlagSet set = Define(o);
  set.Rest(&o.rest, "OTHER-FLAGS");
  return set;
}

ParsedFlags<Options> Parse(std::vector<std::string_view> args, const Env& env = {}) {
  std::vector<std::string_view> all = {"--url=redis://h", "--shards=8"};
  all.insert(all.end(), args.begin(), args.end());
  return ParseFlags(Define, all, env);
}

// The error of a command line that should fail; "" when it does not.
std::string ErrorOf(std::vector<std::string_view> args, const Env& env = {}) {
  auto r = Parse(std::move(args), env);
  return r.kind == FlagParseKind::kError ? r.error : "";
}

TEST(Flags, DefaultsStayWithoutFlags) {
  auto r = Parse({});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.name, "default-name");
  EXPECT_EQ(r.options.count, 3);
  EXPECT_EQ(r.options.timeout, 15s);
  EXPECT_EQ(r.options.url, "redis://h");
  EXPECT_EQ(r.options.shards, 8u);
}

TEST(Flags, EqualsAndSpaceSeparatedValues) {
  auto r = Parse({"--name=a", "--count", "7", "--rate=2.5", "--timeout", "2m", "--level=debug"});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.name, "a");
  EXPECT_EQ(r.options.count, 7);
  EXPECT_DOUBLE_EQ(r.options.rate, 2.5);
  EXPECT_EQ(r.options.timeout, 2min);
  EXPECT_EQ(r.options.level, "debug");
}

TEST(Flags, ASpaceSeparatedValueMayLookLikeAFlag) {
  EXPECT_EQ(Parse({"--name", "--count"}).options.name, "--count");
}

TEST(Flags, TheLastOccurrenceWins) {
  EXPECT_EQ(Parse({"--count=4", "--count=5"}).options.count, 5);
}

TEST(Flags, BooleanAloneOrWithValue) {
  EXPECT_TRUE(Parse({"--verbose"}).options.verbose);
  for (auto v : {"true", "1", "t", "TRUE", "True"}) {
    EXPECT_TRUE(Parse({"--verbose=" + std::string(v)}).options.verbose) << v;
  }
  for (auto v : {"false", "0", "f", "FALSE", "False"}) {
    EXPECT_FALSE(Parse({"--verbose=true", "--verbose=" + std::string(v)}).options.verbose) << v;
  }
  EXPECT_EQ(ErrorOf({"--verbose=maybe"}),
            "invalid value \"maybe\" for --verbose: must be true or false");
  // A boolean never takes the next argument as its value.
  EXPECT_EQ(ErrorOf({"--verbose", "false"}), "unexpected argument \"false\": flags start with --");
}

TEST(Flags, UnknownFlagsAndStrayArguments) {
  EXPECT_EQ(ErrorOf({"--nope"}), "unknown flag --nope");
  EXPECT_EQ(ErrorOf({"--nope=3"}), "unknown flag --nope");
  EXPECT_EQ(ErrorOf({"stray"}), "unexpected argument \"stray\": flags start with --");
  EXPECT_EQ(ErrorOf({"-v"}), "unexpected argument \"-v\": flags start with --");
  EXPECT_EQ(ErrorOf({"--"}), "unexpected argument \"--\": flags start with --");
}

TEST(Flags, MissingValues) {
  EXPECT_EQ(ErrorOf({"--count"}), "flag --count needs a value");
  EXPECT_EQ(ErrorOf({"--name="}), "invalid value \"\" for --name: must not be empty");
}

TEST(Flags, BadNumbers) {
  for (auto v : {"x", "2.5", "0", "-3", "", "3000000000", "99999999999999999999"}) {
    EXPECT_EQ(ErrorOf({"--count=" + std::string(v)}),
              "invalid value \"" + std::string(v) +
                  "\" for --count: must be a whole number of "
                  "at least 1");
  }
  EXPECT_EQ(ErrorOf({"--shards=65537"}),
            "invalid value \"65537\" for --shards: must be a whole number from 1 to 65536");
  for (auto v : {"fast", "0", "-1", "inf", "nan", "1x"}) {
    EXPECT_EQ(
        ErrorOf({"--rate=" + std::string(v)}),
        "invalid value \"" + std::string(v) + "\" for --rate: must be a number greater than 0");
  }
}

TEST(Flags, BadDurations) {
  EXPECT_EQ(ErrorOf({"--timeout=10"}),
            "invalid value \"10\" for --timeout: must be a duration such as 500ms, 15s, 2m or 1h "
            "(units ms, s, m, h)");
  EXPECT_EQ(ErrorOf({"--timeout=s"}),
            "invalid value \"s\" for --timeout: must be a duration such as 500ms, 15s, 2m or 1h");
  EXPECT_EQ(ErrorOf({"--timeout=100ms"}),
            "invalid value \"100ms\" for --timeout: must be at least 300ms");
}

TEST(Flags, ChecksOfStringValues) {
  EXPECT_EQ(ErrorOf({"--level=loud"}), "invalid value \"loud\" for --level: must be info or debug");
}

TEST(Flags, ARejectedValueNeverLands) {
  Options o;
  FlagSet set = Define(o);
  std::vector<std::string_view> args = {"--count=0"};
  EXPECT_EQ(set.Parse(args).kind, FlagParseKind::kError);
  EXPECT_EQ(o.count, 3);
}

TEST(Flags, RequiredFlagsNameTheirVariable) {
  EXPECT_EQ(ParseFlags(Define, std::vector<std::string_view>{"--shards=1"}).error,
            "--url (or $TEST_URL) is required");
  EXPECT_EQ(ParseFlags(Define, std::vector<std::string_view>{"--url=u"}).error,
            "--shards is required");
  auto from_env =
      ParseFlags(Define, std::vector<std::string_view>{"--shards=1"}, {{"TEST_URL", "u"}});
  EXPECT_EQ(from_env.kind, FlagParseKind::kRun) << from_env.error;
}

TEST(Flags, SecretValuesAreNeverEchoed) {
  EXPECT_EQ(ErrorOf({"--url="}), "invalid value for --url: must not be empty");
}

TEST(Flags, TheEnvironmentFillsAndFlagsWin) {
  Env env{{"TEST_NAME", "from-env"}, {"TEST_COUNT", "9"}};
  auto r = Parse({"--count=4"}, env);
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.name, "from-env");
  EXPECT_EQ(r.options.count, 4);
  EXPECT_EQ(Parse({}, {{"TEST_NAME", ""}}).options.name, "default-name") << "empty is absent";
  EXPECT_EQ(ErrorOf({}, {{"TEST_COUNT", "many"}}),
            "invalid value \"many\" in $TEST_COUNT: must be a whole number of at least 1");
}

TEST(Flags, RepeatedFlagsCollectAndReplaceTheirDefault) {
  auto r = Parse({"--tag=a", "--tag", "b"}, {{"TEST_TAG", "from-env"}});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Parse({}, {{"TEST_TAG", "from-env"}}).options.tags,
            (std::vector<std::string>{"from-env"}));
}

TEST(Flags, TheRestAfterADoubleDash) {
  std::vector<std::string_view> args = {"--url=u", "--shards=1", "--", "--nope", "stray", "--help"};
  auto r = ParseFlags(DefineWithRest, args);
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.rest, (std::vector<std::string>{"--nope", "stray", "--help"}));
}

TEST(Flags, HelpAndVersionEndTheParse) {
  EXPECT_EQ(Parse({"--help", "--nope"}).kind, FlagParseKind::kHelp);
  EXPECT_EQ(Parse({"-h"}).kind, FlagParseKind::kHelp);
  EXPECT_EQ(Parse({"--version"}).kind, FlagParseKind::kVersion);
  EXPECT_EQ(Parse({"--nope", "--help"}).kind, FlagParseKind::kError) << "read in order";
  EXPECT_EQ(ParseFlags(Define, std::vector<std::string_view>{"--help"}).kind, FlagParseKind::kHelp)
      << "before the required flags are checked";
}

TEST(Flags, NoVersionFlagWithoutAVersion) {
  FlagSet set({.summary = "s"});
  std::vector<std::string_view> args = {"--version"};
  EXPECT_EQ(set.Parse(args).error, "unknown flag --version");
  EXPECT_EQ(set.Usage("p").find("--version"), std::string::npos);
}

TEST(Flags, UsageListsEveryFlagWithItsVariableAndDefault) {
  EXPECT_EQ(FlagUsage(DefineWithRest, "prog"),
            "Usage: prog [flags] [-- OTHER-FLAGS...]\n\n"
            "Does one thing well.\n\n"
            "Flags:\n"
            "  --name value   [$TEST_NAME]\n      A name. (default \"default-name\")\n"
            "  --url value   [$TEST_URL]\n      A URL.\n"
            "  --level value\n      A level. (default \"info\")\n"
            "  --verbose\n      Say more. (default \"false\")\n"
            "  --count value   [$TEST_COUNT]\n      How many. (default \"3\")\n"
            "  --shards value\n      Shards.\n"
            "  --rate value\n      Per second. (default \"20\")\n"
            "  --timeout value\n      How long. (default \"15s\")\n"
            "  --tag value   [$TEST_TAG]\n      A tag. (repeatable)\n"
            "  --help\n      Print this help and exit.\n"
            "  --version\n      Print the version and exit.\n\n"
            "Exit codes: 2 on bad flags.\n");
}

TEST(Flags, ExitCodes) {
  std::ostringstream out, err;
  const FlagProgram program{.name = "prog", .invoked_as = "./prog", .version = "1.2.3"};
  EXPECT_EQ(ExitCodeForFlags({FlagParseKind::kRun}, program, "usage", out, err), std::nullopt);
  EXPECT_EQ(ExitCodeForFlags({FlagParseKind::kHelp}, program, "usage\n", out, err), 0);
  EXPECT_EQ(ExitCodeForFlags({FlagParseKind::kVersion}, program, "usage\n", out, err), 0);
  EXPECT_EQ(out.str(), "usage\nprog 1.2.3\n");
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(ExitCodeForFlags({FlagParseKind::kError, "unknown flag --x"}, program, "", out, err),
            2);
  EXPECT_EQ(err.str(), "prog: unknown flag --x\nRun './prog --help' for the list of flags.\n");
}

}  // namespace
}  // namespace agentfleet
