#pragma once
// librdkafka errors as std::error_code (STYLE.md rule 9), plus kafka::Error,
// which keeps the fatal / retriable / txn_requires_abort flags of
// rd_kafka_error_t that an error code alone loses.

#include <string>
#include <system_error>

namespace kmirror::kafka {

/// The category of rd_kafka_resp_err_t values (negative: local, positive: broker).
const std::error_category& error_category() noexcept;

/// An error_code from a raw rd_kafka_resp_err_t value.
std::error_code make_error(int rd_kafka_resp_err) noexcept;

/// Whether `ec` is the librdkafka error `rd_kafka_resp_err` (e.g.
/// RD_KAFKA_RESP_ERR__QUEUE_FULL).
bool is(std::error_code ec, int rd_kafka_resp_err) noexcept;

/// The librdkafka name of an error ("MSG_SIZE_TOO_LARGE", "_TRANSPORT"), for
/// metric labels; the message for codes of other categories.
std::string error_name(std::error_code ec);

/// Whether the cluster refused the client itself: SASL authentication or the
/// TLS handshake failed (ERR__AUTHENTICATION, SASL_AUTHENTICATION_FAILED, ERR__SSL).
bool is_access_error(std::error_code ec) noexcept;

/// Whether a code is the librdkafka "fatal error" code (ERR__FATAL).
bool is_fatal(std::error_code ec) noexcept;

class Error {
public:
    Error() = default;
    Error(std::error_code code, std::string message, bool fatal = false, bool retriable = false,
          bool txn_requires_abort = false)
        : code_(code),
          message_(std::move(message)),
          fatal_(fatal),
          retriable_(retriable),
          txn_requires_abort_(txn_requires_abort) {}

    [[nodiscard]] std::error_code code() const noexcept { return code_; }
    [[nodiscard]] const std::string& message() const noexcept { return message_; }
    [[nodiscard]] bool fatal() const noexcept { return fatal_; }
    [[nodiscard]] bool retriable() const noexcept { return retriable_; }
    [[nodiscard]] bool txn_requires_abort() const noexcept { return txn_requires_abort_; }
    explicit operator bool() const noexcept { return static_cast<bool>(code_); }

private:
    std::error_code code_;
    std::string message_;
    bool fatal_ = false;
    bool retriable_ = false;
    bool txn_requires_abort_ = false;
};

}  // namespace kmirror::kafka
