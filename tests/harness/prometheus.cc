// PrometheusServer (prometheus.sh), and Prometheus queries over a minimal
// HTTP/1.1 client. The PromQL of the dashboard and the rules is extracted in
// promql_expressions.cc.

#include "tests/harness/prometheus.h"

#include "tests/harness/command.h"
#include "tests/harness/wait.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

#ifndef KMIRROR_SOURCE_DIR
#error "KMIRROR_SOURCE_DIR (the project root) must be defined by CMake"
#endif

namespace kmirror::harness {

namespace {

using Clock = std::chrono::steady_clock;
using boost::property_tree::ptree;

// ---------------------------------------------------------------------------
// HTTP/1.1 over a POSIX socket: one request per connection, every wait
// bounded by the deadline.

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    Socket(Socket&&) = delete;
    Socket& operator=(Socket&&) = delete;
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int fd() const { return fd_; }

private:
    int fd_;
};

// Waits for `events` on fd until the deadline: true when ready.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            return false;
        }
        pollfd p{.fd = fd, .events = events, .revents = 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (n > 0) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            return false;
        }
    }
}

std::string errno_text(const std::string& what, int err) {
    return what + ": " + std::generic_category().message(err);
}

// Splits "http://host:port/" or "[::1]:port" into host and port.
bool split_address(std::string address, std::string& host, std::string& port) {
    if (address.rfind("http://", 0) == 0) {
        address.erase(0, 7);
    }
    while (!address.empty() && address.back() == '/') {
        address.pop_back();
    }
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) {
        return false;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return !host.empty();
}

// Connects to host:port before the deadline; returns the fd or -1 (error set).
int connect_to(const std::string& host, const std::string& port, Clock::time_point deadline,
               std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        error = "resolve " + host + ": " + ::gai_strerror(rc);
        return -1;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    error = "no address for " + host;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                ai->ai_protocol);
        if (fd < 0) {
            const int err = errno;
            error = errno_text("socket", err);
            continue;
        }
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            return fd;
        }
        const int connect_errno = errno;
        const std::string what = "connect " + host + ":" + port;
        if (connect_errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
            int so_error = 0;
            socklen_t len = sizeof so_error;
            if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0) {
                return fd;
            }
            error = errno_text(what, so_error);
        } else if (connect_errno == EINPROGRESS) {
            error = what + ": timed out";
        } else {
            error = errno_text(what, connect_errno);
        }
        ::close(fd);
    }
    return -1;
}

bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& error) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!wait_for(fd, POLLOUT, deadline)) {
                error = "send: timed out";
                return false;
            }
        } else {
            const int err = errno;
            error = errno_text("send", err);
            return false;
        }
    }
    return true;
}

// Reads until the peer closes (we asked for Connection: close).
bool receive_all(int fd, std::string& out, Clock::time_point deadline, std::string& error) {
    std::array<char, 16384> buf{};
    while (true) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n > 0) {
            out.append(buf.data(), static_cast<std::size_t>(n));
        } else if (n == 0) {
            return true;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (!wait_for(fd, POLLIN, deadline)) {
                error = "receive: timed out after " + std::to_string(out.size()) + " bytes";
                return false;
            }
        } else {
            const int err = errno;
            error = errno_text("recv", err);
            return false;
        }
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Undoes Transfer-Encoding: chunked; false when the framing is broken.
bool dechunk(std::string_view in, std::string& out) {
    while (true) {
        const auto eol = in.find("\r\n");
        if (eol == std::string_view::npos) {
            return false;
        }
        const std::string size_text(in.substr(0, eol));
        char* end = nullptr;
        const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
        if (end == size_text.c_str()) {
            return false;
        }
        in.remove_prefix(eol + 2);
        if (size == 0) {
            return true;  // trailers, if any, are ignored
        }
        if (in.size() < size + 2) {
            return false;
        }
        out.append(in.substr(0, size));
        in.remove_prefix(size + 2);
    }
}

