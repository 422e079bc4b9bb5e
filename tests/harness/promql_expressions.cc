// The PromQL of the shipped Grafana dashboard and alert rules (declared in
// prometheus.h), for tests that evaluate it against a real Prometheus.

#include "tests/harness/prometheus.h"

#include <yaml-cpp/yaml.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace kmirror::harness {

namespace {

using boost::property_tree::ptree;

// "90s", "1m", "2h", "1d" -> seconds. Throws std::invalid_argument otherwise.
long long window_seconds(std::string_view window) {
    const std::string w(window);
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(w, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    static const std::map<std::string, long long, std::less<>> kUnits{
        {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    const auto unit = kUnits.find(std::string_view(w).substr(used));
    if (used == 0 || n <= 0 || unit == kUnits.end()) {
        throw std::invalid_argument("harness: bad window '" + w + "' (want e.g. 30s, 1m, 1h)");
    }
    return n * unit->second;
}

// Index of the last comma outside (), {}, [] and quotes; npos if none.
std::size_t last_top_level_comma(std::string_view s) {
    int depth = 0;
    char quote = 0;
    std::size_t found = std::string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quote != 0) {
            if (c == '\\') {
                ++i;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'' || c == '`') {
            quote = c;
        } else if (c == '(' || c == '{' || c == '[') {
            ++depth;
        } else if (c == ')' || c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 0) {
            found = i;
        }
    }
    return found;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// The PromQL behind a template variable query, or "" when it has none.
std::string variable_promql(const std::string& query) {
    const std::string q = trim(query);
    const auto inner = [&q](std::string_view fn) -> std::optional<std::string> {
        if (q.rfind(fn, 0) != 0 || q.back() != ')') {
            return std::nullopt;
        }
        std::string rest = trim(std::string_view(q).substr(fn.size()));
        if (rest.empty() || rest.front() != '(') {
            return std::nullopt;
        }
        return trim(std::string_view(rest).substr(1, rest.size() - 2));
    };
    if (const auto args = inner("label_values")) {
        const auto comma = last_top_level_comma(*args);
        if (comma == std::string::npos) {
            return "{" + *args + "!=\"\"}";
        }
        return trim(std::string_view(*args).substr(0, comma));
    }
    if (const auto args = inner("query_result")) {
        return *args;
    }
    return {};
}

// Every "expr" under `node`, with `origin` naming the panel or annotation it is in.
void collect_exprs(const ptree& node, const std::string& origin, std::string_view window,
                   std::vector<PromqlExpression>& out) {
    for (const auto& [key, child] : node) {
        if (key == "templating") {
            continue;  // variables: collect_variables
        }
        if (key == "expr" && child.empty()) {
            if (!trim(child.data()).empty()) {
                std::string where = origin;
                if (const auto ref = node.get_optional<std::string>("refId")) {
                    where += " target " + *ref;
                }
                out.push_back({where, substitute_grafana_variables(child.data(), window)});
            }
            continue;
        }
        std::string next = origin;
        if (key == "annotations") {
            next = "annotation";
        } else if (key.empty() && origin.rfind("annotation", 0) == 0) {
            if (const auto name = child.get_optional<std::string>("name")) {
                next = "annotation \"" + *name + "\"";
            }
        } else if (key.empty()) {
            if (const auto title = child.get_optional<std::string>("title")) {
                next = "panel \"" + *title + "\"";
            }
        }
        collect_exprs(child, next, window, out);
    }
}

void collect_variables(const ptree& doc, std::string_view window,
                       std::vector<PromqlExpression>& out) {
    const auto list = doc.get_child_optional("templating.list");
    if (!list) {
        return;
    }
    for (const auto& [unused, variable] : *list) {
        if (variable.get<std::string>("type", "") != "query") {
            continue;
        }
        // "query" is a string in old dashboards, {"query": "...", "refId": ...} in new ones.
        std::string text;
        if (const auto q = variable.get_child_optional("query")) {
            text = q->empty() ? q->data() : q->get<std::string>("query", "");
        }
        if (trim(text).empty()) {
            text = variable.get<std::string>("definition", "");
        }
        const std::string promql = variable_promql(substitute_grafana_variables(text, window));
        if (!promql.empty()) {
            out.push_back({"variable " + variable.get<std::string>("name", "?"), promql});
        }
    }
}

std::vector<std::string> unique_exprs(const std::vector<PromqlExpression>& all) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& e : all) {
        if (seen.insert(e.expr).second) {
            out.push_back(e.expr);
        }
    }
    return out;
}

ptree read_json_file(const std::string& path) {
    ptree doc;
    try {
        boost::property_tree::read_json(path, doc);
    } catch (const boost::property_tree::json_parser_error& e) {
        throw std::runtime_error("harness: cannot read dashboard " + path + ": " + e.what());
    }
    return doc;
}

}  // namespace

std::string substitute_grafana_variables(std::string_view expr, std::string_view window) {
    const long long seconds = window_seconds(window);
    const std::string w(window);
    const std::map<std::string, std::string, std::less<>> values{
        {"flow", ".*"},
        {"__rate_interval", w},
        {"__interval", w},
        {"__range", w},
        {"__range_s", std::to_string(seconds)},
        {"__range_ms", std::to_string(seconds * 1000)},
        {"__interval_ms", std::to_string(seconds * 1000)},
    };
    const auto is_name_start = [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
    };
    const auto is_name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    };
    std::string out;
    std::size_t i = 0;
    while (i < expr.size()) {
        std::size_t name_begin = 0;
        std::size_t name_end = 0;
        std::size_t token_end = 0;
        if (expr[i] == '$' && i + 1 < expr.size() && expr[i + 1] == '{') {
            // ${name} or ${name:format}
            const auto close = expr.find('}', i + 2);
            if (close != std::string_view::npos) {
                name_begin = i + 2;
                name_end = expr.find_first_of(":}", name_begin);
                token_end = close + 1;
            }
        } else if (expr[i] == '$' && i + 1 < expr.size() && is_name_start(expr[i + 1])) {
            name_begin = i + 1;
            name_end = name_begin;
            while (name_end < expr.size() && is_name_char(expr[name_end])) {
                ++name_end;
            }
            token_end = name_end;
        } else if (expr.substr(i, 2) == "[[") {
            const auto close = expr.find("]]", i + 2);
            if (close != std::string_view::npos) {
                name_begin = i + 2;
                name_end = std::min(close, expr.find(':', name_begin));
                token_end = close + 2;
            }
        }
        if (token_end != 0) {
            const auto it = values.find(expr.substr(name_begin, name_end - name_begin));
            if (it != values.end()) {
                out += it->second;
                i = token_end;
                continue;
            }
        }
        out += expr[i];
        ++i;
    }
    return out;
}

