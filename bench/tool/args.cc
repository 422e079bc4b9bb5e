#include "bench/tool/args.h"

#include <charconv>

namespace kmirror::bench {

Args::Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0) throw UsageError("expected an option, got '" + key + "'");
        if (i + 1 >= argc) throw UsageError("option " + key + " needs a value");
        values_.emplace(key.substr(2), argv[i + 1]);
    }
}

std::string Args::str(const std::string& key) {
    asked_.insert(key);
    const auto it = values_.find(key);
    if (it == values_.end()) throw UsageError("missing option --" + key);
    return it->second;
}

std::string Args::str(const std::string& key, const std::string& fallback) {
    asked_.insert(key);
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

std::int64_t Args::to_num(const std::string& key, const std::string& value) {
    std::int64_t n = 0;
    const auto* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (ec != std::errc() || ptr != end) {
        throw UsageError("option --" + key + ": '" + value + "' is not a whole number");
    }
    return n;
}

std::int64_t Args::num(const std::string& key) { return to_num(key, str(key)); }

std::int64_t Args::num(const std::string& key, std::int64_t fallback) {
    asked_.insert(key);
    return values_.count(key) ? to_num(key, values_.find(key)->second) : fallback;
}

double Args::real(const std::string& key, double fallback) {
    asked_.insert(key);
    const auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
        std::size_t used = 0;
        const double v = std::stod(it->second, &used);
        if (used == it->second.size()) return v;
    } catch (const std::exception&) {
    }
    throw UsageError("option --" + key + ": '" + it->second + "' is not a number");
}

std::vector<std::string> Args::all(const std::string& key) {
    asked_.insert(key);
    std::vector<std::string> out;
    const auto [from, to] = values_.equal_range(key);
    for (auto it = from; it != to; ++it) out.push_back(it->second);
    return out;
}

void Args::finish() const {
    for (const auto& [key, value] : values_) {
        if (!asked_.count(key)) throw UsageError("unknown option --" + key);
    }
}

}  // namespace kmirror::bench
