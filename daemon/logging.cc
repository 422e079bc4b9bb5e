#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace kmirror::daemon {
namespace {

// %j: the message as a JSON string body (quotes, backslashes, control chars escaped).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
                spdlog::memory_buf_t& dest) override {
        static constexpr char kHex[] = "0123456789abcdef";
        for (char c : msg.payload) {
            switch (c) {
                case '"': dest.append(std::string_view("\\\"")); break;
                case '\\': dest.append(std::string_view("\\\\")); break;
                case '\n': dest.append(std::string_view("\\n")); break;
                case '\t': dest.append(std::string_view("\\t")); break;
                case '\r': dest.append(std::string_view("\\r")); break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        const auto u = static_cast<unsigned char>(c);
                        const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
                        dest.append(esc, esc + 6);
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonEscapedMessage>();
    }
};

}  // namespace

void setup_logging(const config::Log& log) {
    auto logger = spdlog::stderr_logger_mt("kmirror");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log.level));
    if (log.format == config::LogFormat::json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%j"})");
        spdlog::set_formatter(std::move(formatter));
    } else {
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
    }
    spdlog::flush_on(spdlog::level::info);
}

}  // namespace kmirror::daemon
