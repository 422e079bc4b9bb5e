#pragma once
// Process metrics read from /proc/self (prometheus-cpp has none):
// process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_start_time_seconds.

#include <optional>

namespace kmirror::metrics {

struct ProcessStats {
    double cpu_seconds = 0;
    double resident_memory_bytes = 0;
    double open_fds = 0;
    double start_time_seconds = 0;  ///< since the epoch
};

std::optional<ProcessStats> read_process_stats();

}  // namespace kmirror::metrics
