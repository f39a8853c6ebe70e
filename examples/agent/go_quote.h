#pragma once

// Go's double-quoted string literals, as strconv.Quote writes them: the kubelet
// renders each downward-API annotation as key="value" with the value quoted
// this way.

#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::agent {

// Decodes a complete literal, quotes included: escapes \a \b \f \n \r \t \v, a backslash
// or a quote escaped, \xHH \ooo \uHHHH \UHHHHHHHH (code points encoded as UTF-8; surrogates and
// values above U+10FFFF rejected). kInvalidArgument naming the problem for a
// missing quote, an unknown or short escape, a raw newline, or trailing bytes.
Result<std::string> GoUnquote(std::string_view literal);

// strconv.Quote for what annotations hold: printable ASCII as is, the usual
// escapes, other control bytes as \xHH; UTF-8 beyond ASCII is copied
// (strconv.Quote keeps printable runes too). GoUnquote reads it back.
std::string GoQuote(std::string_view s);

}  // namespace agentfleet::agent
