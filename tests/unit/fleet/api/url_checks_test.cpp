// The operator's own check of credentials in URL fields, the twin of the
// CRD's rules (the corpus in tests/integration/fleet/api/bad_manifests/urls.yaml
// runs both on the same URLs).
#include "controller/fleet/api/url_checks.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::api::detail {
namespace {

constexpr const char* kSecret = "planted-s3cret";

struct Case {
  std::string url;
  UrlKind kind;
  const char* want;  // a substring of the refusal; nullptr: accepted
};

TEST(CredentialInUrl, RefusesEveryFormAClientReadsAsACredential) {
  const std::string s = kSecret;
  const std::vector<Case> cases = {
      // Redis: user information up to the last '@' of the authority (our
      // client), so a ':' anywhere before it is a password.
      {"redis://agent:" + s + "@redis:6379/0", UrlKind::kRedis, "must not carry a password"},
      {"rediss://:" + s + "@redis", UrlKind::kRedis, "must not carry a password"},
      {"redis://svc@acct:" + s + "@redis:6379", UrlKind::kRedis, "must not carry a password"},
      {"redis://agent:@redis", UrlKind::kRedis, "must not carry a password"},
      {"redis://redis:6379/0?password=" + s, UrlKind::kRedis, "must not carry a query"},
      {"redis://redis?password=" + s, UrlKind::kRedis, "must not carry a query"},
      {"redis://redis:6379/0#" + s, UrlKind::kRedis, "must not carry a query or fragment"},
      // PostgreSQL: userinfo, and libpq's query parameters (decoded first).
      {"postgresql://agent:" + s + "@db/leases", UrlKind::kPostgres, "must not carry a password"},
      {"postgres://agent@db/leases?password=" + s, UrlKind::kPostgres,
       "must not carry a password parameter"},
      {"postgres://db/leases?sslmode=verify-full&password=" + s, UrlKind::kPostgres,
       "must not carry a password parameter"},
      {"postgres://db/leases?PassWord=" + s, UrlKind::kPostgres,
       "must not carry a password parameter"},
      {"postgres://db/leases?sslpassword=" + s, UrlKind::kPostgres,
       "must not carry a password parameter"},
      {"postgres://db/leases?pass%77ord=" + s, UrlKind::kPostgres,
       "must not carry a password parameter"},
      // Files libpq would read on the operator's disk: its identity, not the fleet's.
      {"postgres://db/leases?sslmode=verify-full&sslcert=/tls/tls.crt&sslkey=/tls/tls.key",
       UrlKind::kPostgres, "must not name files or services"},
      {"postgres://db/leases?PASSFILE=/root/.pgpass", UrlKind::kPostgres,
       "must not name files or services"},
      {"postgres://db/leases?service=prod", UrlKind::kPostgres, "must not name files or services"},
      {"postgres://db/leases?servicefile=/etc/pg_service.conf&x=1", UrlKind::kPostgres,
       "must not name files or services"},
      // HTTP: no user information at all, and no query (the sources build
      // their own requests, so a query could only carry a presigned credential).
      {"https://AKIA:" + s + "@sqs.eu-west-1.amazonaws.com/1/q", UrlKind::kHttp,
       "must not carry credentials: use credentialsSecretRef"},
      {"http://monitoring@rabbit:15672", UrlKind::kHttp, "must not carry credentials"},
      {"https://sqs.eu-west-1.amazonaws.com/1/q?X-Amz-Signature=" + s, UrlKind::kHttp,
       "must not carry a query or fragment"},
      {"http://rabbit:15672/#" + s, UrlKind::kHttp, "must not carry a query or fragment"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto why = CredentialInUrl(c.url, c.kind);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find(c.want), std::string::npos) << *why;
    EXPECT_EQ(why->find(kSecret), std::string::npos) << *why;
  }
}

TEST(CredentialInUrl, AcceptsUserNamesAndHarmlessParameters) {
  const std::vector<Case> cases = {
      {"redis://redis:6379/0", UrlKind::kRedis, nullptr},
      {"rediss://pricing-agent@redis.shop.svc:6380/2", UrlKind::kRedis, nullptr},
      {"redis://[fd00::10]:6379", UrlKind::kRedis, nullptr},
      {"redis://agent@[fd00::10]:6379/1", UrlKind::kRedis, nullptr},
      {"postgresql://agent@db-1:5432,db-2:5432/leases?sslmode=verify-full&target_session_attrs=any",
       UrlKind::kPostgres, nullptr},
      {"postgres://[::1]:5432/leases?application_name=agentfleet", UrlKind::kPostgres, nullptr},
      {"postgres://db/leases?sslrootcert=system&application_name=service-a", UrlKind::kPostgres,
       nullptr},
      {"https://sqs.eu-west-1.amazonaws.com/123456789012/tasks.fifo", UrlKind::kHttp, nullptr},
      {"http://[::1]:9324", UrlKind::kHttp, nullptr},
      {"https://rabbit.shop.example/management", UrlKind::kHttp, nullptr},
  };
  for (const auto& c : cases) {
    auto why = CredentialInUrl(c.url, c.kind);
    EXPECT_FALSE(why.has_value()) << c.url << ": " << *why;
  }
}

}  // namespace
}  // namespace agentfleet::fleet::api::detail
