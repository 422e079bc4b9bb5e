#include "kafka/batch_producer.h"

#include <array>

#include "kafka/error.h"
#include "kafka/rd_call.h"

namespace kmirror::kafka {
namespace {

using detail::check;
using detail::to_int_ms;

std::optional<Bytes> bytes_of(const void* p, std::size_t n) {
    if (!p) return std::nullopt;
    return Bytes(static_cast<const std::byte*>(p), n);
}

using TopicConfPtr = std::unique_ptr<rd_kafka_topic_conf_t, CDeleter<&rd_kafka_topic_conf_destroy>>;

}  // namespace

void* DeliveryBatch::route(std::size_t i) const noexcept {
    return reports_[i]->rkt ? rd_kafka_topic_opaque(reports_[i]->rkt) : nullptr;
}

std::string DeliveryBatch::error_message(std::size_t i) const {
    return reports_[i]->err ? rd_kafka_err2str(reports_[i]->err) : "";
}

std::string_view DeliveryBatch::topic(std::size_t i) const noexcept {
    return reports_[i]->rkt ? std::string_view(rd_kafka_topic_name(reports_[i]->rkt))
                            : std::string_view();
}

std::optional<Bytes> DeliveryBatch::key(std::size_t i) const noexcept {
    return bytes_of(reports_[i]->key, reports_[i]->key_len);
}

std::optional<Bytes> DeliveryBatch::value(std::size_t i) const noexcept {
    return bytes_of(reports_[i]->payload, reports_[i]->len);
}

std::optional<std::int64_t> DeliveryBatch::timestamp(std::size_t i) const noexcept {
    rd_kafka_timestamp_type_t type{};
    const auto ts = rd_kafka_message_timestamp(reports_[i], &type);
    if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) return std::nullopt;
    return ts;
}

BatchProducer::BatchProducer(const ClientSettings& settings, const Overrides& overrides)
    : ClientBase(settings.cluster) {
    auto conf = build_conf(settings, overrides);
    // Delivery reports as events (one per produce batch) instead of one
    // callback per record: poll() settles them a batch at a time.
    rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR);
    rk_ = create(RD_KAFKA_PRODUCER, std::move(conf));
    main_queue_.reset(rd_kafka_queue_get_main(rk_.get()));
}

BatchProducer::~BatchProducer() {
    // Records still here are copies: nothing outside librdkafka references
    // them. Topic handles go before the client (librdkafka#3796).
    std::lock_guard lock(topics_mu_);
    for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
    topics_.clear();
}

TopicHandle BatchProducer::topic(const std::string& name, const TopicOptions& options,
                                 void* route) {
    std::lock_guard lock(topics_mu_);
    if (auto it = topics_.find(name); it != topics_.end()) return TopicHandle(it->second);
    TopicConfPtr tconf(rd_kafka_topic_conf_new());
    std::array<char, 512> errstr{};
    if (rd_kafka_topic_conf_set(tconf.get(), "compression.codec", options.compression.c_str(),
                                errstr.data(), errstr.size()) != RD_KAFKA_CONF_OK) {
        throw ConfigError("topic '" + name + "': compression " + options.compression + ": " +
                          errstr.data());
    }
    rd_kafka_topic_conf_set_opaque(tconf.get(), route);
    // rd_kafka_topic_new() takes the topic conf, whether it succeeds or not.
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), tconf.release());
    if (!rkt) {
        throw ConfigError("topic '" + name + "': " +
                          rd_kafka_err2str(rd_kafka_last_error()));
    }
    topics_.emplace(name, rkt);
    return TopicHandle(rkt);
}

Result<void> BatchProducer::send(
    TopicHandle topic, const Message& source, std::uint64_t tag,
    const std::optional<std::pair<std::string_view, std::string_view>>& extra) {
    rd_kafka_message_t* m = source.get();
    HeadersPtr headers;
    rd_kafka_headers_t* src_headers = nullptr;
    if (rd_kafka_message_headers(m, &src_headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        headers.reset(rd_kafka_headers_copy(src_headers));
    }
    if (extra) {
        if (!headers) headers.reset(rd_kafka_headers_new(1));
        rd_kafka_header_add(headers.get(), extra->first.data(),
                            static_cast<ssize_t>(extra->first.size()), extra->second.data(),
                            static_cast<ssize_t>(extra->second.size()));
    }
    rd_kafka_timestamp_type_t ts_type{};
    std::int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
    if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) ts = 0;

    // On the stack: no allocation per record beyond librdkafka's own.
    std::array<rd_kafka_vu_t, 8> vus{};
    std::size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_RKT;
    vus[n++].u.rkt = topic.rkt_;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[n++].u.i32 = m->partition;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n++].u.mem = {m->payload, m->len};
    vus[n].vtype = RD_KAFKA_VTYPE_KEY;
    vus[n++].u.mem = {m->key, m->key_len};
    vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vus[n++].u.i64 = ts;
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag));
    if (headers) {
        vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
        vus[n++].u.headers = headers.get();
    }
    // Counted first: its report may be polled (on another thread) before produceva returns.
    records_.fetch_add(1, std::memory_order_relaxed);
    if (auto r = check(rd_kafka_produceva(rk_.get(), vus.data(), n)); !r) {
        records_.fetch_sub(1, std::memory_order_relaxed);
        return r;
    }
    (void)headers.release();  // owned by the produced record now
    return outcome::success();
}

std::size_t BatchProducer::poll(std::chrono::milliseconds timeout,
                                const std::function<void(const DeliveryBatch&)>& handler) {
    std::size_t total = 0;
    auto wait = timeout;
    std::array<const rd_kafka_message_t*, 1024> reports{};
    while (true) {
        EventPtr ev(rd_kafka_queue_poll(main_queue_.get(), to_int_ms(wait)));
        if (!ev) return total;
        wait = std::chrono::milliseconds(0);
        if (rd_kafka_event_type(ev.get()) != RD_KAFKA_EVENT_DR) continue;
        // An event holds one produce batch; a large one is read in chunks.
        while (true) {
            const std::size_t n = rd_kafka_event_message_array(ev.get(), reports.data(),
                                                               reports.size());
            if (n == 0) break;
            const DeliveryBatch batch(std::span<const rd_kafka_message_t*>(reports.data(), n));
            handler(batch);
            records_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
            total += n;
        }
    }
}

void BatchProducer::wake() noexcept {
    if (main_queue_) rd_kafka_queue_yield(main_queue_.get());
}

Result<void> BatchProducer::flush(std::chrono::milliseconds timeout) {
    return detail::flush_reported(rk_.get(), records_, timeout, std::chrono::milliseconds(20));
}

void BatchProducer::purge(bool in_flight) noexcept {
    (void)rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE |
                                        (in_flight ? RD_KAFKA_PURGE_F_INFLIGHT : 0));
}

Result<void> BatchProducer::refresh_metadata(TopicHandle topic, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), 0, topic.rkt_, &md, to_int_ms(timeout));
    if (md) rd_kafka_metadata_destroy(md);
    return check(err);
}

}  // namespace kmirror::kafka
