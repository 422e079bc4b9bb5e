#pragma once
// Secret: a string that never prints itself. Logs, /status and check-config
// go through operator<< / fmt, which print "[secret]" (DESIGN.md invariant 5).

#include <ostream>
#include <string>
#include <utility>

namespace kmirror::config {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string v) : v_(std::move(v)) {}
    /// The real value: only for handing to librdkafka.
    [[nodiscard]] const std::string& reveal() const noexcept { return v_; }
    [[nodiscard]] bool empty() const noexcept { return v_.empty(); }
    bool operator==(const Secret&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "[secret]"; }

private:
    std::string v_;
};

}  // namespace kmirror::config
