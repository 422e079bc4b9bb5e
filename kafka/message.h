#pragma once
// Message: an owned librdkafka message (consumed, or a delivery report's
// source). Move-only; destroyed with rd_kafka_message_destroy. Views into it
// (key, value, headers) live as long as the Message.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kafka/handles.h"

namespace kmirror::kafka {

using Bytes = std::span<const std::byte>;

/// The bytes of a key, value or header as characters (no copy).
inline std::string_view as_chars(Bytes b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline std::optional<std::string_view> as_chars(const std::optional<Bytes>& b) noexcept {
    if (!b) return std::nullopt;
    return as_chars(*b);
}

struct HeaderView {
    std::string_view name;
    std::optional<Bytes> value;  ///< nullopt: a null header value
};

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;
    auto operator<=>(const TopicPartition&) const = default;
};

struct TopicPartitionOffset {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;  ///< next offset to read; or one of the logical offsets below
    auto operator<=>(const TopicPartitionOffset&) const = default;
};

inline constexpr std::int64_t kOffsetBeginning = RD_KAFKA_OFFSET_BEGINNING;
inline constexpr std::int64_t kOffsetEnd = RD_KAFKA_OFFSET_END;
inline constexpr std::int64_t kOffsetInvalid = RD_KAFKA_OFFSET_INVALID;

class Message {
public:
    Message() = default;
    explicit Message(rd_kafka_message_t* m) noexcept : m_(m) {}

    [[nodiscard]] bool empty() const noexcept { return !m_; }
    explicit operator bool() const noexcept { return static_cast<bool>(m_); }

    [[nodiscard]] std::error_code error() const noexcept;
    [[nodiscard]] std::string error_message() const;
    [[nodiscard]] std::string_view topic() const noexcept;
    [[nodiscard]] std::int32_t partition() const noexcept { return m_->partition; }
    [[nodiscard]] std::int64_t offset() const noexcept { return m_->offset; }
    [[nodiscard]] std::optional<Bytes> key() const noexcept;
    [[nodiscard]] std::optional<Bytes> value() const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return m_->len + m_->key_len; }
    /// Record timestamp in ms since the epoch; nullopt when the record has none.
    [[nodiscard]] std::optional<std::int64_t> timestamp() const noexcept;
    /// Headers in wire order. Empty when the record has none.
    [[nodiscard]] std::vector<HeaderView> headers() const;
    /// Whether a header `name` has exactly `value` (no allocation).
    [[nodiscard]] bool has_header(const char* name, std::string_view value) const noexcept;
    [[nodiscard]] rd_kafka_message_t* get() const noexcept { return m_.get(); }
    rd_kafka_message_t* release() noexcept { return m_.release(); }

private:
    MessagePtr m_;
};

}  // namespace kmirror::kafka
