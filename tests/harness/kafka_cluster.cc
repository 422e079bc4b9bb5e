#include "tests/harness/kafka_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <system_error>
#include <utility>

#ifndef KMIRROR_SOURCE_DIR
#error "KMIRROR_SOURCE_DIR (the project root) must be defined by CMake"
#endif

extern "C" char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for execve

namespace kmirror::harness {

namespace {

// ---------------------------------------------------------------------------
// Emergency teardown. A fixed table of ready-made `bash kafka.sh down NAME`
// command lines, so a signal handler can run them with fork/execve/waitpid
// only (all async-signal-safe): no allocation, no locks, no stdio.
// Plain arrays and atomics with trivial destructors, so the table outlives
// every static destructor and atexit hook.
constexpr std::size_t kMaxClusters = 32;
constexpr std::size_t kMaxPath = 4096;
constexpr std::size_t kMaxName = 256;

struct EmergencySlot {
    std::atomic<bool> reserved{false};  // slot belongs to a live KafkaCluster
    std::atomic<bool> armed{false};     // its cluster may be running: down it on exit
    std::array<char, kMaxPath> script{};
    std::array<char, kMaxName> name{};
};

std::array<EmergencySlot, kMaxClusters> g_slots{};
std::atomic<pid_t> g_owner_pid{0};
constexpr std::array<char, 10> kBash{"/bin/bash"};
constexpr std::array<char, 5> kDown{"down"};

// Downs every armed cluster, all in parallel, and waits for them.
// Async-signal-safe. Does nothing in a forked child (a gtest death test, a
// fork without exec): the clusters belong to the process that started them.
void emergency_down_all() noexcept {
    if (::getpid() != g_owner_pid.load()) {
        return;
    }
    std::array<pid_t, kMaxClusters> children{};
    for (std::size_t i = 0; i < g_slots.size(); ++i) {
        auto& slot = g_slots[i];
        if (!slot.armed.exchange(false)) {
            continue;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            // execve takes char* const argv[] for C's sake; it never writes them.
            // NOLINTBEGIN(cppcoreguidelines-pro-type-const-cast)
            std::array<char*, 5> argv{const_cast<char*>(kBash.data()), slot.script.data(),
                                      const_cast<char*>(kDown.data()), slot.name.data(), nullptr};
            // NOLINTEND(cppcoreguidelines-pro-type-const-cast)
            ::execve(kBash.data(), argv.data(), environ);
            ::_exit(127);
        }
        children[i] = pid;
    }
    for (const pid_t pid : children) {
        if (pid <= 0) {
            continue;
        }
        while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
        }
    }
}

constexpr std::array<int, 3> kTeardownSignals{SIGINT, SIGTERM, SIGHUP};

void on_termination_signal(int sig) {
    const int saved_errno = errno;
    emergency_down_all();
    // Then die of the same signal, as if we had not been here.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    errno = saved_errno;
    ::raise(sig);
}

void install_teardown_hooks() {
    static std::once_flag once;
    std::call_once(once, [] {
        g_owner_pid.store(::getpid());
        std::atexit([] { emergency_down_all(); });
        for (const int sig : kTeardownSignals) {
            struct sigaction old {};
            ::sigaction(sig, nullptr, &old);
            // Keep an ignored signal ignored (nohup), and leave a handler the
            // test program installed itself alone.
            if (old.sa_handler != SIG_DFL) {
                continue;
            }
            struct sigaction sa {};
            sa.sa_handler = on_termination_signal;
            ::sigemptyset(&sa.sa_mask);
            for (const int s : kTeardownSignals) {
                ::sigaddset(&sa.sa_mask, s);
            }
            ::sigaction(sig, &sa, nullptr);
        }
    });
}

int reserve_slot(const std::string& script, const std::string& name) {
    if (script.size() >= kMaxPath || name.size() >= kMaxName) {
        throw std::invalid_argument("harness: cluster name or kafka.sh path too long");
    }
    install_teardown_hooks();
    for (std::size_t i = 0; i < g_slots.size(); ++i) {
        auto& slot = g_slots[i];
        bool expected = false;
        if (!slot.reserved.compare_exchange_strong(expected, true)) {
            continue;
        }
        slot.script.fill('\0');
        slot.name.fill('\0');
        std::copy(script.begin(), script.end(), slot.script.begin());
        std::copy(name.begin(), name.end(), slot.name.begin());
        slot.armed.store(true);
        return static_cast<int>(i);
    }
    throw std::runtime_error("harness: more than 32 live KafkaClusters in one process");
}

void release_slot(int index) {
    if (index < 0) {
        return;
    }
    auto& slot = g_slots[static_cast<std::size_t>(index)];
    slot.armed.store(false);
    slot.reserved.store(false);
}

// ---------------------------------------------------------------------------

// Two distinct free loopback ports, chosen by the OS (both sockets are open at
// once, so they differ). Another process may take one before the broker
// binds it; start() retries when that happens.
std::pair<int, int> pick_two_ports() {
    std::array<int, 2> fds{-1, -1};
    std::array<int, 2> ports{0, 0};
    for (std::size_t i = 0; i < fds.size(); ++i) {
        fds[i] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0) {
            throw std::system_error(errno, std::generic_category(), "socket");
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        auto* sa = reinterpret_cast<sockaddr*>(&addr);  // NOLINT: the BSD socket API
        if (::bind(fds[i], sa, sizeof addr) != 0 || ::getsockname(fds[i], sa, &len) != 0) {
            const int err = errno;
            for (const int fd : fds) {
                if (fd >= 0) {
                    ::close(fd);
                }
            }
            throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
        }
        ports[i] = ntohs(addr.sin_port);
    }
    for (const int fd : fds) {
        ::close(fd);
    }
    return {ports[0], ports[1]};
}

// The last "127.0.0.1:PORT" line printed by kafka.sh up/start.
std::string parse_bootstrap(const std::string& output) {
    static const std::regex line(R"((^|\n)(127\.0\.0\.1:[0-9]+)\s*(?=\n|$))");
    std::string found;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
         it != std::sregex_iterator(); ++it) {
        found = (*it)[2].str();
    }
    return found;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
    }
    return out;
}

