#include "kafka/admin.h"

#include <array>

#include "kafka/error.h"
#include "kafka/rd_call.h"

namespace kmirror::kafka {
namespace {

using detail::to_int_ms;

std::vector<TopicResult> topic_results(const rd_kafka_topic_result_t* const* results,
                                       std::size_t n) {
    std::vector<TopicResult> out;
    for (std::size_t i = 0; i < n; ++i) {
        const auto err = rd_kafka_topic_result_error(results[i]);
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        out.push_back({rd_kafka_topic_result_name(results[i]), make_error(err),
                       msg ? msg : (err ? rd_kafka_err2str(err) : "")});
    }
    return out;
}

}  // namespace

Admin::Admin(const ClientSettings& settings, const Overrides& overrides)
    : ClientBase(settings.cluster) {
    rk_ = create(RD_KAFKA_PRODUCER, build_conf(settings, overrides));
    queue_.reset(rd_kafka_queue_new(rk_.get()));
}

Admin::~Admin() = default;

AdminOptionsPtr Admin::options(rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
    AdminOptionsPtr opts(rd_kafka_AdminOptions_new(rk_.get(), op));
    std::array<char, 256> errstr{};
    (void)rd_kafka_AdminOptions_set_request_timeout(opts.get(), to_int_ms(timeout), errstr.data(),
                                                    errstr.size());
    (void)rd_kafka_AdminOptions_set_operation_timeout(opts.get(), to_int_ms(timeout),
                                                      errstr.data(), errstr.size());
    return opts;
}

EventPtr Admin::wait_result(rd_kafka_event_type_t type, std::chrono::milliseconds timeout) {
    // The request timeout bounds the wait; the extra second covers scheduling.
    const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(1);
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return nullptr;
        EventPtr ev(rd_kafka_queue_poll(queue_.get(), to_int_ms(left)));
        if (ev && rd_kafka_event_type(ev.get()) == type) return ev;
    }
}

Result<ClusterMetadata> Admin::metadata(std::chrono::milliseconds timeout,
                                        const std::string* topic) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = topic ? rd_kafka_topic_new(rk_.get(), topic->c_str(), nullptr) : nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), rkt ? 0 : 1, rkt, &md, to_int_ms(timeout));
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (err) return make_error(err);
    ClusterMetadata out;
    out.brokers = md->broker_cnt;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err) continue;  // e.g. UNKNOWN_TOPIC_OR_PART for a topic being deleted
        out.topics.push_back({t.topic, t.partition_cnt,
                              t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0});
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

std::vector<TopicResult> Admin::create_topics(const std::vector<NewTopic>& topics,
                                              std::chrono::milliseconds timeout) {
    std::vector<NewTopicPtr> owned;
    std::vector<rd_kafka_NewTopic_t*> raw;
    std::array<char, 512> errstr{};
    std::vector<TopicResult> failed;
    for (const auto& t : topics) {
        NewTopicPtr nt(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor,
                                             errstr.data(), errstr.size()));
        if (!nt) {
            failed.push_back({t.name, make_error(RD_KAFKA_RESP_ERR__INVALID_ARG), errstr.data()});
            continue;
        }
        for (const auto& [k, v] : t.configs) {
            (void)rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str());
        }
        raw.push_back(nt.get());
        owned.push_back(std::move(nt));
    }
    if (raw.empty()) return failed;
    auto opts = options(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
    rd_kafka_CreateTopics(rk_.get(), raw.data(), raw.size(), opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout);
    if (!ev) {
        for (const auto& t : topics) {
            failed.push_back({t.name, make_error(RD_KAFKA_RESP_ERR__TIMED_OUT), "timed out"});
        }
        return failed;
    }
    if (auto err = rd_kafka_event_error(ev.get()); err) {
        for (const auto& t : topics) {
            failed.push_back({t.name, make_error(err), rd_kafka_event_error_string(ev.get())});
        }
        return failed;
    }
    std::size_t n = 0;
    const auto* res = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(ev.get()), &n);
    auto out = topic_results(res, n);
    out.insert(out.end(), failed.begin(), failed.end());
    return out;
}

