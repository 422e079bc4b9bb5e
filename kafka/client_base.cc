#include "kafka/client_base.h"

#include <spdlog/spdlog.h>

#include <array>

namespace kmirror::kafka {

Error ClientBase::fatal_error() const {
    std::lock_guard lock(mu_);
    return fatal_;
}

void ClientBase::on_fatal(std::function<void(const Error&)> cb) {
    std::lock_guard lock(mu_);
    on_fatal_ = std::move(cb);
}

void ClientBase::on_error(std::function<void(const Error&)> cb) {
    std::lock_guard lock(mu_);
    on_error_ = std::move(cb);
}

std::string ClientBase::last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
}

Error ClientBase::access_error() const {
    std::lock_guard lock(mu_);
    return access_error_;
}

ConfPtr ClientBase::build_conf(const ClientSettings& settings, const Overrides& overrides) {
    ConfPtr conf(rd_kafka_conf_new());
    std::array<char, 512> errstr{};
    auto set = [&](const std::string& key, const std::string& value, const std::string& origin) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr.data(),
                              errstr.size()) != RD_KAFKA_CONF_OK) {
            throw ConfigError(origin + ": " + errstr.data());
        }
    };
    set("bootstrap.servers", settings.bootstrap, "clusters." + settings.cluster + ".bootstrap");
    set("client.id", "kmirror", "client.id");
    // After an outage a broker is reconnected to within a second of
    // answering: librdkafka's default backs off up to 10 s, which then is
    // 10 s more of replication gap. A user's property still wins.
    set("reconnect.backoff.max.ms", "1000", "reconnect.backoff.max.ms");
    for (const auto& p : settings.properties) set(p.key, p.value, p.origin);
    for (const auto& [k, v] : overrides) set(k, v, "kmirror internal setting " + k);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t* rk, int err, const char* reason,
                                              void* opaque) {
        error_trampoline(rk, err, reason, opaque);
    });
    rd_kafka_conf_set_log_cb(conf.get(),
                             [](const rd_kafka_t* rk, int level, const char* fac,
                                const char* buf) { log_trampoline(rk, level, fac, buf); });
    return conf;
}

HandlePtr ClientBase::create(rd_kafka_type_t type, ConfPtr conf) {
    std::array<char, 512> errstr{};
    HandlePtr rk(rd_kafka_new(type, conf.get(), errstr.data(), errstr.size()));
    if (!rk) throw ConfigError("cluster '" + cluster_ + "': " + errstr.data());
    (void)conf.release();  // owned by rk now
    return rk;
}

void ClientBase::error_trampoline(rd_kafka_t* rk, int err, const char* reason,
                                  void* opaque) noexcept {
    try {
        auto* self = static_cast<ClientBase*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            std::array<char, 512> buf{};
            const auto orig = rd_kafka_fatal_error(rk, buf.data(), buf.size());
            Error e(make_error(orig), buf.data(), /*fatal=*/true);
            spdlog::critical("cluster '{}': fatal client error: {} ({})", self->cluster_,
                             e.message(), rd_kafka_err2name(orig));
            std::function<void(const Error&)> cb;
            {
                std::lock_guard lock(self->mu_);
                if (!self->fatal_) self->fatal_ = e;
                cb = self->on_fatal_;
            }
            if (cb) cb(e);
            return;
        }
        std::function<void(const Error&)> cb;
        {
            std::lock_guard lock(self->mu_);
            self->last_error_ = reason;
            if (is_access_error(make_error(err))) self->access_error_ = Error(make_error(err), reason);
            cb = self->on_error_;
        }
        if (cb) cb(Error(make_error(err), reason));
        spdlog::warn("cluster '{}': {}: {}", self->cluster_,
                     rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
    } catch (...) {
        // Logging must not unwind through C frames; there is nothing better to do.
    }
}

void ClientBase::log_trampoline(const rd_kafka_t* rk, int level, const char* fac,
                                const char* buf) noexcept {
    try {
        auto* self = static_cast<ClientBase*>(rd_kafka_opaque(rk));
        const auto& name = self ? self->cluster_ : std::string("?");
        // syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug
        if (level <= 3) {
            spdlog::error("cluster '{}': librdkafka {}: {}", name, fac, buf);
        } else if (level == 4) {
            spdlog::warn("cluster '{}': librdkafka {}: {}", name, fac, buf);
        } else if (level <= 6) {
            spdlog::info("cluster '{}': librdkafka {}: {}", name, fac, buf);
        } else {
            spdlog::debug("cluster '{}': librdkafka {}: {}", name, fac, buf);
        }
    } catch (...) {
    }
}

}  // namespace kmirror::kafka