std::unique_ptr<KafkaCluster> g_source;
std::unique_ptr<KafkaCluster> g_target;

// bootstrap -> client properties of every live secured cluster.
std::mutex g_secured_mu;
std::map<std::string, std::vector<std::pair<std::string, std::string>>> g_secured;

std::string scram_jaas(const ScramUser& user) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" +
           user.name + "\" password=\"" + user.password + "\";";
}

}  // namespace

std::string kafka_sh() { return std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/kafka.sh"; }

KafkaCluster::KafkaCluster(ClusterOptions options)
    : options_(std::move(options)), emergency_slot_(reserve_slot(kafka_sh(), options_.name)) {}

KafkaCluster::~KafkaCluster() {
    try {
        down();
    } catch (const std::exception& e) {
        std::cerr << "harness: kafka.sh down " << options_.name << " failed: " << e.what() << "\n";
    }
}

std::unique_ptr<KafkaCluster> KafkaCluster::start(ClusterOptions options) {
    // Not make_unique: the constructor is private.
    std::unique_ptr<KafkaCluster> cluster(new KafkaCluster(std::move(options)));
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        const auto [port, controller_port] = pick_two_ports();
        const CommandResult r = cluster->script(
            {"up", cluster->name(), std::to_string(port), std::to_string(controller_port)});
        if (r.ok()) {
            cluster->bootstrap_ = parse_bootstrap(r.output);
            if (cluster->bootstrap_ != "127.0.0.1:" + std::to_string(port)) {
                throw std::runtime_error("harness: kafka.sh up " + cluster->name() +
                                         " printed no bootstrap for port " + std::to_string(port) +
                                         ":\n" + r.output);
            }
            cluster->port_ = port;
            if (auto props = cluster->client_properties(); !props.empty()) {
                std::lock_guard lock(g_secured_mu);
                g_secured[cluster->bootstrap_] = std::move(props);
            }
            return cluster;
        }
        if (attempt < kAttempts && r.output.find("Address already in use") != std::string::npos) {
            std::cerr << "harness: port clash starting " << cluster->name() << "; retrying\n";
            continue;
        }
        throw std::runtime_error("harness: kafka.sh up " + cluster->name() + " failed (exit " +
                                 std::to_string(r.exit_code) + "):\n" + r.output);
    }
}

