#pragma once
// A configuration error or warning, located in the YAML file. Start-up collects
// all of them and prints them together (STYLE.md rule 19).

#include <ostream>
#include <string>

namespace kmirror::config {

struct Diagnostic {
    std::string file;
    int line = 0;     ///< 1-based; 0 when the problem is the file itself (missing, unreadable)
    int column = 0;   ///< 1-based; 0 with line 0
    std::string key;  ///< key path, e.g. "flows[0].topics.include"; empty for syntax errors
    std::string message;

    bool operator==(const Diagnostic&) const = default;
};

/// "kmirror.yaml:14:5: flows[0].topics.include: invalid regex ...". Without a
/// line the location is just the file; without a key the key part is left out.
std::string to_string(const Diagnostic& d);

std::ostream& operator<<(std::ostream& os, const Diagnostic& d);

}  // namespace kmirror::config
