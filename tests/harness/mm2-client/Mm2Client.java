// Mm2Client: runs MirrorMaker 2's own Java code against a cluster, so tests can
// compare kmirror's offset translation and offset syncs with what MM2 computes.
// No build system: tests/harness/mm2-client.sh compiles it with javac against
// the jars of `fetch-kafka.sh --mm2` (connect-mirror, connect-mirror-client,
// kafka-clients of one MM2 release) and runs it.
//
//   Mm2Client translate --bootstrap HOST:PORT --source-alias ALIAS --group G
//                       [--timeout-ms N] [--property KEY=VALUE]...
//       RemoteClusterUtils.translateOffsets(props, ALIAS, G, timeout) against the
//       TARGET cluster (where ALIAS.checkpoints.internal lives; an error if that
//       topic does not exist). stdout, sorted by topic then partition (numeric),
//       one line per partition (none when G has no checkpoints):
//           TOPIC PARTITION OFFSET
//
//   Mm2Client offset-syncs --bootstrap HOST:PORT --topic mm2-offset-syncs.ALIAS.internal
//                          [--timeout-ms N] [--property KEY=VALUE]...
//       Reads partition 0 of the topic from the beginning to its end offset and
//       decodes each record with org.apache.kafka.connect.mirror.OffsetSync
//       .deserializeRecord. stdout, in topic order (duplicates kept), one line
//       per record:
//           TOPIC PARTITION UPSTREAM_OFFSET DOWNSTREAM_OFFSET
//
// --property adds a client config (e.g. security.protocol=SASL_SSL); repeatable.
// --timeout-ms defaults to 30000. Exit 0 on success; 1 on any error, 2 on bad
// usage, with a message on stderr. Nothing is printed to stdout on failure.

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.mirror.MirrorClient;
import org.apache.kafka.connect.mirror.OffsetSync;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public final class Mm2Client {
    private static final String USAGE = String.join("\n",
            "usage: mm2-client.sh translate --bootstrap HOST:PORT --source-alias ALIAS --group G"
                    + " [--timeout-ms N] [--property K=V]...",
            "       mm2-client.sh offset-syncs --bootstrap HOST:PORT --topic TOPIC"
                    + " [--timeout-ms N] [--property K=V]...");

    /** Bad command line: exit 2. */
    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private static final class Options {
        String bootstrap;
        String sourceAlias;
        String group;
        String topic;
        long timeoutMs = 30_000;
        final Map<String, Object> properties = new HashMap<>();
    }

    public static void main(String[] args) {
        int code;
        try {
            String out = run(args);
            System.out.print(out);
            System.out.flush();
            code = System.out.checkError() ? 1 : 0;
        } catch (UsageException e) {
            System.err.println("mm2-client: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (Throwable e) {
            System.err.println("mm2-client: " + describe(e));
            code = 1;
        }
        System.exit(code);
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append("; caused by ").append(c);
        }
        return s.toString();
    }

    private static String run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new UsageException("missing command");
        }
        String command = args[0];
        Options o = parse(args);
        switch (command) {
            case "translate":
                require(o.bootstrap, "--bootstrap");
                require(o.sourceAlias, "--source-alias");
                require(o.group, "--group");
                if (o.topic != null) {
                    throw new UsageException("translate takes no --topic");
                }
                return translate(o);
            case "offset-syncs":
                require(o.bootstrap, "--bootstrap");
                require(o.topic, "--topic");
                if (o.sourceAlias != null || o.group != null) {
                    throw new UsageException("offset-syncs takes no --source-alias or --group");
                }
                return offsetSyncs(o);
            default:
                throw new UsageException("unknown command '" + command + "'");
        }
    }

    private static void require(String value, String option) throws UsageException {
        if (value == null || value.isEmpty()) {
            throw new UsageException("missing " + option);
        }
    }

    private static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 1; i < args.length; i += 2) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new UsageException("option " + name + " needs a value");
            }
            String value = args[i + 1];
            switch (name) {
                case "--bootstrap":
                    o.bootstrap = value;
                    break;
                case "--source-alias":
                    o.sourceAlias = value;
                    break;
                case "--group":
                    o.group = value;
                    break;
                case "--topic":
                    o.topic = value;
                    break;
                case "--timeout-ms":
                    try {
                        o.timeoutMs = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--timeout-ms wants a number, got '" + value + "'");
                    }
                    if (o.timeoutMs <= 0) {
                        throw new UsageException("--timeout-ms must be positive");
                    }
                    break;
                case "--property": {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new UsageException("--property wants KEY=VALUE, got '" + value + "'");
                    }
                    o.properties.put(value.substring(0, eq), value.substring(eq + 1));
                    break;
                }
                default:
                    throw new UsageException("unknown option '" + name + "'");
            }
        }
        return o;
    }

    private static Map<String, Object> clientProps(Options o) {
        Map<String, Object> props = new HashMap<>(o.properties);
        props.put("bootstrap.servers", o.bootstrap);
        return props;
    }

    private static final Comparator<TopicPartition> BY_TOPIC_PARTITION =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    /** MM2's RemoteClusterUtils.translateOffsets, as a consumer application would call it. */
    private static String translate(Options o) throws Exception {
        long deadline = System.currentTimeMillis() + o.timeoutMs;
        // MirrorClient waits default.api.timeout.ms (60 s, not settable through it)
        // for a checkpoints topic that does not exist: fail fast instead, with the
        // checkpoints topic name MirrorClient itself uses (its ReplicationPolicy).
        String checkpoints;
        try (MirrorClient client = new MirrorClient(clientProps(o))) {
            checkpoints = client.replicationPolicy().checkpointsTopic(o.sourceAlias);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                clientProps(o), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(checkpoints, remaining(deadline, o, checkpoints));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic '" + checkpoints + "' does not exist");
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = RemoteClusterUtils.translateOffsets(
                clientProps(o), o.sourceAlias, o.group, remaining(deadline, o, checkpoints));
        Map<TopicPartition, OffsetAndMetadata> sorted = new TreeMap<>(BY_TOPIC_PARTITION);
        sorted.putAll(offsets);
        StringBuilder out = new StringBuilder();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : sorted.entrySet()) {
            out.append(e.getKey().topic()).append(' ').append(e.getKey().partition()).append(' ')
                    .append(e.getValue().offset()).append('\n');
        }
        return out.toString();
    }

    /** Every record of partition 0 of the offset-syncs topic, decoded by MM2's OffsetSync. */
    private static String offsetSyncs(Options o) throws Exception {
        Map<String, Object> props = clientProps(o);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kmirror-mm2-client");
        long deadline = System.currentTimeMillis() + o.timeoutMs;
        StringBuilder out = new StringBuilder();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(o.topic, remaining(deadline, o, o.topic));
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic '" + o.topic + "' does not exist");
            }
            TopicPartition tp = new TopicPartition(o.topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), remaining(deadline, o, o.topic)).get(tp);
            while (consumer.position(tp, remaining(deadline, o, o.topic)) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(
                        Math.min(200, remaining(deadline, o, o.topic).toMillis())))) {
                    if (record.offset() >= end) {
                        continue; // written after we looked up the end offset
                    }
                    OffsetSync sync;
                    try {
                        sync = OffsetSync.deserializeRecord(record);
                    } catch (RuntimeException e) {
                        throw new IllegalStateException(
                                "record at " + o.topic + "-0@" + record.offset() + " is no OffsetSync", e);
                    }
                    out.append(sync.topicPartition().topic()).append(' ')
                            .append(sync.topicPartition().partition()).append(' ')
                            .append(sync.upstreamOffset()).append(' ')
                            .append(sync.downstreamOffset()).append('\n');
                }
            }
        }
        return out.toString();
    }

    private static Duration remaining(long deadline, Options o, String topic) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
            throw new org.apache.kafka.common.errors.TimeoutException(
                    "timed out after " + o.timeoutMs + " ms reading " + topic);
        }
        return Duration.ofMillis(left);
    }
}
