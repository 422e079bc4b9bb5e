#include "metrics/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kmirror::metrics {
namespace {

// Seconds since the epoch at which the machine booted (/proc/stat btime).
std::optional<double> boot_time() {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
        if (key == "btime") {
            double t = 0;
            in >> t;
            return t;
        }
        in.ignore(1 << 16, '\n');
    }
    return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // Field 2 (comm) may hold spaces: parse after its closing parenthesis.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    double starttime = 0;
    double rss_pages = 0;
    // Fields from 3 (state): utime = 14, stime = 15, starttime = 22, rss = 24.
    for (int i = 3; i <= 24 && rest >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
        if (i == 22) starttime = std::stod(field);
        if (i == 24) rss_pages = std::stod(field);
    }
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    ProcessStats s;
    s.cpu_seconds = (utime + stime) / ticks;
    s.resident_memory_bytes = rss_pages * page;
    s.start_time_seconds = boot_time().value_or(0) + starttime / ticks;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        s.open_fds += 1;
    }
    return s;
}

}  // namespace kmirror::metrics
