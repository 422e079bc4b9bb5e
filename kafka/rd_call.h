#pragma once
// kafka/ internal: what every wrapper of a librdkafka call needs, once.

#include <algorithm>
#include <atomic>
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

/// Flushes until `outstanding` (the producer's own count of records without
/// a delivery report) is 0, at most `timeout`. rd_kafka_flush() alone also
/// waits for other requests to a broker (metadata, producer id): with a
/// cluster down it would take its whole timeout even after a purge settled
/// every record. Short rounds keep its "send now, ignore linger.ms".
template <class Count>
Result<void> flush_reported(rd_kafka_t* rk, const std::atomic<Count>& outstanding,
                            std::chrono::milliseconds timeout, std::chrono::milliseconds round) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (outstanding.load() > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
        (void)rd_kafka_flush(rk, to_int_ms(std::min(left, round)));
    }
    return outcome::success();
}

}  // namespace kmirror::kafka::detail
