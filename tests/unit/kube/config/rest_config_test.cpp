#include "controller/kube/config/rest_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controller/base/base64.h"

namespace agentfleet::kube::config {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kc-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

const std::string kFull = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: ca.crt
- name: remote
  cluster:
    server: https://remote.example:443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: )" +
                          Base64Encode("CERT") + R"(
    client-key-data: )" + Base64Encode("KEY") +
                          R"(
- name: robot
  user:
    tokenFile: token
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: pricing}
- name: ops
  context: {cluster: remote, user: robot}
)";

TEST_F(KubeconfigTest, CurrentContextWithFilesRelativeToTheKubeconfig) {
  Write("ca.crt", "CA-PEM");
  Write("token", "secret-token\n");
  auto path = Write("config", kFull);
  auto cfg = LoadKubeconfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().ToString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, "CA-PEM");
  EXPECT_EQ(cfg->client_cert_pem, "CERT");
  EXPECT_EQ(cfg->client_key_pem, "KEY");
  EXPECT_EQ(cfg->namespace_name, "pricing");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
}

TEST_F(KubeconfigTest, NamedContextWithTokenFile) {
  Write("ca.crt", "CA-PEM");
  Write("token", "secret-token\n");
  auto cfg = LoadKubeconfig(Write("config", kFull), {.context = "ops"});
  ASSERT_TRUE(cfg.ok()) << cfg.error().ToString();
  EXPECT_EQ(cfg->server, "https://remote.example:443");
  EXPECT_TRUE(cfg->insecure_skip_tls_verify);
  EXPECT_EQ(cfg->namespace_name, "default");
  auto token = cfg->BearerToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "secret-token");
}

TEST(TokenFile, ReReadsAfterAMinute) {
  auto path = fs::temp_directory_path() / ("token-" + std::to_string(::getpid()));
  std::ofstream(path) << "one";
  FakeClock clock;
  TokenFile tf(path.string(), clock);
  EXPECT_EQ(*tf.Token(), "one");
  std::ofstream(path) << "two";
  EXPECT_EQ(*tf.Token(), "one");
  clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(*tf.Token(), "two");
  fs::remove(path);
  clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(*tf.Token(), "two") << "a file missing mid-rotation keeps the last token";
}

struct Malformed {
  std::string name;
  std::string yaml;
  std::string expected;
};

TEST_F(KubeconfigTest, MalformedFilesNameTheField) {
  const std::vector<Malformed> cases = {
      {"yaml", "clusters: [", "not valid YAML"},
      {"scalar", "just text", "(document): must be a mapping"},
      {"nocurrent", "clusters: []\n", "current-context: not set"},
      {"nocontext", "current-context: x\ncontexts: []\n", "contexts: no entry named \"x\""},
      {"ctxlist", "current-context: x\ncontexts: {a: b}\n", "contexts: must be a list"},
      {"ctxbody", "current-context: x\ncontexts:\n- name: x\n",
       "contexts[0].context: must be a mapping"},
      {"nocluster", "current-context: x\ncontexts:\n- name: x\n  context: {user: u}\n",
       "contexts[0].context.cluster: missing"},
      {"clusterref",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: d\n  "
       "cluster: {server: https://a}\n",
       "clusters: no entry named \"c\""},
      {"server",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  "
       "cluster: {server: [1]}\n",
       "clusters[0].cluster.server: must be a string"},
      {"scheme",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  "
       "cluster: {server: 127.0.0.1:6443}\n",
       "clusters[0].cluster.server: must start with https://"},
      {"cadata",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  "
       "cluster: {server: 'https://a', certificate-authority-data: '!!notbase64'}\n",
       "clusters[0].cluster.certificate-authority-data: is not valid base64"},
      {"cafile",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  "
       "cluster: {server: 'https://a', certificate-authority: /no/such/ca.crt}\n",
       "clusters[0].cluster.certificate-authority: cannot read /no/such/ca.crt"},
      {"insecure",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  "
       "cluster: {server: 'https://a', insecure-skip-tls-verify: sometimes}\n",
       "clusters[0].cluster.insecure-skip-tls-verify: must be true or false"},
      {"halfcert",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- "
       "name: c\n  cluster: {server: 'https://a'}\nusers:\n- name: u\n  user: "
       "{client-certificate-data: Zm9v}\n",
       "users[0].user: client-certificate and client-key must be given together"},
      {"exec",
       "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- "
       "name: c\n  cluster: {server: 'https://a'}\nusers:\n- name: u\n  user: {exec: {command: "
       "x}}\n",
       "users[0].user.exec: is not supported"},
  };
  for (const auto& c : cases) {
    auto path = Write(c.name, c.yaml);
    auto cfg = LoadKubeconfig(path);
    ASSERT_FALSE(cfg.ok()) << c.name;
    EXPECT_EQ(cfg.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_NE(cfg.error().message.find(c.expected), std::string::npos)
        << c.name << ": \"" << cfg.error().message << "\" lacks \"" << c.expected << "\"";
    EXPECT_NE(cfg.error().message.find(path), std::string::npos) << c.name;
  }
}

TEST_F(KubeconfigTest, PrecedenceFlagThenEnvThenInCluster) {
  Write("ca.crt", "CA-PEM");
  Write("token", "t");
  auto flag = Write("flag", kFull);
  auto envfile = Write("env", kFull + "\n");
  std::map<std::string, std::string> env = {{"KUBECONFIG", "/missing:" + envfile}};
  auto a = ResolveConfig(flag, env);
  ASSERT_TRUE(a.ok());
  EXPECT_NE(a->source.find(flag), std::string::npos);
  auto b = ResolveConfig("", env);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->source.find(envfile), std::string::npos) << "the first existing file of the list";

  InClusterPaths paths{.token = (dir_ / "token").string(),
                       .ca = (dir_ / "ca.crt").string(),
                       .ns = (dir_ / "namespace").string()};
  Write("namespace", "agents\n");
  auto c = ResolveConfig(
      "", {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, paths);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->namespace_name, "agents");
  EXPECT_EQ(*c->BearerToken(), "t");
  auto none = ResolveConfig("", {}, paths);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

}  // namespace
}  // namespace agentfleet::kube::config
