#include "kafka/message.h"

#include "kafka/error.h"

namespace kmirror::kafka {
namespace {

std::optional<Bytes> bytes_of(const void* p, std::size_t n) {
    if (!p) return std::nullopt;
    return Bytes(static_cast<const std::byte*>(p), n);
}

}  // namespace

std::error_code Message::error() const noexcept { return make_error(m_->err); }

std::string Message::error_message() const { return rd_kafka_message_errstr(m_.get()); }

std::string_view Message::topic() const noexcept {
    return m_->rkt ? std::string_view(rd_kafka_topic_name(m_->rkt)) : std::string_view();
}

std::optional<Bytes> Message::key() const noexcept { return bytes_of(m_->key, m_->key_len); }

std::optional<Bytes> Message::value() const noexcept { return bytes_of(m_->payload, m_->len); }

std::optional<std::int64_t> Message::timestamp() const noexcept {
    rd_kafka_timestamp_type_t type{};
    const auto ts = rd_kafka_message_timestamp(m_.get(), &type);
    if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) return std::nullopt;
    return ts;
}

std::vector<HeaderView> Message::headers() const {
    std::vector<HeaderView> out;
    rd_kafka_headers_t* hdrs = nullptr;  // owned by the message
    if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        out.push_back({name, bytes_of(value, size)});
    }
    return out;
}

bool Message::has_header(const char* name, std::string_view value) const noexcept {
    rd_kafka_headers_t* hdrs = nullptr;  // owned by the message
    if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    const void* v = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get(hdrs, i, name, &v, &size) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        if (v && std::string_view(static_cast<const char*>(v), size) == value) return true;
    }
    return false;
}

}  // namespace kmirror::kafka
