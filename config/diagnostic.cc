#include "config/diagnostic.h"

namespace kmirror::config {

std::string to_string(const Diagnostic& d) {
    // Appends only: GCC 12 misreports `"literal" + std::string` under -O2/-O3 (-Wrestrict, GCC
    // bug 105329), which -Werror turns into a build failure.
    std::string out = d.file;
    if (d.line > 0) {
        out.append(":").append(std::to_string(d.line));
        out.append(":").append(std::to_string(d.column));
    }
    out.append(": ");
    if (!d.key.empty()) {
        out.append(d.key).append(": ");
    }
    out.append(d.message);
    return out;
}

std::ostream& operator<<(std::ostream& os, const Diagnostic& d) { return os << to_string(d); }

}  // namespace kmirror::config
