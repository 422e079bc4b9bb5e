#include "kafka/admin.h"

#include "kafka/consumer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "kafka/error.h"
#include "kafka/rd_call.h"

namespace kmirror::kafka {
namespace {

using detail::to_int_ms;

/// `operation`: the ACL operation the request needs on each topic ("CREATE"),
/// named in the message when the broker refused it for want of that ACL.
std::vector<TopicResult> topic_results(const rd_kafka_topic_result_t* const* results,
                                       std::size_t n, std::string_view operation) {
    std::vector<TopicResult> out;
    for (std::size_t i = 0; i < n; ++i) {
        const auto err = rd_kafka_topic_result_error(results[i]);
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        const char* topic = rd_kafka_topic_result_name(results[i]);
        std::string text = msg ? msg : (err ? rd_kafka_err2str(err) : "");
        if (err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
            err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
            text = "not authorized: kmirror's user needs the " + std::string(operation) +
                   " operation on topic '" + topic + "' (an ACL; see docs/security.md): " + text +
                   " (" + rd_kafka_err2name(err) + ")";
        }
        out.push_back({topic, make_error(err), std::move(text)});
    }
    return out;
}

/// The code and text of a librdkafka error object ("" text: the code's).
std::pair<std::error_code, std::string> describe_error(const rd_kafka_error_t* err) {
    const char* text = rd_kafka_error_string(err);
    const auto code = rd_kafka_error_code(err);
    return {make_error(code), text && *text ? text : rd_kafka_err2str(code)};
}

/// Errors with which Kafka refuses an OffsetCommit without a generation
/// (AlterConsumerGroupOffsets) because the group has members.
bool means_active_members(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
           err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           err == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP;
}

/// "Broker: Unknown member (UNKNOWN_MEMBER_ID)", plus what it means for an
/// offset alteration.
std::string alter_error_text(rd_kafka_resp_err_t err, const std::string& text) {
    std::string out = text + " (" + rd_kafka_err2name(err) + ")";
    if (means_active_members(err)) {
        out += ": the group has active members; Kafka alters a group's offsets only while "
               "it has none, so stop its consumers first";
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

void Admin::serve_errors() {
    // Client errors (a refused password, all brokers down) are events on the
    // handle's main queue, which nothing else polls for an admin client: serve
    // them, so error callbacks, last_error() and access_error() see them.
    (void)rd_kafka_poll(rk_.get(), 0);
}

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
        EventPtr ev(rd_kafka_queue_poll(queue_.get(), to_int_ms(std::min(left, kServeStep))));
        serve_errors();
        if (ev && rd_kafka_event_type(ev.get()) == type) return ev;
    }
}

Result<ClusterMetadata> Admin::metadata(std::chrono::milliseconds timeout,
                                        const std::string* topic) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = topic ? rd_kafka_topic_new(rk_.get(), topic->c_str(), nullptr) : nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), rkt ? 0 : 1, rkt, &md, to_int_ms(timeout));
    if (rkt) rd_kafka_topic_destroy(rkt);
    serve_errors();
    if (err) return make_error(err);
    ClusterMetadata out;
    out.brokers = md->broker_cnt;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err) {  // e.g. UNKNOWN_TOPIC_OR_PART for a topic being deleted
            out.topic_errors[t.topic] = make_error(t.err);
            continue;
        }
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
    auto out = topic_results(res, n, "CREATE");
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
    return topic_results(res, n, "DELETE");
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

