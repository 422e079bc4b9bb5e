// Self-test of tests/harness: the two clusters of TwoClusterEnvironment answer
// librdkafka, and a cluster keeps its topics and records across stop/start and
// kill/start. Talks to librdkafka's C API directly on purpose: it checks the
// harness, not kmirror's kafka/ layer.

#include "tests/harness/command.h"
#include "tests/harness/kafka_cluster.h"
#include "tests/harness/wait.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::harness {
namespace {

using namespace std::chrono_literals;

[[maybe_unused]] auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new TwoClusterEnvironment);

template <auto Fn>
struct CDeleter {
    void operator()(auto* p) const noexcept {
        if (p) {
            Fn(p);
        }
    }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, CDeleter<&rd_kafka_conf_destroy>>;
using KafkaPtr = std::unique_ptr<rd_kafka_t, CDeleter<&rd_kafka_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, CDeleter<&rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, CDeleter<&rd_kafka_event_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, CDeleter<&rd_kafka_message_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, CDeleter<&rd_kafka_NewTopic_destroy>>;
using TopicPartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                              CDeleter<&rd_kafka_topic_partition_list_destroy>>;
using MetadataPtr =
    std::unique_ptr<const rd_kafka_metadata_t, CDeleter<&rd_kafka_metadata_destroy>>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// Delivery report: the message opaque points at the caller's result slot.
void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* /*opaque*/) {
    if (m->_private != nullptr) {
        *static_cast<rd_kafka_resp_err_t*>(m->_private) = m->err;
    }
}

KafkaPtr make_client(const KafkaCluster& cluster, rd_kafka_type_t type,
                     const Properties& extra = {}) {
    ConfPtr conf(rd_kafka_conf_new());
    std::array<char, 512> err{};
    Properties props{{"bootstrap.servers", cluster.bootstrap()}};
    props.insert(props.end(), extra.begin(), extra.end());
    for (const auto& [key, value] : props) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err.data(), err.size()) !=
            RD_KAFKA_CONF_OK) {
            ADD_FAILURE() << key << ": " << err.data();
            return nullptr;
        }
    }
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    }
    KafkaPtr rk(rd_kafka_new(type, conf.get(), err.data(), err.size()));
    if (!rk) {
        ADD_FAILURE() << "rd_kafka_new: " << err.data();
        return nullptr;
    }
    static_cast<void>(conf.release());  // owned by rk from here on
    return rk;
}

MetadataPtr metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return nullptr;
    }
    return MetadataPtr(md);
}

// Partition count of `topic` in the cluster's metadata, or -1.
int partition_count(rd_kafka_t* rk, const std::string& topic) {
    const MetadataPtr md = metadata(rk, 2s);
    if (!md) {
        return -1;
    }
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        if (topic == t.topic && t.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return t.partition_cnt;
        }
    }
    return -1;
}

rd_kafka_resp_err_t create_topic(rd_kafka_t* rk, const std::string& topic, int partitions) {
    std::array<char, 512> err{};
    NewTopicPtr nt(rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err.data(), err.size()));
    if (!nt) {
        return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    const QueuePtr queue(rd_kafka_queue_new(rk));
    std::array<rd_kafka_NewTopic_t*, 1> topics{nt.get()};
    rd_kafka_CreateTopics(rk, topics.data(), topics.size(), nullptr, queue.get());
    const EventPtr ev(rd_kafka_queue_poll(queue.get(), static_cast<int>(scaled(30s).count())));
    if (!ev) {
        return RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return rd_kafka_event_error(ev.get());
    }
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
    return n == 1 ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR__FAIL;
}

