#include "bench/tool/raw_clients.h"

#include <array>
#include <stdexcept>
#include <thread>

namespace kmirror::bench {
namespace {

using namespace std::chrono_literals;

kafka::ConfPtr make_conf(const std::string& bootstrap, const Props& props) {
    kafka::ConfPtr conf(rd_kafka_conf_new());
    std::array<char, 512> err{};
    const auto set = [&](const std::string& k, const std::string& v) {
        if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err.data(), err.size()) !=
            RD_KAFKA_CONF_OK) {
            throw std::runtime_error("librdkafka setting " + k + "=" + v + ": " + err.data());
        }
    };
    set("bootstrap.servers", bootstrap);
    set("client.id", "mirror-bench");
    // Errors only: warnings such as a fresh cluster's "coordinator load in
    // progress: retrying" would only clutter the benchmark's output.
    set("log_level", "3");
    for (const auto& [k, v] : props) set(k, v);
    return conf;
}

kafka::HandlePtr make_handle(rd_kafka_type_t type, kafka::ConfPtr conf) {
    std::array<char, 512> err{};
    kafka::HandlePtr rk(rd_kafka_new(type, conf.get(), err.data(), err.size()));
    if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err.data());
    (void)conf.release();  // owned by rk now
    return rk;
}

int to_ms(std::chrono::milliseconds t) { return static_cast<int>(t.count()); }

}  // namespace

RawProducer::RawProducer(const std::string& bootstrap, const std::string& topic,
                         const Props& props) {
    Props all{{"enable.idempotence", "true"}, {"acks", "all"}};
    all.insert(all.end(), props.begin(), props.end());
    auto conf = make_conf(bootstrap, all);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &RawProducer::on_delivery);
    rk_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
    rkt_.reset(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
    if (!rkt_) throw std::runtime_error("rd_kafka_topic_new(" + topic + ") failed");
}

RawProducer::~RawProducer() {
    if (!rk_) return;
    // Whatever is still queued (after a failure) is dropped, not waited for.
    (void)rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    (void)rd_kafka_flush(rk_.get(), 5000);
}

bool RawProducer::send(std::int32_t partition, std::string_view key, std::string_view value,
                       std::int64_t timestamp_ms) {
    std::array<rd_kafka_vu_t, 6> vu{};
    vu[0].vtype = RD_KAFKA_VTYPE_RKT;
    vu[0].u.rkt = rkt_.get();
    vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[1].u.i32 = partition;
    vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[2].u.i = RD_KAFKA_MSG_F_COPY;
    vu[3].vtype = RD_KAFKA_VTYPE_KEY;
    vu[3].u.mem = {const_cast<char*>(key.data()), key.size()};
    vu[4].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[4].u.mem = {const_cast<char*>(value.data()), value.size()};
    vu[5].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vu[5].u.i64 = timestamp_ms;
    while (!broken_.load(std::memory_order_relaxed)) {
        kafka::ErrorPtr err(rd_kafka_produceva(rk_.get(), vu.data(), vu.size()));
        if (!err) return true;
        if (rd_kafka_error_code(err.get()) != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            record_error(std::string("produce: ") + rd_kafka_error_string(err.get()));
            return false;
        }
        (void)rd_kafka_poll(rk_.get(), 10);
    }
    return false;
}

void RawProducer::poll() noexcept { (void)rd_kafka_poll(rk_.get(), 0); }

bool RawProducer::flush(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (rd_kafka_outq_len(rk_.get()) > 0) {
        if (broken_) return false;
        if (std::chrono::steady_clock::now() > deadline) return false;
        (void)rd_kafka_flush(rk_.get(), 100);
    }
    return !broken_ && failed_ == 0;
}

std::string RawProducer::first_error() const {
    return broken_.load() ? first_error_ : std::string();
}

void RawProducer::record_error(std::string text) {
    if (broken_.load()) return;
    first_error_ = std::move(text);
    broken_.store(true);
}

void RawProducer::on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m,
                              void* opaque) noexcept {
    auto* self = static_cast<RawProducer*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        self->delivered_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    self->failed_.fetch_add(1, std::memory_order_relaxed);
    try {
        self->record_error(std::string("delivery: ") + rd_kafka_err2str(m->err));
    } catch (...) {
        self->broken_.store(true);  // the text could not be kept; the failure is
    }
}

Props bulk_producer_props(std::int64_t record_size) {
    Props props{{"queue.buffering.max.messages", "1000000"}};
    if (record_size + 1024 > 1'000'000) {
        props.emplace_back("message.max.bytes", std::to_string(2 * record_size + 65536));
    }
    return props;
}

RawConsumer::RawConsumer(const std::string& bootstrap, const Props& props) {
    // librdkafka refuses assign() without a group.id; the group is never
    // joined (no subscribe) and nothing is committed to it.
    Props all{{"group.id", "mirror-bench"},
              {"enable.auto.commit", "false"},
              {"enable.auto.offset.store", "false"}};
    all.insert(all.end(), props.begin(), props.end());
    rk_ = make_handle(RD_KAFKA_CONSUMER, make_conf(bootstrap, all));
    rd_kafka_poll_set_consumer(rk_.get());
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
}

RawConsumer::~RawConsumer() {
    queue_.reset();
    // No group, so nothing to leave; close only stops the fetchers.
    if (rk_) (void)rd_kafka_consumer_close(rk_.get());
}

void RawConsumer::assign(const std::string& topic, const std::vector<std::int64_t>& offsets) {
    kafka::TopicPartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (std::size_t p = 0; p < offsets.size(); ++p) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<std::int32_t>(p))
            ->offset = offsets[p];
    }
    if (const auto err = rd_kafka_assign(rk_.get(), list.get())) {
        throw std::runtime_error("assign " + topic + ": " + rd_kafka_err2str(err));
    }
}

std::size_t RawConsumer::consume(std::vector<kafka::MessagePtr>& out, std::size_t max,
                                 std::chrono::milliseconds timeout) {
    // rd_kafka_consume_batch_queue waits until the batch is full or the
    // timeout passed, which would add up to `timeout` to every arrival the
    // latency probe sees: wait for one message, then take what else is there.
    batch_.resize(max);
    batch_[0] = rd_kafka_consumer_poll(rk_.get(), to_ms(timeout));
    if (!batch_[0]) return 0;
    ssize_t n = 1;
    if (max > 1) {
        const auto more = rd_kafka_consume_batch_queue(queue_.get(), 0, batch_.data() + 1, max - 1);
        if (more > 0) n += more;
    }
    std::size_t kept = 0;
    for (ssize_t i = 0; i < n; ++i) {
        kafka::MessagePtr m(batch_[static_cast<std::size_t>(i)]);
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.push_back(std::move(m));
            ++kept;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (errors_++ == 0) first_error_ = rd_kafka_message_errstr(m.get());
        }
    }
    return kept;
}

}  // namespace kmirror::bench