DetailedResult Admin::incremental_alter_topic_config(const std::string& topic,
                                                     const std::vector<ConfigChange>& changes,
                                                     std::chrono::milliseconds timeout) {
    if (changes.empty()) return outcome::success();
    ConfigResourcePtr cr(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    for (const auto& c : changes) {
        // A DELETE carries no value: the key returns to the broker's default.
        ErrorPtr err(rd_kafka_ConfigResource_add_incremental_config(
            cr.get(), c.name.c_str(),
            c.value ? RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET : RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
            c.value ? c.value->c_str() : nullptr));
        if (err) {
            auto [code, text] = describe_error(err.get());
            return Error(code, "config '" + c.name + "': " + text);
        }
    }
    auto* raw = cr.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, timeout);
    rd_kafka_IncrementalAlterConfigs(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT, timeout);
    if (!ev) {
        return Error(make_error(RD_KAFKA_RESP_ERR__TIMED_OUT),
                     "no answer to IncrementalAlterConfigs within " +
                         std::to_string(timeout.count()) + " ms");
    }
    if (auto err = rd_kafka_event_error(ev.get()); err) {
        return Error(make_error(err), rd_kafka_event_error_string(ev.get()));
    }
    std::size_t n = 0;
    const auto* res = rd_kafka_IncrementalAlterConfigs_result_resources(
        rd_kafka_event_IncrementalAlterConfigs_result(ev.get()), &n);
    if (n != 1) {
        return Error(make_error(RD_KAFKA_RESP_ERR__BAD_MSG),
                     std::to_string(n) + " resource results to IncrementalAlterConfigs, not 1");
    }
    if (auto err = rd_kafka_ConfigResource_error(res[0]); err) {
        // The broker's text says why (INVALID_CONFIG, POLICY_VIOLATION), usually naming the key.
        const char* text = rd_kafka_ConfigResource_error_string(res[0]);
        return Error(make_error(err), text && *text ? text : rd_kafka_err2str(err));
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

std::vector<TopicPartitionOffset> Admin::earliest_offsets(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
    // ListOffsets timestamp -2 means "earliest".
    return list_offsets(rk_.get(), partitions, -2, timeout);
}

std::vector<TopicPartitionOffset> Admin::latest_offsets(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
    // ListOffsets timestamp -1 means "latest".
    return list_offsets(rk_.get(), partitions, -1, timeout);
}

Result<std::vector<GroupListing>> Admin::list_groups(std::chrono::milliseconds timeout) {
    auto opts = options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout);
    rd_kafka_ListConsumerGroups(rk_.get(), opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    const auto* res = rd_kafka_event_ListConsumerGroups_result(ev.get());
    std::size_t n = 0;
    const auto* valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    std::size_t n_errors = 0;
    const auto* errors = rd_kafka_ListConsumerGroups_result_errors(res, &n_errors);
    // Each broker lists the groups it coordinates; one that did not answer
    // only hides its own groups.
    if (n == 0 && n_errors > 0) return make_error(rd_kafka_error_code(errors[0]));
    std::vector<GroupListing> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back({rd_kafka_ConsumerGroupListing_group_id(valid[i]),
                       rd_kafka_consumer_group_state_name(
                           rd_kafka_ConsumerGroupListing_state(valid[i])),
                       rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
    }
    return out;
}

Result<std::vector<GroupDescription>> Admin::describe_groups(
    const std::vector<std::string>& groups, std::chrono::milliseconds timeout) {
    // librdkafka refuses an empty request and one that names a group twice.
    std::vector<const char*> names;
    std::set<std::string_view> seen;
    for (const auto& g : groups) {
        if (seen.insert(g).second) names.push_back(g.c_str());
    }
    if (names.empty()) return std::vector<GroupDescription>{};
    auto opts = options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout);
    rd_kafka_DescribeConsumerGroups(rk_.get(), names.data(), names.size(), opts.get(),
                                    queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    std::size_t n = 0;
    const auto* res = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
    std::vector<GroupDescription> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto* d = res[i];
        GroupDescription g;
        g.group_id = rd_kafka_ConsumerGroupDescription_group_id(d);
        g.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
        if (const auto* err = rd_kafka_ConsumerGroupDescription_error(d)) {
            std::tie(g.error, g.message) = describe_error(err);
        }
        const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
        g.members.reserve(members);
        for (std::size_t m = 0; m < members; ++m) {
            const auto* md = rd_kafka_ConsumerGroupDescription_member(d, m);
            const char* host = rd_kafka_MemberDescription_host(md);
            const char* client_id = rd_kafka_MemberDescription_client_id(md);
            g.members.push_back({rd_kafka_MemberDescription_consumer_id(md),
                                 client_id ? client_id : "", host ? host : ""});
        }
        out.push_back(std::move(g));
    }
    return out;
}

Result<std::vector<GroupOffset>> Admin::list_group_offsets(const std::string& group,
                                                           std::chrono::milliseconds timeout) {
    // No partitions: every partition the group committed. librdkafka takes
    // one group per request.
    ListConsumerGroupOffsetsPtr req(rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr));
    auto* raw = req.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout);
    rd_kafka_ListConsumerGroupOffsets(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout);
    if (!ev) return make_error(RD_KAFKA_RESP_ERR__TIMED_OUT);
    if (auto err = rd_kafka_event_error(ev.get()); err) return make_error(err);
    std::size_t n = 0;
    const auto* res = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &n);
    if (n != 1) return make_error(RD_KAFKA_RESP_ERR__BAD_MSG);
    if (const auto* err = rd_kafka_group_result_error(res[0])) {
        return make_error(rd_kafka_error_code(err));
    }
    std::vector<GroupOffset> out;
    const auto* list = rd_kafka_group_result_partitions(res[0]);
    if (!list) return out;
    for (int i = 0; i < list->cnt; ++i) {
        const auto& p = list->elems[i];
        // A partition the broker could not read (e.g. UNSTABLE_OFFSET_COMMIT)
        // fails the call: leaving it out would read as "never committed".
        if (p.err) return make_error(p.err);
        if (p.offset < 0) continue;
        out.push_back({p.topic, p.partition, p.offset,
                       p.metadata ? std::string(static_cast<const char*>(p.metadata),
                                                p.metadata_size)
                                  : std::string()});
    }
    return out;
}

