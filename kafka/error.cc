#include "kafka/error.h"

#include <librdkafka/rdkafka.h>

namespace kmirror::kafka {
namespace {

class RdKafkaCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "kafka"; }
    [[nodiscard]] std::string message(int ev) const override {
        return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev));
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const RdKafkaCategory category;
    return category;
}

std::error_code make_error(int rd_kafka_resp_err) noexcept {
    return {rd_kafka_resp_err, error_category()};
}

bool is(std::error_code ec, int rd_kafka_resp_err) noexcept {
    return ec == make_error(rd_kafka_resp_err);
}

std::string error_name(std::error_code ec) {
    if (ec.category() != error_category()) return ec.message();
    return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(ec.value()));
}

bool is_access_error(std::error_code ec) noexcept {
    if (ec.category() != error_category()) return false;
    switch (ec.value()) {
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        case RD_KAFKA_RESP_ERR__SSL: return true;
        default: return false;
    }
}

bool is_fatal(std::error_code ec) noexcept {
    return ec.category() == error_category() && ec.value() == RD_KAFKA_RESP_ERR__FATAL;
}

}  // namespace kmirror::kafka