std::vector<PromqlExpression> dashboard_queries(const std::string& path, std::string_view window) {
    const ptree doc = read_json_file(path);
    std::vector<PromqlExpression> out;
    collect_exprs(doc, "dashboard", window, out);
    collect_variables(doc, window, out);
    return out;
}

std::vector<PromqlExpression> rule_queries(const std::string& path) {
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        throw std::runtime_error("harness: cannot read rules " + path + ": " + e.what());
    }
    YAML::Node groups = doc["groups"];
    if (!groups && doc["spec"]) {
        groups = doc["spec"]["groups"];
    }
    if (!groups || !groups.IsSequence()) {
        throw std::runtime_error("harness: " + path + " has no groups: (nor spec.groups:)");
    }
    std::vector<PromqlExpression> out;
    for (const auto& group : groups) {
        const std::string group_name = group["name"] ? group["name"].as<std::string>() : "?";
        for (const auto& rule : group["rules"]) {
            if (!rule["expr"]) {
                continue;
            }
            std::string name = "?";
            if (rule["alert"]) {
                name = rule["alert"].as<std::string>();
            } else if (rule["record"]) {
                name = rule["record"].as<std::string>();
            }
            out.push_back({"rule " + name + " (group " + group_name + ")",
                           substitute_grafana_variables(rule["expr"].as<std::string>())});
        }
    }
    return out;
}

std::vector<std::string> dashboard_expressions(const std::string& path, std::string_view window) {
    return unique_exprs(dashboard_queries(path, window));
}

std::vector<std::string> rule_expressions(const std::string& path) {
    return unique_exprs(rule_queries(path));
}

}  // namespace kmirror::harness