// Splits a raw HTTP response into status and body.
bool parse_response(const std::string& raw, HttpResponse& response) {
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || raw.rfind("HTTP/1.", 0) != 0) {
        response.error = "malformed HTTP response: " + raw.substr(0, 200);
        return false;
    }
    const auto space = raw.find(' ');
    response.status = static_cast<int>(std::strtol(raw.c_str() + space + 1, nullptr, 10));
    bool chunked = false;
    long long content_length = -1;
    std::istringstream head(raw.substr(0, head_end));
    std::string line;
    std::getline(head, line);  // status line
    while (std::getline(head, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        const std::string key = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t\r") + 1);
        if (key == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) {
            chunked = true;
        } else if (key == "content-length") {
            content_length = std::strtoll(value.c_str(), nullptr, 10);
        }
    }
    const std::string_view body = std::string_view(raw).substr(head_end + 4);
    if (chunked) {
        if (!dechunk(body, response.body)) {
            response.error = "broken chunked encoding";
            response.status = 0;
            return false;
        }
    } else if (content_length >= 0) {
        if (body.size() < static_cast<std::size_t>(content_length)) {
            response.error = "body shorter than Content-Length";
            response.status = 0;
            return false;
        }
        response.body = body.substr(0, static_cast<std::size_t>(content_length));
    } else {
        response.body = body;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Prometheus API answers, read with Boost.PropertyTree's JSON parser (header
// only; it keeps every scalar as text, which is all we need).

double parse_value(const std::string& text) {
    if (text == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (text == "+Inf" || text == "Inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == "-Inf") {
        return -std::numeric_limits<double>::infinity();
    }
    return std::strtod(text.c_str(), nullptr);
}

// [timestamp, "value"] -> value
double pair_value(const ptree& pair) {
    std::string last;
    for (const auto& [key, item] : pair) {
        last = item.data();
    }
    return parse_value(last);
}

void read_result(const ptree& doc, QueryResult& result) {
    result.status = doc.get<std::string>("status", "");
    if (result.status != "success") {
        const std::string type = doc.get<std::string>("errorType", "");
        const std::string message = doc.get<std::string>("error", "");
        result.error = type.empty() ? message : type + ": " + message;
        return;
    }
    const auto data = doc.get_child_optional("data");
    if (!data) {
        result.error = "answer has no data";
        return;
    }
    result.result_type = data->get<std::string>("resultType", "");
    const auto items = data->get_child_optional("result");
    if (!items) {
        result.error = "answer has no data.result";
        return;
    }
    if (result.result_type == "scalar" || result.result_type == "string") {
        result.series = 1;
        QuerySample sample;
        sample.value = result.result_type == "scalar" ? pair_value(*items) : 0;
        result.samples.push_back(std::move(sample));
        return;
    }
    for (const auto& [unused, item] : *items) {
        QuerySample sample;
        if (const auto metric = item.get_child_optional("metric")) {
            for (const auto& [label, value] : *metric) {
                sample.labels.emplace(label, value.data());
            }
        }
        if (const auto value = item.get_child_optional("value")) {
            sample.value = pair_value(*value);
        } else if (const auto values = item.get_child_optional("values")) {
            if (!values->empty()) {
                sample.value = pair_value(values->back().second);
            }
        }
        result.samples.push_back(std::move(sample));
    }
    result.series = static_cast<int>(result.samples.size());
}

}  // namespace

// ---------------------------------------------------------------------------

std::string prometheus_sh() {
    return std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/prometheus.sh";
}

std::unique_ptr<PrometheusServer> PrometheusServer::start(std::string name,
                                                          std::vector<std::string> targets,
                                                          std::vector<std::string> rule_files) {
    std::unique_ptr<PrometheusServer> server(new PrometheusServer(std::move(name)));
    std::vector<std::string> argv{"/bin/bash", prometheus_sh(), "up", server->name_, "0"};
    for (auto& f : rule_files) {
        argv.emplace_back("--rules");
        argv.push_back(std::move(f));
    }
    for (auto& t : targets) {
        argv.push_back(std::move(t));
    }
    CommandOptions options;
    options.env.emplace_back("KMIRROR_OWNER_PID", std::to_string(::getpid()));
    const CommandResult r = run_command(argv, options);
    static const std::regex address_line(R"((^|\n)(127\.0\.0\.1:[0-9]+)\s*$)");
    std::smatch m;
    if (!r.ok() || !std::regex_search(r.output, m, address_line)) {
        // A failed `up` leaves its directory behind for inspection; the log tail is
        // in the output already, so remove it.
        server->down_ = true;
        run_command({"/bin/bash", prometheus_sh(), "down", server->name_});
        throw std::runtime_error("harness: prometheus.sh up " + server->name_ + " failed (exit " +
                                 std::to_string(r.exit_code) + "):\n" + r.output);
    }
    server->address_ = m[2].str();
    return server;
}

PrometheusServer::~PrometheusServer() {
    try {
        down();
    } catch (const std::exception& e) {
        std::cerr << "harness: prometheus.sh down " << name_ << " failed: " << e.what() << "\n";
    }
}

std::string PrometheusServer::directory() const {
    const char* root = std::getenv("KMIRROR_HARNESS_DIR");
    return std::string(root != nullptr && *root != '\0' ? root : "/tmp/kmirror-harness") + "/" +
           name_;
}

void PrometheusServer::reload() const {
    const CommandResult r = run_command({"/bin/bash", prometheus_sh(), "reload", name_});
    if (!r.ok()) {
        throw std::runtime_error("harness: prometheus.sh reload " + name_ + ":\n" + r.output);
    }
}

void PrometheusServer::down() {
    if (down_) {
        return;
    }
    down_ = true;
    const CommandResult r = run_command({"/bin/bash", prometheus_sh(), "down", name_});
    if (!r.ok()) {
        throw std::runtime_error("harness: prometheus.sh down " + name_ + ":\n" + r.output);
    }
}

// ---------------------------------------------------------------------------

std::string url_encode(std::string_view s) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4U];
            out += kHex[c & 0x0FU];
        }
    }
    return out;
}

