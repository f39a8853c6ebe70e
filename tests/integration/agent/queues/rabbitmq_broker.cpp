#include "tests/integration/agent/queues/rabbitmq_broker.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/rabbitmq_protocol.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::agent::queues::testing {
namespace {

using namespace std::chrono_literals;
using sources::queue::PercentEncode;

constexpr const char* kDirEnv = "AGENTFLEET_RABBITMQ_DIR";

amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string Text(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace

std::string UniqueName(const std::string& prefix) {
  return sources::queue::testing::UniqueToken(prefix);
}

Broker::Broker()
    : url_(sources::queue::testing::FixtureFile(kDirEnv, "url")),
      user_(sources::queue::testing::FixtureFile(kDirEnv, "user")),
      password_(sources::queue::testing::FixtureFile(kDirEnv, "password")) {
  const std::string amqp = sources::queue::testing::FixtureFile(kDirEnv, "amqp_port");
  const std::string amqps = sources::queue::testing::FixtureFile(kDirEnv, "amqps_port");
  if (!amqp.empty()) amqp_port_ = static_cast<uint16_t>(std::stoi(amqp));
  if (!amqps.empty()) amqps_port_ = static_cast<uint16_t>(std::stoi(amqps));
}

std::string Broker::ca_file() const {
  return sources::queue::testing::FixturePath(kDirEnv, "ca.pem");
}

std::string Broker::Url(const std::string& user, const std::string& vhost, bool tls) const {
  return std::string(tls ? "amqps://" : "amqp://") + PercentEncode(user) +
         "@127.0.0.1:" + std::to_string(tls ? amqps_port_ : amqp_port_) + "/" +
         PercentEncode(vhost);
}

AmqpUrl Broker::Parsed(const std::string& user, const std::string& password,
                       const std::string& vhost) const {
  auto u = ParseAmqpUrl(Url(user, vhost));
  EXPECT_TRUE(u.ok()) << u.error().message;
  if (!u.ok()) return {};
  u->password = password;
  return *u;
}

std::string Broker::Admin(const std::string& method, const std::string& path,
                          const std::string& body) {
  auto url = sources::queue::ParseUrl(url_ + path);
  EXPECT_TRUE(url.ok());
  if (!url.ok()) return "";
  sources::queue::HttpRequest req;
  req.method = method;
  req.url = *url;
  req.headers = {{"Authorization", sources::queue::rabbitmq::BasicAuthorization(user_, password_)},
                 {"Content-Type", "application/json"}};
  req.body = body;
  auto res = sources::queue::HttpFetch(req, {}, 10s);
  EXPECT_TRUE(res.ok()) << method << " " << path << ": " << res.error().ToString();
  if (!res.ok()) return "";
  EXPECT_LT(res->status, 300) << method << " " << path << ": " << res->body;
  return res->body;
}

void Broker::CreateVhost(const std::string& vhost) {
  Admin("PUT", "/api/vhosts/" + PercentEncode(vhost));
  Admin("PUT", "/api/permissions/" + PercentEncode(vhost) + "/" + PercentEncode(user_),
        R"({"configure": ".*", "write": ".*", "read": ".*"})");
}

void Broker::CreateUser(const std::string& user, const std::string& password,
                        const std::string& vhost) {
  Admin("PUT", "/api/users/" + PercentEncode(user),
        nlohmann::json{{"password", password}, {"tags", ""}}.dump());
  Admin("PUT", "/api/permissions/" + PercentEncode(vhost) + "/" + PercentEncode(user),
        R"({"configure": ".*", "write": ".*", "read": ".*"})");
}

int Broker::CloseConnectionsOf(const std::string& user) {
  auto list =
      nlohmann::json::parse(Admin("GET", "/api/connections?columns=name,user"), nullptr, false);
  int closed = 0;
  if (!list.is_array()) return 0;
  for (const auto& c : list) {
    if (c.value("user", "") != user) continue;
    Admin("DELETE", "/api/connections/" + PercentEncode(c.value("name", "")));
    ++closed;
  }
  return closed;
}

AmqpConnection& Broker::Amqp(const std::string& vhost) {
  auto& c = amqp_[vhost];
  if (!c || !c->usable()) {
    c.reset();
    auto opened = AmqpConnection::Open(Parsed(user_, password_, vhost), 5s);
    if (!opened.ok()) throw std::runtime_error("admin AMQP connection: " + opened.error().message);
    c = std::move(*opened);
  }
  return *c;
}

std::string Broker::DeclareQueue(const std::string& prefix, const std::string& vhost) {
  const std::string q = UniqueName(prefix);
  AmqpConnection& c = Amqp(vhost);
  amqp_queue_declare(c.state(), kAmqpChannel, Bytes(q), 0, 1, 0, 0, amqp_empty_table);
  auto s = c.CheckRpc("declaring " + q);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return q;
}

void Broker::DeleteQueue(const std::string& queue, const std::string& vhost) {
  AmqpConnection& c = Amqp(vhost);
  amqp_queue_delete(c.state(), kAmqpChannel, Bytes(queue), 0, 0);
  auto s = c.CheckRpc("deleting " + queue);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

void Broker::Publish(const std::string& queue, const std::string& body,
                     std::optional<int64_t> timestamp, const std::string& vhost) {
  AmqpConnection& c = Amqp(vhost);
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  if (timestamp) {
    props._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    props.timestamp = static_cast<uint64_t>(*timestamp);
  }
  const int st = amqp_basic_publish(c.state(), kAmqpChannel, amqp_empty_bytes, Bytes(queue), 1, 0,
                                    &props, Bytes(body));
  auto s = c.CheckStatus(st, "publishing");
  EXPECT_TRUE(s.ok()) << s.error().message;
}

int64_t Broker::Ready(const std::string& queue, const std::string& vhost) {
  AmqpConnection& c = Amqp(vhost);
  auto* ok =
      amqp_queue_declare(c.state(), kAmqpChannel, Bytes(queue), 1, 0, 0, 0, amqp_empty_table);
  auto s = c.CheckRpc("counting " + queue);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? static_cast<int64_t>(ok->message_count) : -1;
}

std::optional<Broker::Message> Broker::Get(const std::string& queue, const std::string& vhost) {
  AmqpConnection& c = Amqp(vhost);
  amqp_rpc_reply_t r = amqp_basic_get(c.state(), kAmqpChannel, Bytes(queue), 1);
  auto s = c.Check(r, "basic.get");
  EXPECT_TRUE(s.ok()) << s.error().message;
  if (!s.ok() || r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
  amqp_message_t msg;
  s = c.Check(amqp_read_message(c.state(), kAmqpChannel, &msg, 0), "reading a message");
  EXPECT_TRUE(s.ok()) << s.error().message;
  if (!s.ok()) return std::nullopt;
  Message out;
  out.body = Text(msg.body);
  const amqp_basic_properties_t& p = msg.properties;
  out.persistent = (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 &&
                   p.delivery_mode == AMQP_DELIVERY_PERSISTENT;
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const amqp_table_entry_t& e = p.headers.entries[i];
      if (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES) {
        out.headers[Text(e.key)] = Text(e.value.value.bytes);
      }
    }
  }
  amqp_destroy_message(&msg);
  return out;
}

}  // namespace agentfleet::agent::queues::testing
