#include "controller/base/http_status.h"

#include <gtest/gtest.h>

namespace agentfleet {
namespace {

TEST(ErrorCodeForHttpStatus, Table) {
  const struct {
    int status;
    ErrorCode want;
  } cases[] = {
      {400, ErrorCode::kInvalidArgument},    {401, ErrorCode::kUnauthorized},
      {403, ErrorCode::kForbidden},          {404, ErrorCode::kNotFound},
      {405, ErrorCode::kInvalidArgument},    {408, ErrorCode::kTimeout},
      {409, ErrorCode::kConflict},           {410, ErrorCode::kGone},
      {412, ErrorCode::kFailedPrecondition}, {413, ErrorCode::kInvalidArgument},
      {415, ErrorCode::kInvalidArgument},    {422, ErrorCode::kInvalidArgument},
      {429, ErrorCode::kTooManyRequests},    {499, ErrorCode::kInvalidArgument},
      {500, ErrorCode::kUnavailable},        {502, ErrorCode::kUnavailable},
      {503, ErrorCode::kUnavailable},        {504, ErrorCode::kTimeout},
      {599, ErrorCode::kUnavailable},        {0, ErrorCode::kInternal},
      {200, ErrorCode::kInternal},           {302, ErrorCode::kInternal},
      {600, ErrorCode::kInternal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorCodeForHttpStatus(c.status), c.want) << c.status;
  }
}

TEST(ErrorCodeForHttpStatus, OnlyOverloadAndOutageAnswersAreRetryable) {
  for (int status = 400; status <= 599; ++status) {
    const bool retryable = Error(ErrorCodeForHttpStatus(status), "").Retryable();
    const bool expected = status == 408 || status == 409 || status == 429 || status >= 500;
    EXPECT_EQ(retryable, expected) << status;
  }
}

}  // namespace
}  // namespace agentfleet
