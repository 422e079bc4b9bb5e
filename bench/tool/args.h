#pragma once
// Args: the `--key value` options of one mirror_bench_tool subcommand. Every
// option takes a value and may repeat (all()); finish() refuses keys that no
// one asked for, so a typo is an error and not a silently ignored option.

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace kmirror::bench {

/// Bad command line: main() prints it with the usage and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Args {
public:
    /// Options are argv[first..argc).
    Args(int argc, char** argv, int first);

    /// Required option.
    std::string str(const std::string& key);
    std::string str(const std::string& key, const std::string& fallback);
    std::int64_t num(const std::string& key);
    std::int64_t num(const std::string& key, std::int64_t fallback);
    double real(const std::string& key, double fallback);
    /// Every value given for `key`, in command-line order.
    std::vector<std::string> all(const std::string& key);
    /// Throws UsageError naming options that were given but never asked for.
    void finish() const;

private:
    static std::int64_t to_num(const std::string& key, const std::string& value);

    std::multimap<std::string, std::string> values_;
    std::set<std::string> asked_;
};

}  // namespace kmirror::bench