CommandResult KafkaCluster::script(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/bin/bash", kafka_sh()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions opts;
    opts.env.emplace_back("KMIRROR_OWNER_PID", std::to_string(::getpid()));
    if (!options_.kafka_version.empty()) {
        opts.env.emplace_back("KAFKA_VERSION", options_.kafka_version);
    }
    std::vector<std::string> props;
    const auto& tls = options_.tls;
    const bool secured = security_protocol() != "PLAINTEXT";
    if (secured) {
        // The listener named PLAINTEXT (kafka.sh picks its port) speaks the
        // secured protocol; the broker talks to itself through it too.
        props.push_back("listener.security.protocol.map=PLAINTEXT:" + security_protocol() +
                        ",CONTROLLER:PLAINTEXT");
    }
    if (const auto& oauth = options_.oauth) {
        const std::string p = "org.apache.kafka.common.security.oauthbearer.";
        const std::string l = "listener.name.plaintext.oauthbearer.";
        props.insert(props.end(),
                     {"sasl.enabled.mechanisms=OAUTHBEARER",
                      "sasl.mechanism.inter.broker.protocol=OAUTHBEARER",
                      l + "sasl.jaas.config=" + p + "OAuthBearerLoginModule required clientId=\"" +
                          kBrokerOAuthClient.name + "\" clientSecret=\"" +
                          kBrokerOAuthClient.password + "\";",
                      l + "sasl.login.callback.handler.class=" + p +
                          "OAuthBearerLoginCallbackHandler",
                      l + "sasl.server.callback.handler.class=" + p +
                          "OAuthBearerValidatorCallbackHandler",
                      "sasl.oauthbearer.token.endpoint.url=" + oauth->issuer + "/token",
                      "sasl.oauthbearer.jwks.endpoint.url=" + oauth->issuer + "/jwks",
                      "sasl.oauthbearer.expected.audience=kafka",
                      "sasl.oauthbearer.expected.issuer=" + oauth->issuer});
        // Kafka 4.x reaches only the OAuth URLs it is told it may.
        opts.env.emplace_back("KMIRROR_BROKER_JVM_OPTS",
                              "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" +
                                  oauth->issuer + "/token," + oauth->issuer + "/jwks");
    } else if (sasl()) {
        props.insert(props.end(),
                     {"sasl.enabled.mechanisms=SCRAM-SHA-512",
                      "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                      "listener.name.plaintext.scram-sha-512.sasl.jaas.config=" +
                          scram_jaas(kAdminUser)});
        std::vector<std::string> format_args;
        for (const auto& u : options_.scram_users) {
            format_args.emplace_back("--add-scram");
            format_args.push_back("SCRAM-SHA-512=[name=" + u.name + ",password=" + u.password +
                                  "]");
        }
        format_args.emplace_back("--add-scram");
        format_args.push_back("SCRAM-SHA-512=[name=" + kAdminUser.name +
                              ",password=" + kAdminUser.password + "]");
        opts.env.emplace_back("KMIRROR_FORMAT_EXTRA", join_lines(format_args));
    }
    if (tls) {
        const auto& dir = tls->certificates;
        props.insert(props.end(),
                     {"ssl.keystore.type=PEM",
                      "ssl.keystore.location=" + dir +
                          (tls->wrong_host_name ? "/wrong-name-broker.pem" : "/broker.pem"),
                      "ssl.truststore.type=PEM", "ssl.truststore.location=" + dir + "/ca.crt",
                      std::string("ssl.client.auth=") +
                          (tls->require_client_certificate ? "required" : "none"),
                      // The broker as a client of itself: no name check (the
                      // wrong-name certificate would fail it).
                      "ssl.endpoint.identification.algorithm=",
                      // CN=kmirror is User:kmirror, as Strimzi maps it.
                      "ssl.principal.mapping.rules=RULE:^CN=([^,]*)$/$1/,DEFAULT"});
    }
    if (options_.authorizer) {
        props.insert(props.end(),
                     {"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                      // admin: setup; broker: its own certificate; ANONYMOUS: the controller listener
                      "super.users=User:" + kAdminUser.name + ";User:broker;User:ANONYMOUS"});
    }
    props.insert(props.end(), options_.broker_properties.begin(), options_.broker_properties.end());
    if (!props.empty()) opts.env.emplace_back("KMIRROR_BROKER_EXTRA", join_lines(props));
    if (secured) {
        std::string kcat;
        for (const auto& [k, v] : client_properties()) kcat += "-X " + k + "=" + v + " ";
        opts.env.emplace_back("KMIRROR_KCAT_ARGS", kcat);
    }
    for (const auto& e : options_.script_env) opts.env.push_back(e);
    return run_command(argv, opts);
}