DetailedResult Admin::alter_group_offsets(const std::string& group,
                                          const std::vector<GroupOffset>& offsets,
                                          std::chrono::milliseconds timeout) {
    auto fail = [&](rd_kafka_resp_err_t err, const std::string& what) {
        return Error(make_error(err), "group '" + group + "': " + what);
    };
    if (offsets.empty()) return outcome::success();
    TopicPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& o : offsets) {
        auto* p = rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition);
        p->offset = o.offset;
        if (!o.metadata.empty()) {
            // The list frees its metadata with librdkafka's allocator.
            p->metadata = rd_kafka_mem_malloc(rk_.get(), o.metadata.size());
            std::memcpy(p->metadata, o.metadata.data(), o.metadata.size());
            p->metadata_size = o.metadata.size();
        }
    }
    // librdkafka takes one group per request; the request copies the list.
    AlterConsumerGroupOffsetsPtr req(
        rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));
    auto* raw = req.get();
    auto opts = options(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout);
    rd_kafka_AlterConsumerGroupOffsets(rk_.get(), &raw, 1, opts.get(), queue_.get());
    auto ev = wait_result(RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, timeout);
    if (!ev) {
        return fail(RD_KAFKA_RESP_ERR__TIMED_OUT,
                    "no answer to AlterConsumerGroupOffsets within " +
                        std::to_string(timeout.count()) + " ms");
    }
    if (auto err = rd_kafka_event_error(ev.get()); err) {
        return fail(err, alter_error_text(err, rd_kafka_event_error_string(ev.get())));
    }
    std::size_t n = 0;
    const auto* res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
    if (n != 1) {
        return fail(RD_KAFKA_RESP_ERR__BAD_MSG,
                    std::to_string(n) + " group results to AlterConsumerGroupOffsets, not 1");
    }
    if (const auto* err = rd_kafka_group_result_error(res[0])) {
        const auto code = rd_kafka_error_code(err);
        return fail(code, alter_error_text(code, describe_error(err).second));
    }
    if (const auto* parts = rd_kafka_group_result_partitions(res[0])) {
        for (int i = 0; i < parts->cnt; ++i) {
            const auto& p = parts->elems[i];
            if (!p.err) continue;
            return fail(p.err, "cannot alter the offset of " + std::string(p.topic) + "[" +
                                   std::to_string(p.partition) +
                                   "]: " + alter_error_text(p.err, rd_kafka_err2str(p.err)));
        }
    }
    return outcome::success();
}

}  // namespace kmirror::kafka
