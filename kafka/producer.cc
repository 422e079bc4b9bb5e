#include "kafka/producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kafka/error.h"
#include "kafka/rd_call.h"

namespace kmirror::kafka {
namespace {

using detail::check;
using detail::to_int_ms;

}  // namespace

Producer::Producer(const ClientSettings& settings, const Overrides& overrides,
                   DeliveryHandler* handler)
    : ClientBase(settings.cluster), handler_(handler) {
    auto conf = build_conf(settings, overrides);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::delivery_trampoline);
    rk_ = create(RD_KAFKA_PRODUCER, std::move(conf));
    main_queue_.reset(rd_kafka_queue_get_main(rk_.get()));
}

Producer::~Producer() {
    // Any message still here references memory of its source: fail it now so
    // its report (and the source message) is released before rd_kafka_destroy.
    if (rk_ && messages_.load() > 0) {
        purge();
        (void)flush(std::chrono::seconds(5));
    }
}

Result<void> Producer::forward(Message& source, const std::string& topic,
                               const std::vector<Header>& extra_headers) {
    rd_kafka_message_t* m = source.get();
    rd_kafka_headers_t* src_headers = nullptr;
    HeadersPtr headers;
    if (rd_kafka_message_headers(m, &src_headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        headers.reset(rd_kafka_headers_copy(src_headers));
    }
    if (!extra_headers.empty()) {
        if (!headers) headers.reset(rd_kafka_headers_new(extra_headers.size()));
        for (const auto& h : extra_headers) {
            rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                                h.value ? h.value->data() : nullptr,
                                h.value ? static_cast<ssize_t>(h.value->size()) : 0);
        }
    }
    rd_kafka_timestamp_type_t ts_type{};
    std::int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
    if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) ts = 0;

    // No RD_KAFKA_MSG_F_COPY: the payload stays in the source message, which
    // travels as msg_opaque and is destroyed after its delivery report.
    std::vector<rd_kafka_vu_t> vus;
    vus.reserve(7);
    rd_kafka_vu_t vu{};
    vu.vtype = RD_KAFKA_VTYPE_TOPIC;
    vu.u.cstr = topic.c_str();
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_PARTITION;
    vu.u.i32 = m->partition;
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_VALUE;
    vu.u.mem = {m->payload, m->len};
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_KEY;
    vu.u.mem = {m->key, m->key_len};
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vu.u.i64 = ts;
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu.u.ptr = m;
    vus.push_back(vu);
    if (headers) {
        vu.vtype = RD_KAFKA_VTYPE_HEADERS;
        vu.u.headers = headers.get();
        vus.push_back(vu);
    }
    // Counted first: its report may come (on another thread) before produceva returns.
    messages_.fetch_add(1, std::memory_order_relaxed);
    if (auto r = check(rd_kafka_produceva(rk_.get(), vus.data(), vus.size())); !r) {
        messages_.fetch_sub(1, std::memory_order_relaxed);
        return r;
    }
    (void)headers.release();  // owned by the produced message now
    (void)source.release();   // comes back in the delivery report
    return outcome::success();
}

Result<void> Producer::produce(const Record& record) {
    HeadersPtr headers;
    if (!record.headers.empty()) {
        headers.reset(rd_kafka_headers_new(record.headers.size()));
        for (const auto& h : record.headers) {
            rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                                h.value ? h.value->data() : nullptr,
                                h.value ? static_cast<ssize_t>(h.value->size()) : 0);
        }
    }
    std::vector<rd_kafka_vu_t> vus;
    rd_kafka_vu_t vu{};
    vu.vtype = RD_KAFKA_VTYPE_TOPIC;
    vu.u.cstr = record.topic.c_str();
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_PARTITION;
    vu.u.i32 = record.partition;
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu.u.i = RD_KAFKA_MSG_F_COPY;
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_VALUE;
    vu.u.mem = {record.value ? const_cast<char*>(record.value->data()) : nullptr,
                record.value ? record.value->size() : 0};
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_KEY;
    vu.u.mem = {record.key ? const_cast<char*>(record.key->data()) : nullptr,
                record.key ? record.key->size() : 0};
    vus.push_back(vu);
    vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vu.u.i64 = record.timestamp;
    vus.push_back(vu);
    if (headers) {
        vu.vtype = RD_KAFKA_VTYPE_HEADERS;
        vu.u.headers = headers.get();
        vus.push_back(vu);
    }
    messages_.fetch_add(1, std::memory_order_relaxed);
    if (auto r = check(rd_kafka_produceva(rk_.get(), vus.data(), vus.size())); !r) {
        messages_.fetch_sub(1, std::memory_order_relaxed);
        return r;
    }
    (void)headers.release();
    return outcome::success();
}

int Producer::poll(std::chrono::milliseconds timeout) {
    return rd_kafka_poll(rk_.get(), to_int_ms(timeout));
}

void Producer::wake() noexcept {
    if (main_queue_) rd_kafka_queue_yield(main_queue_.get());
}

Result<void> Producer::flush(std::chrono::milliseconds timeout) {
    return detail::flush_reported(rk_.get(), messages_, timeout, std::chrono::milliseconds(50));
}

void Producer::purge() noexcept {
    (void)rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

Result<void> Producer::refresh_metadata(const std::string& topic,
                                        std::chrono::milliseconds timeout) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), 0, rkt, &md, to_int_ms(timeout));
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    if (err) return make_error(err);
    return outcome::success();
}

int Producer::in_flight() const noexcept { return messages_.load(); }

void Producer::delivery_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* msg,
                                   void* /*opaque*/) noexcept {
    auto* self = static_cast<Producer*>(static_cast<ClientBase*>(rd_kafka_opaque(rk)));
    // The forwarded source message comes back through msg_opaque (_private).
    DeliveryReport report{Message(static_cast<rd_kafka_message_t*>(msg->_private)),
                          msg->rkt ? rd_kafka_topic_name(msg->rkt) : "",
                          msg->partition,
                          msg->offset,
                          make_error(msg->err),
                          msg->err ? rd_kafka_err2str(msg->err) : ""};
    if (self->handler_) {
        self->handler_->on_delivery(report);
    } else if (report.error) {
        spdlog::error("cluster '{}': delivery to {}[{}] failed: {}", self->cluster(),
                      report.topic, report.partition, report.error_message);
    }
    self->messages_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace kmirror::kafka
