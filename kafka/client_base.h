#pragma once
// ClientBase: what every librdkafka handle of kmirror shares: the conf built
// from the cluster's settings, logging into spdlog under the cluster alias,
// and fatal-error bookkeeping (ERR__FATAL is never logged-and-continued).

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "kafka/client_settings.h"
#include "kafka/error.h"
#include "kafka/handles.h"

namespace kmirror::kafka {

class ClientBase {
public:
    ClientBase(const ClientBase&) = delete;
    ClientBase& operator=(const ClientBase&) = delete;
    virtual ~ClientBase() = default;

    [[nodiscard]] const std::string& cluster() const noexcept { return cluster_; }
    /// The first fatal error librdkafka raised on this handle, if any.
    [[nodiscard]] Error fatal_error() const;
    /// Called (on a librdkafka thread) when the handle hits a fatal error.
    void on_fatal(std::function<void(const Error&)> cb);
    /// Called (on a librdkafka thread) for every non-fatal client error, e.g.
    /// to count them. Set before the handle is used.
    void on_error(std::function<void(const Error&)> cb);
    /// Latest transport-level error text ("all brokers down", ...), for status.
    [[nodiscard]] std::string last_error() const;
    /// The latest error by which the cluster refused this client: failed SASL
    /// authentication or a failed TLS handshake (a wrong password, CA or host
    /// name). Retrying cannot fix these, so callers report them at once.
    [[nodiscard]] Error access_error() const;

protected:
    explicit ClientBase(std::string cluster) : cluster_(std::move(cluster)) {}

    /// A conf with the settings, the overrides and this object's callbacks.
    ConfPtr build_conf(const ClientSettings& settings, const Overrides& overrides);
    /// rd_kafka_new with hand-over of conf ownership only on success.
    HandlePtr create(rd_kafka_type_t type, ConfPtr conf);

private:
    static void error_trampoline(rd_kafka_t* rk, int err, const char* reason,
                                 void* opaque) noexcept;
    static void log_trampoline(const rd_kafka_t* rk, int level, const char* fac,
                               const char* buf) noexcept;

    std::string cluster_;
    mutable std::mutex mu_;
    Error fatal_;                                 // guarded by mu_
    std::string last_error_;                      // guarded by mu_
    Error access_error_;                          // guarded by mu_
    std::function<void(const Error&)> on_fatal_;  // guarded by mu_
    std::function<void(const Error&)> on_error_;  // guarded by mu_
};

}  // namespace kmirror::kafka
