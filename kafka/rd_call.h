#pragma once
// kafka/ internal: what every wrapper of a librdkafka call needs, once.

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "base/result.h"
#include "kafka/error.h"
#include "kafka/handles.h"

namespace kmirror::kafka::detail {

/// librdkafka takes timeouts as int milliseconds.
inline int to_int_ms(std::chrono::milliseconds t) {
    return static_cast<int>(std::clamp<std::int64_t>(t.count(), 0, 1'000'000'000));
}

inline Result<void> check(rd_kafka_resp_err_t err) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return make_error(err);
    return outcome::success();
}

/// Takes ownership of `raw` (rd_kafka_error_t results, e.g. ERR__QUEUE_FULL
/// from producev).
inline Result<void> check(rd_kafka_error_t* raw) {
    ErrorPtr err(raw);
    if (err) return make_error(rd_kafka_error_code(err.get()));
    return outcome::success();
}

}  // namespace kmirror::kafka::detail