// Produces one record to partition 0 and waits for its delivery report.
rd_kafka_resp_err_t produce_one(rd_kafka_t* rk, const std::string& topic,
                                const std::string& value) {
    rd_kafka_resp_err_t delivery = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    std::array<rd_kafka_vu_t, 5> vus{};
    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[0].u.cstr = topic.c_str();
    vus[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[1].u.i32 = 0;
    vus[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[2].u.mem.ptr = const_cast<char*>(value.data());
    vus[2].u.mem.size = value.size();
    vus[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[3].u.i = RD_KAFKA_MSG_F_COPY;
    vus[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[4].u.ptr = &delivery;
    if (rd_kafka_error_t* e = rd_kafka_produceva(rk, vus.data(), vus.size())) {
        const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        rd_kafka_error_destroy(e);
        return code;
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, static_cast<int>(scaled(30s).count()));
    return flushed != RD_KAFKA_RESP_ERR_NO_ERROR ? flushed : delivery;
}

// Values of partition 0 of `topic`, from offset 0, until `count` were read or
// the deadline passed.
std::vector<std::string> read_values(const KafkaCluster& cluster, const std::string& topic,
                                     std::size_t count) {
    std::vector<std::string> values;
    // assign() needs a group.id (librdkafka's consumer-group handle), though it
    // never joins the group.
    const KafkaPtr consumer =
        make_client(cluster, RD_KAFKA_CONSUMER,
                    {{"group.id", "harness-reader"}, {"enable.auto.commit", "false"}});
    if (!consumer) {
        return values;
    }
    const TopicPartitionListPtr tpl(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(tpl.get(), topic.c_str(), 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(consumer.get(), tpl.get())) {
        ADD_FAILURE() << "rd_kafka_assign: " << rd_kafka_err2str(err);
        return values;
    }
    static_cast<void>(poll_until(
        [&] {
            const MessagePtr m(rd_kafka_consumer_poll(consumer.get(), 100));
            if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                values.emplace_back(static_cast<const char*>(m->payload), m->len);
            }
            return values.size() >= count;
        },
        30s));
    rd_kafka_consumer_close(consumer.get());
    return values;
}

TEST(TwoClusterEnvironment, BothClustersAnswerMetadataOnTheirOwnPorts) {
    for (KafkaCluster* cluster : {&source(), &target()}) {
        SCOPED_TRACE(cluster->name());
        const KafkaPtr rk = make_client(*cluster, RD_KAFKA_PRODUCER);
        ASSERT_TRUE(rk);
        const MetadataPtr md = metadata(rk.get(), scaled(10s));
        ASSERT_TRUE(md) << "no metadata from " << cluster->bootstrap();
        ASSERT_EQ(md->broker_cnt, 1);
        EXPECT_EQ(md->brokers[0].id, 1);
        EXPECT_EQ(std::string(md->brokers[0].host), "127.0.0.1");
        EXPECT_EQ(md->brokers[0].port, cluster->port());
        EXPECT_TRUE(cluster->running());
    }
    EXPECT_NE(source().bootstrap(), target().bootstrap());
}

TEST(KafkaCluster, KeepsCreatedTopicAndRecordsAcrossStopAndStartAgain) {
    KafkaCluster& cluster = target();
    {
        const KafkaPtr producer = make_client(cluster, RD_KAFKA_PRODUCER, {{"acks", "all"}});
        ASSERT_TRUE(producer);
        ASSERT_EQ(create_topic(producer.get(), "harness.restart", 3), RD_KAFKA_RESP_ERR_NO_ERROR);
        ASSERT_TRUE(
            wait_until([&] { return partition_count(producer.get(), "harness.restart") == 3; }, 30s,
                       "harness.restart in the metadata"));
        ASSERT_EQ(produce_one(producer.get(), "harness.restart", "before stop"),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    cluster.stop();
    EXPECT_FALSE(cluster.running());
    cluster.start_again();
    EXPECT_TRUE(cluster.running());

    const KafkaPtr admin = make_client(cluster, RD_KAFKA_PRODUCER);
    ASSERT_TRUE(admin);
    ASSERT_TRUE(wait_until([&] { return partition_count(admin.get(), "harness.restart") == 3; },
                           30s, "harness.restart with 3 partitions after the restart"));
    EXPECT_EQ(read_values(cluster, "harness.restart", 1), std::vector<std::string>{"before stop"});
}

TEST(KafkaCluster, KeepsAcknowledgedRecordsAcrossKillAndStartAgain) {
    KafkaCluster& cluster = source();
    {
        const KafkaPtr producer = make_client(cluster, RD_KAFKA_PRODUCER, {{"acks", "all"}});
        ASSERT_TRUE(producer);
        ASSERT_EQ(create_topic(producer.get(), "harness.kill", 1), RD_KAFKA_RESP_ERR_NO_ERROR);
        ASSERT_TRUE(wait_until([&] { return partition_count(producer.get(), "harness.kill") == 1; },
                               30s, "harness.kill in the metadata"));
        ASSERT_EQ(produce_one(producer.get(), "harness.kill", "acked"), RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    cluster.kill();
    EXPECT_FALSE(cluster.running());
    cluster.start_again();

    EXPECT_EQ(read_values(cluster, "harness.kill", 1), std::vector<std::string>{"acked"});
}

TEST(RunCommand, CapturesStdoutStderrAndExitCode) {
    const CommandResult r = run_command("echo out; echo err >&2; exit 3");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.output, "out\nerr\n");
    EXPECT_FALSE(r.ok());
}

TEST(RunCommand, PassesArgvAndEnvironmentVerbatim) {
    const CommandResult r = run_command(
        std::vector<std::string>{"/bin/sh", "-c", "printf '%s|%s' \"$1\" \"$KM_X\"", "sh", "a b'c"},
        {.env = {{"KM_X", "$HOME 'quoted'"}}});
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_EQ(r.output, "a b'c|$HOME 'quoted'");
}

TEST(RunCommand, StopsACommandAtItsTimeout) {
    const CommandResult r = run_command("sleep 30", {.timeout = 200ms});
    EXPECT_EQ(r.exit_code, 124);
}

TEST(WaitUntil, ReturnsTrueOnceThePredicateHolds) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_until([&] { return std::chrono::steady_clock::now() - start > 50ms; }, 5s,
                           "50 ms to pass"));
}

TEST(WaitUntil, ReportsWhatItWaitedForOnTimeout) {
    EXPECT_NONFATAL_FAILURE(
        static_cast<void>(wait_until([] { return false; }, 20ms, "the impossible")),
        "waiting for: the impossible");
}

}  // namespace
}  // namespace kmirror::harness