std::string KafkaCluster::security_protocol() const {
    return std::string(sasl() ? "SASL_" : "") + (options_.tls ? "SSL" : "PLAINTEXT");
}

std::vector<std::pair<std::string, std::string>> KafkaCluster::client_properties() const {
    const auto& tls = options_.tls;
    if (security_protocol() == "PLAINTEXT") return {};
    std::vector<std::pair<std::string, std::string>> p{{"security.protocol", security_protocol()}};
    if (options_.oauth) {
        p.insert(p.end(), {{"sasl.mechanism", "OAUTHBEARER"},
                           {"sasl.oauthbearer.method", "oidc"},
                           {"sasl.oauthbearer.client.id", kAdminUser.name},
                           {"sasl.oauthbearer.client.secret", kAdminUser.password},
                           {"sasl.oauthbearer.token.endpoint.url", options_.oauth->issuer + "/token"}});
    } else if (sasl()) {
        p.insert(p.end(), {{"sasl.mechanism", "SCRAM-SHA-512"},
                           {"sasl.username", kAdminUser.name},
                           {"sasl.password", kAdminUser.password}});
    }
    if (tls) {
        p.emplace_back("ssl.ca.location", tls->certificates + "/ca.crt");
        if (tls->require_client_certificate) {
            p.emplace_back("ssl.certificate.location", tls->certificates + "/admin.crt");
            p.emplace_back("ssl.key.location", tls->certificates + "/admin.key");
        }
        if (tls->wrong_host_name) p.emplace_back("ssl.endpoint.identification.algorithm", "none");
    }
    return p;
}

std::string KafkaCluster::java_client_config() const {
    if (options_.oauth) {
        throw std::logic_error("harness: java_client_config() has no OAUTHBEARER login");
    }
    const auto path = directory() + "/admin-client.properties";
    std::ofstream out(path);
    const auto& tls = options_.tls;
    out << "security.protocol=" << security_protocol() << "\n";
    if (sasl()) {
        out << "sasl.mechanism=SCRAM-SHA-512\n"
            << "sasl.jaas.config=" << scram_jaas(kAdminUser) << "\n";
    }
    if (tls) {
        out << "ssl.truststore.type=PEM\nssl.truststore.location=" << tls->certificates
            << "/ca.crt\n";
        if (tls->require_client_certificate) {
            out << "ssl.keystore.type=PEM\nssl.keystore.location=" << tls->certificates
                << "/admin.pem\n";
        }
        if (tls->wrong_host_name) out << "ssl.endpoint.identification.algorithm=\n";
    }
    return path;
}

