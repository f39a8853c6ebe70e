#pragma once

// Pieces of the Prometheus text exposition format 0.0.4.

#include <string>
#include <string_view>

namespace agentfleet::obs {

// Label values escape backslash, double quote and line feed.
void AppendEscapedLabelValue(std::string& out, std::string_view value);

// HELP text escapes backslash and line feed (a quote needs no escape there).
void AppendEscapedHelp(std::string& out, std::string_view help);

// The shortest text that reads back as the same double; +Inf, -Inf and NaN as
// Prometheus spells them.
void AppendValue(std::string& out, double value);
std::string FormatValue(double value);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool IsValidLabelName(std::string_view name);

}  // namespace agentfleet::obs
