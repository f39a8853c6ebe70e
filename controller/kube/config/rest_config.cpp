#include "controller/kube/config/rest_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/base/base64.h"

extern char** environ;

namespace agentfleet::kube::config {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return MakeError(ErrorCode::kNotFound, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Relative paths in a kubeconfig are relative to the kubeconfig's directory.
std::string ResolvePath(const std::string& base_file, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(base_file).parent_path() / p).string();
}

class Parser {
 public:
  Parser(std::string path) : path_(std::move(path)) {}

  Error Fail(const std::string& field, const std::string& problem) const {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kubeconfig " + path_ + ": " + field + ": " + problem);
  }

  // A string field; absent is fine (returns ""), any other kind is an error.
  Result<std::string> String(const YAML::Node& parent, const std::string& key,
                             const std::string& field) const {
    YAML::Node n = parent[key];
    if (!n || n.IsNull()) return std::string();
    if (!n.IsScalar()) return Fail(field + "." + key, "must be a string");
    return n.as<std::string>();
  }

  Result<bool> Bool(const YAML::Node& parent, const std::string& key,
                    const std::string& field) const {
    YAML::Node n = parent[key];
    if (!n || n.IsNull()) return false;
    bool b = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) {
      return Fail(field + "." + key, "must be true or false");
    }
    return b;
  }

  // Inline base64 data (key-data) or a file (key); data wins, as in client-go.
  Result<std::string> DataOrFile(const YAML::Node& parent, const std::string& key,
                                 const std::string& field) const {
    auto data = String(parent, key + "-data", field);
    if (!data) return data.error();
    if (!data->empty()) {
      auto decoded = Base64Decode(*data);
      if (!decoded) return Fail(field + "." + key + "-data", "is not valid base64");
      return *decoded;
    }
    auto file = String(parent, key, field);
    if (!file) return file.error();
    if (file->empty()) return std::string();
    auto content = ReadFile(ResolvePath(path_, *file));
    if (!content) return Fail(field + "." + key, content.error().message);
    return content;
  }

  // Finds the entry called `name` in a named list (clusters, users, contexts).
  Result<std::pair<YAML::Node, std::string>> Named(const YAML::Node& root, const std::string& list,
                                                   const std::string& item_key,
                                                   const std::string& name) const {
    YAML::Node entries = root[list];
    if (!entries || entries.IsNull()) return Fail(list, "missing; \"" + name + "\" is not defined");
    if (!entries.IsSequence()) return Fail(list, "must be a list");
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string field = list + "[" + std::to_string(i) + "]";
      if (!entries[i].IsMap()) return Fail(field, "must be a mapping");
      auto n = String(entries[i], "name", field);
      if (!n) return n.error();
      if (*n != name) continue;
      YAML::Node body = entries[i][item_key];
      if (!body || !body.IsMap()) return Fail(field + "." + item_key, "must be a mapping");
      return std::make_pair(body, field + "." + item_key);
    }
    return Fail(list, "no entry named \"" + name + "\"");
  }

  Result<RestConfig> Parse(const std::string& text, const KubeconfigOptions& opts) const {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "kubeconfig " + path_ + ": not valid YAML: " + e.what());
    }
    if (!root.IsMap()) return Fail("(document)", "must be a mapping");

    std::string context_name = opts.context;
    if (context_name.empty()) {
      auto current = String(root, "current-context", "(document)");
      if (!current) return current.error();
      if (current->empty()) return Fail("current-context", "not set and no context was given");
      context_name = *current;
    }
    auto ctx = Named(root, "contexts", "context", context_name);
    if (!ctx) return ctx.error();
    auto [ctx_node, ctx_field] = *ctx;
    auto cluster_name = String(ctx_node, "cluster", ctx_field);
    if (!cluster_name) return cluster_name.error();
    if (cluster_name->empty()) return Fail(ctx_field + ".cluster", "missing");
    auto user_name = String(ctx_node, "user", ctx_field);
    if (!user_name) return user_name.error();
    auto ns = String(ctx_node, "namespace", ctx_field);
    if (!ns) return ns.error();

    RestConfig cfg;
    cfg.source = "kubeconfig " + path_ + ", context " + context_name;
    if (!ns->empty()) cfg.namespace_name = *ns;

    auto cluster = Named(root, "clusters", "cluster", *cluster_name);
    if (!cluster) return cluster.error();
    auto [cl, cl_field] = *cluster;
    auto server = String(cl, "server", cl_field);
    if (!server) return server.error();
    if (server->empty()) return Fail(cl_field + ".server", "missing");
    if (!server->starts_with("https://") && !server->starts_with("http://")) {
      return Fail(cl_field + ".server", "must start with https:// or http://");
    }
    cfg.server = *server;
    while (cfg.server.ends_with('/')) cfg.server.pop_back();
    auto ca = DataOrFile(cl, "certificate-authority", cl_field);
    if (!ca) return ca.error();
    cfg.ca_pem = *ca;
    auto insecure = Bool(cl, "insecure-skip-tls-verify", cl_field);
    if (!insecure) return insecure.error();
    cfg.insecure_skip_tls_verify = *insecure;

    if (!user_name->empty()) {
      auto user = Named(root, "users", "user", *user_name);
      if (!user) return user.error();
      auto [u, u_field] = *user;
      auto cert = DataOrFile(u, "client-certificate", u_field);
      if (!cert) return cert.error();
      auto key = DataOrFile(u, "client-key", u_field);
      if (!key) return key.error();
      if (cert->empty() != key->empty()) {
        return Fail(u_field, "client-certificate and client-key must be given together");
      }
      cfg.client_cert_pem = *cert;
      cfg.client_key_pem = *key;
      auto token = String(u, "token", u_field);
      if (!token) return token.error();
      cfg.token = *token;
      auto token_file = String(u, "tokenFile", u_field);
      if (!token_file) return token_file.error();
      if (!token_file->empty()) {
        cfg.token_file = std::make_shared<TokenFile>(ResolvePath(path_, *token_file));
        if (auto t = cfg.token_file->Token(); !t)
          return Fail(u_field + ".tokenFile", t.error().message);
      }
      for (const char* unsupported : {"exec", "auth-provider"}) {
        if (u[unsupported]) {
          return Fail(u_field + "." + unsupported,
                      "is not supported; use a token, tokenFile or client certificate");
        }
      }
    }
    return cfg;
  }

 private:
  std::string path_;
};

}  // namespace

