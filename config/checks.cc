#include "config/checks.h"

#include <algorithm>
#include <regex>

namespace kmirror::config {
namespace {

bool is_topic_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool all_topic_chars(std::string_view s) { return std::ranges::all_of(s, is_topic_char); }

}  // namespace

std::string check_name(std::string_view value) {
    return all_topic_chars(value) ? ""
                                  : "must match [A-Za-z0-9._-]+, got '" + std::string(value) + "'";
}

std::string check_regex(std::string_view value) {
    try {
        const std::regex compiled(value.begin(), value.end(), std::regex::ECMAScript);
        (void)compiled;
    } catch (const std::regex_error& e) {
        return "invalid regex \"" + std::string(value) + "\": " + e.what();
    }
    return "";
}

std::string check_config_name(std::string_view value) {
    // Catches patterns such as confluent.*, which would silently match nothing.
    return all_topic_chars(value) ? ""
                                  : "expected a topic config name such as retention.ms (matched "
                                    "exactly, not as a pattern), got '" +
                                        std::string(value) + "'";
}

std::string check_separator(std::string_view value) {
    return all_topic_chars(value) ? ""
                                  : "must use only characters legal in topic names "
                                    "([A-Za-z0-9._-]), got '" +
                                        std::string(value) + "'";
}

std::string check_template(std::string_view value) {
    bool has_topic = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '}') {
            return "unbalanced '}' in template \"" + std::string(value) + "\"";
        }
        if (value[i] != '{') {
            if (!is_topic_char(value[i])) {
                return "template \"" + std::string(value) + "\" has '" + std::string(1, value[i]) +
                       "', which is not legal in topic names ([A-Za-z0-9._-])";
            }
            continue;
        }
        const std::size_t close = value.find('}', i);
        if (close == std::string_view::npos) {
            return "unbalanced '{' in template \"" + std::string(value) + "\"";
        }
        const std::string_view name = value.substr(i + 1, close - i - 1);
        if (name == "topic") {
            has_topic = true;
        } else if (name != "source") {
            return "unknown placeholder '{" + std::string(name) +
                   "}' in template; allowed: {source}, {topic}";
        }
        i = close;
    }
    return has_topic ? "" : "template \"" + std::string(value) + "\" must contain {topic}";
}

std::string check_listen(std::string_view value) {
    std::string why =
        "expected host:port (e.g. 127.0.0.1:9464 or [::1]:9464), got '" + std::string(value) + "'";
    const std::size_t colon = value.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return why;
    }
    const std::string_view host = value.substr(0, colon);
    const std::string_view port = value.substr(colon + 1);
    const bool bracketed = host.front() == '[';
    if (bracketed != (host.back() == ']') || (bracketed && host.size() < 3) ||
        (!bracketed && host.find(':') != std::string_view::npos)) {
        return why;  // an IPv6 address needs brackets, or its last group reads as the port
    }
    if (port.empty() || port.size() > 5) {
        return why;
    }
    int number = 0;
    for (const char c : port) {
        if (c < '0' || c > '9') {
            return why;
        }
        number = number * 10 + (c - '0');
    }
    return number <= 65535 ? "" : "port must be 0..65535, got " + std::string(port);
}

std::string check_bootstrap(std::string_view value) {
    std::size_t start = 0;
    while (start <= value.size()) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        const std::string_view broker = value.substr(start, comma - start);
        if (broker.find_first_not_of(' ') == std::string_view::npos ||
            broker.find_first_of("\t\n") != std::string_view::npos) {
            return "expected host:port[,host:port...], got '" + std::string(value) + "'";
        }
        start = comma + 1;
    }
    return "";
}

std::string check_replication_factor(std::string_view value) {
    return value == "0" ? "0 is not a replication factor" : "";
}

}  // namespace kmirror::config