std::vector<TopicResult> Admin::delete_topics(const std::vector<std::string>& topics,
                                              std::chrono::milliseconds timeout) {
    std::vector<DeleteTopicPtr> owned;
    std::vector<rd_kafka_DeleteTopic_t*> raw;
    for (const auto& t : topics) {
        owned.emplace_back(rd_kafka_DeleteTopic_new(t.c_str()));
        raw.push_back(owned.back().get());
    }
    auto opts = options(RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout);
    rd_kafka_DeleteTopics(rk_.get(), raw.data(), raw.size(), opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout);
    std::vector<TopicResult> out;
    if (!ev) {
        for (const auto& t : topics) {
            out.push_back({t, make_error(RD_KAFKA_RESP_ERR__TIMED_OUT), "timed out"});
        }
        return out;
    }
    std::size_t n = 0;
    const auto* res = rd_kafka_DeleteTopics_result_topics(
        rd_kafka_event_DeleteTopics_result(ev.get()), &n);
    return topic_results(res, n);
}

Result<void> Admin::create_partitions(const std::string& topic, int total,
                                      std::chrono::milliseconds timeout) {
    std::array<char, 512> errstr{};
    NewPartitionsPtr np(rd_kafka_NewPartitions_new(topic.c_str(), static_cast<std::size_t>(total),
                                                   errstr.data(), errstr.size()));
    if (!np) return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
    auto* raw = np.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout);
    rd_kafka_CreatePartitions(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    std::size_t n = 0;
    const auto* res = rd_kafka_CreatePartitions_result_topics(
        rd_kafka_event_CreatePartitions_result(ev.get()), &n);
    if (n == 1 && rd_kafka_topic_result_error(res[0])) {
        return make_error(rd_kafka_topic_result_error(res[0]));
    }
    return outcome::success();
}

Result<std::vector<ConfigEntry>> Admin::describe_topic_config(const std::string& topic,
                                                              std::chrono::milliseconds timeout) {
    ConfigResourcePtr cr(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    auto* raw = cr.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
    rd_kafka_DescribeConfigs(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    std::size_t n = 0;
    const auto* res = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
    if (n != 1) return make_error(RD_KAFKA_RESP_ERR__BAD_MSG);
    if (auto err = rd_kafka_ConfigResource_error(res[0]); err) return make_error(err);
    std::size_t cnt = 0;
    const auto* entries = rd_kafka_ConfigResource_configs(res[0], &cnt);
    std::vector<ConfigEntry> out;
    for (std::size_t i = 0; i < cnt; ++i) {
        const auto* e = entries[i];
        const char* value = rd_kafka_ConfigEntry_value(e);
        const auto source = rd_kafka_ConfigEntry_source(e);
        out.push_back({rd_kafka_ConfigEntry_name(e), value ? value : "",
                       rd_kafka_ConfigEntry_is_default(e) != 0 ||
                           source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG,
                       rd_kafka_ConfigEntry_is_read_only(e) != 0,
                       rd_kafka_ConfigEntry_is_sensitive(e) != 0,
                       source == RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG ||
                           source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG ||
                           source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG});
    }
    return out;
}

Result<void> Admin::alter_topic_config(const std::string& topic,
                                       const std::map<std::string, std::string>& configs,
                                       std::chrono::milliseconds timeout) {
    ConfigResourcePtr cr(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    for (const auto& [k, v] : configs) {
        (void)rd_kafka_ConfigResource_set_config(cr.get(), k.c_str(), v.c_str());
    }
    auto* raw = cr.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout);
    rd_kafka_AlterConfigs(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    std::size_t n = 0;
    const auto* res = rd_kafka_AlterConfigs_result_resources(
        rd_kafka_event_AlterConfigs_result(ev.get()), &n);
    if (n == 1) {
        if (auto err = rd_kafka_ConfigResource_error(res[0]); err) return make_error(err);
    }
    return outcome::success();
}

Result<std::pair<std::int64_t, std::int64_t>> Admin::watermarks(
    const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low,
                                                    &high, to_int_ms(timeout));
        err) {
        return make_error(err);
    }
    return std::pair{low, high};
}

}  // namespace kmirror::kafka