HttpResponse http_get(const std::string& address, const std::string& target,
                      std::chrono::milliseconds timeout) {
    HttpResponse response;
    const auto deadline = Clock::now() + scaled(timeout);
    std::string host;
    std::string port;
    if (!split_address(address, host, port)) {
        response.error = "bad address '" + address + "' (want host:port)";
        return response;
    }
    const int fd = connect_to(host, port, deadline, response.error);
    if (fd < 0) {
        return response;
    }
    const Socket conn(fd);
    const std::string host_header =
        host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
    const std::string request = "GET " + (target.empty() ? std::string("/") : target) +
                                " HTTP/1.1\r\nHost: " + host_header +
                                "\r\nUser-Agent: kmirror-test-harness\r\n"
                                "Accept: */*\r\nConnection: close\r\n\r\n";
    std::string raw;
    if (!send_all(conn.fd(), request, deadline, response.error) ||
        !receive_all(conn.fd(), raw, deadline, response.error)) {
        return response;
    }
    parse_response(raw, response);
    return response;
}

QueryResult query(const std::string& address, const std::string& promql,
                  std::chrono::milliseconds timeout) {
    QueryResult result;
    const HttpResponse http =
        http_get(address, "/api/v1/query?query=" + url_encode(promql), timeout);
    if (http.status == 0) {
        result.error = http.error;
        return result;
    }
    result.raw_json = http.body;
    ptree doc;
    try {
        std::istringstream in(http.body);
        boost::property_tree::read_json(in, doc);
    } catch (const boost::property_tree::json_parser_error& e) {
        result.error = "HTTP " + std::to_string(http.status) + ", not JSON (" + e.what() +
                       "): " + http.body.substr(0, 200);
        return result;
    }
    read_result(doc, result);
    result.ok = http.status == 200 && result.status == "success" && result.error.empty();
    if (!result.ok && result.error.empty()) {
        result.error = "HTTP " + std::to_string(http.status);
    }
    return result;
}

}  // namespace kmirror::harness