TokenFile::TokenFile(std::string path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

Result<std::string> TokenFile::Token() {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  if (read_at_ && now - *read_at_ < std::chrono::minutes(1)) return cached_;
  auto content = ReadFile(path_);
  if (!content) {
    // A rotation in progress can leave the file briefly missing: keep the last token.
    if (!cached_.empty()) return cached_;
    return content.error();
  }
  std::string token = *content;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty())
    return MakeError(ErrorCode::kInvalidArgument, "token file " + path_ + " is empty");
  cached_ = token;
  read_at_ = now;
  return cached_;
}

Result<std::string> RestConfig::BearerToken() const {
  if (token_file) return token_file->Token();
  return token;
}

Result<RestConfig> ParseKubeconfig(const std::string& yaml_text, const std::string& path,
                                   const KubeconfigOptions& opts) {
  return Parser(path).Parse(yaml_text, opts);
}

Result<RestConfig> LoadKubeconfig(const std::string& path, const KubeconfigOptions& opts) {
  auto text = ReadFile(path);
  if (!text) return MakeError(ErrorCode::kInvalidArgument, "kubeconfig: " + text.error().message);
  return ParseKubeconfig(*text, path, opts);
}

Result<RestConfig> InClusterConfig(const std::map<std::string, std::string>& env,
                                   const InClusterPaths& paths) {
  auto host = env.find("KUBERNETES_SERVICE_HOST");
  auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || host->second.empty() || port == env.end() || port->second.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no kubeconfig: --kubeconfig and $KUBECONFIG are unset and this is not a pod "
                     "(KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are unset)");
  }
  RestConfig cfg;
  std::string h = host->second;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  cfg.server = "https://" + h + ":" + port->second;
  cfg.source = "in-cluster service account";
  auto ca = ReadFile(paths.ca);
  if (!ca)
    return MakeError(ErrorCode::kInvalidArgument, "in-cluster config: " + ca.error().message);
  cfg.ca_pem = *ca;
  cfg.token_file = std::make_shared<TokenFile>(paths.token);
  if (auto t = cfg.token_file->Token(); !t) {
    return MakeError(ErrorCode::kInvalidArgument, "in-cluster config: " + t.error().message);
  }
  if (auto ns = ReadFile(paths.ns); ns && !ns->empty()) {
    std::string n = *ns;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    cfg.namespace_name = n;
  }
  return cfg;
}

Result<RestConfig> ResolveConfig(const std::string& kubeconfig_flag,
                                 const std::map<std::string, std::string>& env,
                                 const InClusterPaths& paths) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  if (auto it = env.find("KUBECONFIG"); it != env.end() && !it->second.empty()) {
    std::stringstream list(it->second);
    std::string first;
    for (std::string item; std::getline(list, item, ':');) {
      if (item.empty()) continue;
      if (first.empty()) first = item;
      if (fs::exists(item)) return LoadKubeconfig(item);
    }
    if (!first.empty()) return LoadKubeconfig(first);  // reports the missing file
  }
  return InClusterConfig(env, paths);
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

}  // namespace agentfleet::kube::config
