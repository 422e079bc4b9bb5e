#pragma once
// Wall-clock milliseconds since the epoch: the unit of Kafka record timestamps.

#include <chrono>
#include <cstdint>

namespace kmirror {

inline std::int64_t now_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace kmirror