std::string make_certificates(const std::string& dir, const std::vector<std::string>& clients) {
    std::string names = kAdminUser.name;
    for (const auto& c : clients) names += " " + c;
    CommandOptions opts;
    opts.env.emplace_back("KMIRROR_CERT_CLIENTS", names);
    const auto r = run_command(
        {"/bin/bash", std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/certs.sh", dir}, opts);
    if (!r.ok()) throw std::runtime_error("harness: certs.sh " + dir + " failed:\n" + r.output);
    return dir;
}

std::vector<std::pair<std::string, std::string>> client_properties_for(
    const std::string& bootstrap) {
    std::lock_guard lock(g_secured_mu);
    auto it = g_secured.find(bootstrap);
    return it == g_secured.end() ? std::vector<std::pair<std::string, std::string>>{}
                                 : it->second;
}

std::string KafkaCluster::directory() const {
    const char* root = std::getenv("KMIRROR_HARNESS_DIR");
    return std::string(root != nullptr && *root != '\0' ? root : "/tmp/kmirror-harness") + "/" +
           options_.name;
}

void KafkaCluster::stop() {
    const CommandResult r = script({"stop", name()});
    if (!r.ok()) {
        throw std::runtime_error("harness: kafka.sh stop " + name() + ":\n" + r.output);
    }
}

void KafkaCluster::kill() {
    const CommandResult r = script({"kill", name()});
    if (!r.ok()) {
        throw std::runtime_error("harness: kafka.sh kill " + name() + ":\n" + r.output);
    }
}

void KafkaCluster::start_again() {
    const CommandResult r = script({"start", name()});
    if (!r.ok() || parse_bootstrap(r.output) != bootstrap_) {
        throw std::runtime_error("harness: kafka.sh start " + name() + " failed (exit " +
                                 std::to_string(r.exit_code) + "):\n" + r.output);
    }
}

bool KafkaCluster::running() const { return script({"status", name()}).exit_code == 0; }

CommandResult KafkaCluster::tool(const std::vector<std::string>& class_and_args) const {
    std::vector<std::string> args{"tool", name()};
    args.insert(args.end(), class_and_args.begin(), class_and_args.end());
    return script(args);
}

CommandResult KafkaCluster::acls(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"acls", name()};
    all.insert(all.end(), args.begin(), args.end());
    return script(all);
}

CommandResult KafkaCluster::configs(const std::vector<std::string>& args) const {
    CommandResult r;
    for (const char* cls : {"org.apache.kafka.tools.ConfigCommand", "kafka.admin.ConfigCommand"}) {
        std::vector<std::string> argv{cls, "--bootstrap-server", "{bootstrap}"};
        argv.insert(argv.end(), args.begin(), args.end());
        r = tool(argv);
        if (r.exit_code == 0) return r;
    }
    return r;
}

void KafkaCluster::down() {
    if (down_) {
        return;
    }
    // Disarm first: from here on this call, not a signal handler, owns teardown
    // (and kafka.sh's watchdog still covers a crash in between).
    if (emergency_slot_ >= 0) {
        g_slots[static_cast<std::size_t>(emergency_slot_)].armed.store(false);
    }
    const CommandResult r = script({"down", name()});
    down_ = true;
    {
        std::lock_guard lock(g_secured_mu);
        g_secured.erase(bootstrap_);
    }
    release_slot(emergency_slot_);
    emergency_slot_ = -1;
    if (!r.ok()) {
        throw std::runtime_error("harness: kafka.sh down " + name() + ":\n" + r.output);
    }
}

void TwoClusterEnvironment::SetUp() {
    const std::string pid = std::to_string(::getpid());
    const auto t0 = std::chrono::steady_clock::now();
    auto start = [](std::string name) { return KafkaCluster::start({.name = std::move(name)}); };
    auto source_future = std::async(std::launch::async, start, "source-" + pid);
    auto target_future = std::async(std::launch::async, start, "target-" + pid);
    std::string errors;
    try {
        g_source = source_future.get();
    } catch (const std::exception& e) {
        errors += std::string(e.what()) + "\n";
    }
    try {
        g_target = target_future.get();
    } catch (const std::exception& e) {
        errors += std::string(e.what()) + "\n";
    }
    if (!errors.empty()) {
        g_source.reset();
        g_target.reset();
        GTEST_FAIL() << "TwoClusterEnvironment: could not start the Kafka clusters\n" << errors;
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    std::cerr << "harness: source " << g_source->bootstrap() << ", target " << g_target->bootstrap()
              << " (up in " << ms << " ms)\n";
}

void TwoClusterEnvironment::TearDown() {
    auto down = [](std::unique_ptr<KafkaCluster>& c) {
        if (c) {
            c->down();
        }
    };
    auto source_down = std::async(std::launch::async, down, std::ref(g_source));
    auto target_down = std::async(std::launch::async, down, std::ref(g_target));
    std::string errors;
    for (auto* f : {&source_down, &target_down}) {
        try {
            f->get();
        } catch (const std::exception& e) {
            errors += std::string(e.what()) + "\n";
        }
    }
    g_source.reset();
    g_target.reset();
    if (!errors.empty()) {
        ADD_FAILURE() << errors;
    }
}

KafkaCluster& source() {
    if (!g_source) {
        throw std::logic_error(
            "harness::source(): no TwoClusterEnvironment is set up (register it with "
            "::testing::AddGlobalTestEnvironment)");
    }
    return *g_source;
}

KafkaCluster& target() {
    if (!g_target) {
        throw std::logic_error(
            "harness::target(): no TwoClusterEnvironment is set up (register it with "
            "::testing::AddGlobalTestEnvironment)");
    }
    return *g_target;
}

}  // namespace kmirror::harness
