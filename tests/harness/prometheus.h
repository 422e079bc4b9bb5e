#pragma once
// A real Prometheus server for metrics tests (tests/harness/prometheus.sh),
// instant queries against it, and the PromQL of the shipped dashboard and
// alert rules, ready to be evaluated:
//
//     auto prom = PrometheusServer::start("prometheus-" + std::to_string(::getpid()),
//                                         {kmirror_http_address},
//                                         {source_path("helm/kmirror/alerts/kmirror-rules.yaml")});
//     ASSERT_TRUE(wait_until([&] { return query(prom->address(), "up == 1").series == 1; },
//                            30s, "kmirror scraped"));
//     const std::string dashboard = source_path("helm/kmirror/dashboards/kmirror.json");
//     for (const auto& q : dashboard_queries(dashboard)) {
//         const QueryResult r = query(prom->address(), q.expr);
//         EXPECT_TRUE(r.ok) << q.origin << ": " << q.expr << "\n" << r.error;
//     }
//
// The server scrapes its targets every second (job "kmirror") and evaluates
// rules every second, but it only starts scraping about 5 s after it is ready
// (its scrape manager applies new target sets on a 5 s tick): wait for `up`.
// The server dies with the test process: the destructor runs
// `prometheus.sh down`, and for SIGKILL or a crash a watchdog started by
// prometheus.sh (it watches KMIRROR_OWNER_PID, set here) downs it within ~1 s.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmirror::harness {

class PrometheusServer {
public:
    /// Runs `prometheus.sh up NAME 0 --rules FILE... TARGET...` and returns once
    /// the server answers /-/ready. `name` is a directory name under
    /// $KMIRROR_HARNESS_DIR (letters, digits, '.', '_', '-'), unique on the
    /// machine while the server lives: add getpid(). `targets` are host:port
    /// (scraped at /metrics); "{self}" is the server itself. `rule_files`
    /// are loaded by absolute path. Throws std::runtime_error with the
    /// script's output (and the server's log tail) on failure.
    static std::unique_ptr<PrometheusServer> start(std::string name,
                                                   std::vector<std::string> targets,
                                                   std::vector<std::string> rule_files = {});

    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;
    PrometheusServer(PrometheusServer&&) = delete;
    PrometheusServer& operator=(PrometheusServer&&) = delete;
    /// `prometheus.sh down`: stops the server and deletes its directory.
    ~PrometheusServer();

    [[nodiscard]] const std::string& name() const { return name_; }
    /// "127.0.0.1:PORT", for query() and http_get().
    [[nodiscard]] const std::string& address() const { return address_; }
    /// The server's directory (prometheus.yml, data/, prometheus.log).
    [[nodiscard]] std::string directory() const;
    [[nodiscard]] std::string log_file() const { return directory() + "/prometheus.log"; }

    /// Re-reads the configuration and the rule files (after editing a rule
    /// file). Throws when Prometheus rejects them.
    void reload() const;
    /// Stops the server and deletes its directory now. Idempotent.
    void down();

private:
    explicit PrometheusServer(std::string name) : name_(std::move(name)) {}

    std::string name_;
    std::string address_;
    bool down_ = false;
};

/// Absolute path of tests/harness/prometheus.sh (from KMIRROR_SOURCE_DIR).
std::string prometheus_sh();

struct QuerySample {
    /// The series' labels, with "__name__" when the expression kept the name.
    std::map<std::string, std::string> labels;
    /// vector and scalar results: the value; matrix: the newest value.
    /// "NaN", "+Inf" and "-Inf" are parsed as such.
    double value = 0;
};

struct QueryResult {
    /// The server answered HTTP 200 with status "success".
    bool ok = false;
    /// "success" or "error" from the answer; empty when there was no answer.
    std::string status;
    /// Number of result series: vector and matrix elements; 1 for scalar and string.
    int series = 0;
    /// The body as received (empty when there was no answer).
    std::string raw_json;
    /// "vector", "matrix", "scalar" or "string" (empty on error).
    std::string result_type;
    /// On failure: "errorType: error" from Prometheus (a PromQL parse error,
    /// for example), or what went wrong on the way (connect, timeout, HTTP).
    std::string error;
    /// One per result series.
    std::vector<QuerySample> samples;
};

/// Instant query (GET /api/v1/query?query=...) at the server's current time.
/// Never throws for server or network trouble: that is reported in the result.
/// `timeout` (scaled by KMIRROR_TEST_TIMEOUT_SCALE) covers connect, send and
/// receive.
QueryResult query(const std::string& address, const std::string& promql,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct HttpResponse {
    /// HTTP status code; 0 when no answer was received.
    int status = 0;
    /// The body, with chunked transfer encoding undone.
    std::string body;
    /// What went wrong when status is 0.
    std::string error;
    [[nodiscard]] bool ok() const { return status == 200; }
};

/// GET http://ADDRESS/TARGET with HTTP/1.1 and `Connection: close`. ADDRESS
/// is host:port or [ipv6]:port, optionally with "http://" in front; TARGET is
/// the path and query ("/metrics", "/api/v1/targets"), already URL-encoded.
/// Also works for kmirror's own /metrics, /healthz, /readyz and /status.
HttpResponse http_get(const std::string& address, const std::string& target,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (RFC 3986 unreserved).
std::string url_encode(std::string_view s);

/// One PromQL expression of the dashboard or the rules, and where it came
/// from, for test messages: `panel "Records / s by topic" target A`,
/// `variable flow`, `annotation "Rebalances"`, `rule KmirrorDown (group kmirror)`.
struct PromqlExpression {
    std::string origin;
    std::string expr;
};

/// Every PromQL expression of a Grafana dashboard (JSON), ready to evaluate:
/// each "expr" anywhere in the document (panel targets, also in collapsed rows,
/// and annotations), and the query of every `query` template variable, with
/// label_values(METRIC, LABEL) turned into METRIC, label_values(LABEL) into
/// {LABEL!=""} and query_result(Q) into Q (others, e.g. label_names(), are
/// skipped). Grafana variables are substituted (substitute_grafana_variables
/// with `window`). In document order. Throws std::runtime_error when the file
/// cannot be read or parsed.
std::vector<PromqlExpression> dashboard_queries(const std::string& path,
                                                std::string_view window = "1m");

/// Every alerting and recording rule `expr` of a Prometheus rules file
/// (`groups:`), or of a PrometheusRule resource (`spec.groups:`), with Grafana
/// variables substituted as above. Throws std::runtime_error when the file
/// cannot be read or parsed.
std::vector<PromqlExpression> rule_queries(const std::string& path);

/// The expressions of dashboard_queries() without duplicates, in first-seen order.
std::vector<std::string> dashboard_expressions(const std::string& path,
                                               std::string_view window = "1m");

/// The expressions of rule_queries() without duplicates, in first-seen order.
std::vector<std::string> rule_expressions(const std::string& path);

/// Replaces Grafana variables ($name, ${name}, ${name:format}, [[name]]) the
/// way Grafana would with "All" flows and a time range and step of `window`
/// (a whole number of s, m, h or d): flow -> .*; __rate_interval, __interval,
/// __range -> `window`; __range_s -> seconds; __range_ms, __interval_ms ->
/// milliseconds. Other variables, and PromQL's own "$1" in label_replace, are
/// left alone. Note that rate(x[1m]) needs a minute of samples to be exact:
/// with less it is lower than the true rate, never absent.
std::string substitute_grafana_variables(std::string_view expr, std::string_view window = "1m");

}  // namespace kmirror::harness
