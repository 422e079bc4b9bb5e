#pragma once
// The Prometheus text exposition of kmirror's metrics (prometheus-cpp's
// serializer), built from samples at scrape time.

#include <string>
#include <vector>

#include "metrics/samples.h"

namespace kmirror::metrics {

struct ExpositionOptions {
    /// Lag per partition; off: lag per topic (records summed, seconds maxed).
    bool partition_labels = true;
};

/// Every kmirror_* family, the process_* families and kmirror_build_info.
std::string render(const std::vector<FlowSample>& flows, const BuildInfo& build,
                   const ExpositionOptions& options, const StateSample& state = {});

}  // namespace kmirror::metrics
