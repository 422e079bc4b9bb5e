#include "tests/harness/wait.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace kmirror::harness {

double timeout_scale() {
    const char* env = std::getenv("KMIRROR_TEST_TIMEOUT_SCALE");
    if (env == nullptr || *env == '\0') {
        return 1.0;
    }
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end == env || !std::isfinite(v) || v <= 0.0) {
        return 1.0;
    }
    return v;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds timeout) {
    return std::chrono::milliseconds(
        std::llround(static_cast<double>(timeout.count()) * timeout_scale()));
}

}  // namespace kmirror::harness
