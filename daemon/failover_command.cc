#include "daemon/failover_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include "checkpoints/offset_range_store.h"
#include "daemon/group_translator.h"
#include "daemon/json_writer.h"
#include "replicator/flow.h"
#include "replicator/group_coordinator.h"
#include "replicator/group_offset_sync.h"

namespace kmirror::daemon {
namespace {

const char* exactness_name(checkpoints::Exactness e) {
    switch (e) {
        case checkpoints::Exactness::exact: return "exact";
        case checkpoints::Exactness::conservative: return "conservative";
        case checkpoints::Exactness::unknown: return "unknown";
    }
    return "unknown";
}

/// Outcome of writing one group on the target (failover --execute).
struct Written {
    bool attempted = false;
    bool ok = false;
    std::string error;
};

std::string describe(const PartitionTranslation& p) {
    std::string s = exactness_name(p.exactness);
    if (p.exactness == checkpoints::Exactness::conservative) {
        if (p.from_checkpoint) {
            s += " (from the last checkpoint; no local ranges)";
        } else if (p.rereads > 0) {
            s += " (re-reads " + std::to_string(p.rereads) + " record" +
                 (p.rereads == 1 ? "" : "s") + ")";
        }
    }
    return s;
}

void print_table(std::ostream& out, const GroupTranslation& g, const Written& w) {
    out << "group '" << g.group << "'";
    if (w.attempted) out << (w.ok ? ": offsets written to the target" : ": NOT written: " + w.error);
    out << "\n";
    std::size_t topic_w = 5;
    std::size_t target_w = 12;
    for (const auto& p : g.partitions) {
        topic_w = std::max(topic_w, p.topic.size());
        target_w = std::max(target_w, p.target_topic.size());
    }
    char line[1024];
    const auto row = [&](const std::string& topic, const std::string& partition,
                         const std::string& source, const std::string& target_topic,
                         const std::string& target, const std::string& translation) {
        std::snprintf(line, sizeof line, "  %-*s  %9s  %13s  %-*s  %13s  %s\n",
                      static_cast<int>(topic_w), topic.c_str(), partition.c_str(), source.c_str(),
                      static_cast<int>(target_w), target_topic.c_str(), target.c_str(),
                      translation.c_str());
        out << line;
    };
    row("TOPIC", "PARTITION", "SOURCE_OFFSET", "TARGET_TOPIC", "TARGET_OFFSET", "TRANSLATION");
    for (const auto& p : g.partitions) {
        row(p.topic, std::to_string(p.partition), std::to_string(p.source_offset), p.target_topic,
            p.target_offset < 0 ? "-" : std::to_string(p.target_offset), describe(p));
    }
}

void write_json(JsonWriter& j, const GroupTranslation& g, const Written& w) {
    j.begin_object();
    j.key("group").value(g.group);
    if (w.attempted) {
        j.key("written").value(w.ok);
        if (!w.ok) j.key("error").value(w.error);
    }
    j.key("partitions").begin_array();
    for (const auto& p : g.partitions) {
        j.begin_object();
        j.key("topic").value(p.topic);
        j.key("partition").value(static_cast<std::int64_t>(p.partition));
        j.key("source_offset").value(p.source_offset);
        j.key("target_topic").value(p.target_topic);
        j.key("target_offset");
        if (p.target_offset < 0) {
            j.null();
        } else {
            j.value(p.target_offset);
        }
        j.key("exactness").value(exactness_name(p.exactness));
        j.key("rereads").value(p.rereads);
        j.key("from_checkpoint").value(p.from_checkpoint);
        j.end_object();
    }
    j.end_array();
    j.end_object();
}

/// Writes the translated offsets of `groups` into the target, refusing groups
/// with active members there. Returns the outcome per group.
std::map<std::string, Written> execute(const config::Config& config, const config::Flow& flow,
                                       const std::vector<GroupTranslation>& groups) {
    std::map<std::string, Written> out;
    const auto settings = replicator::client_settings(config.clusters.at(flow.target));
    // A DR cluster no consumer ever used has no __consumer_offsets yet: create
    // it the safe way before the admin offset calls (replicator/group_coordinator.h).
    if (!replicator::wait_for_group_coordinator(settings, "kmirror.cli.coordinator-probe",
                                                config.connect_timeout)) {
        for (const auto& g : groups) {
            out[g.group] = {true, false,
                            "the group coordinator of target cluster '" + flow.target +
                                "' did not answer within " +
                                std::to_string(config.connect_timeout.count()) + " ms"};
        }
        return out;
    }
    kafka::Admin target(settings, kafka::Overrides{{"client.id", "kmirror-cli"}});
    std::vector<std::string> names;
    for (const auto& g : groups) names.push_back(g.group);
    auto described = target.describe_groups(names, config.connect_timeout);
    if (!described) {
        for (const auto& g : groups) {
            out[g.group] = {true, false,
                            "cannot describe the group on target cluster '" + flow.target +
                                "': " + described.error().message()};
        }
        return out;
    }
    std::map<std::string, const kafka::GroupDescription*> by_name;
    for (const auto& d : described.value()) by_name[d.group_id] = &d;
    for (const auto& g : groups) {
        Written& w = out[g.group];
        w.attempted = true;
        auto d = by_name.find(g.group);
        if (d == by_name.end()) {
            w.error = "the target cluster did not describe the group";
            continue;
        }
        if (replicator::has_active_members(*d->second)) {
            w.error = "the group has " + std::to_string(d->second->members.size()) +
                      " active member(s) on target cluster '" + flow.target +
                      "'; stop its consumers there first";
            continue;
        }
        std::vector<kafka::GroupOffset> offsets;
        for (const auto& p : g.partitions) {
            if (p.target_offset >= 0) {
                offsets.push_back({p.target_topic, p.partition, p.target_offset, p.metadata});
            }
        }
        if (offsets.empty()) {
            w.error = "no partition could be translated";
            continue;
        }
        if (auto r = target.alter_group_offsets(g.group, offsets, config.connect_timeout); !r) {
            w.error = r.error().message();
            if (auto last = target.last_error(); !last.empty()) w.error += " (" + last + ")";
            continue;
        }
        w.ok = true;
    }
    return out;
}

}  // namespace

int run_translation_command(const config::Config& config, const Command& cmd) {
    const config::Flow* flow = nullptr;
    std::string names;
    for (const auto& f : config.flows) {
        if (f.name == cmd.flow) flow = &f;
        names += (names.empty() ? "" : ", ") + f.name;
    }
    if (flow == nullptr) {
        std::cerr << "kmirror: no flow named '" << cmd.flow << "' in " << cmd.config_path
                  << " (flows: " << names << ")\n";
        return kExitUsage;
    }
    const auto paths =
        cmd.state_paths.empty() ? std::vector<std::string>{config.state.path} : cmd.state_paths;
    std::vector<std::unique_ptr<checkpoints::OffsetRangeStore>> stores;
    std::vector<const checkpoints::OffsetRangeStore*> readers;
    for (const auto& path : paths) {
        // A file named on the command line is a copy to read: a typo must not
        // create an empty store that translates nothing.
        if (!cmd.state_paths.empty() && !std::filesystem::exists(path)) {
            std::cerr << "kmirror: the state file '" << path << "' does not exist\n";
            return kExitFailure;
        }
        auto store = checkpoints::OffsetRangeStore::open(path);
        if (!store) {
            std::cerr << "kmirror: cannot open the state file '" << path
                      << "': " << store.error().message() << "\n";
            return kExitFailure;
        }
        stores.push_back(std::move(store).value());
        readers.push_back(stores.back().get());
    }
    const bool failover = cmd.kind == CommandKind::failover;
    try {
        GroupTranslator translator(config, *flow, std::move(readers));
        std::cerr << "flow '" << flow->name << "': " << translator.basis() << "\n";
        std::vector<std::string> groups{cmd.group};
        if (cmd.all_groups) groups = translator.groups();
        std::vector<GroupTranslation> translated;
        bool failed = false;
        for (const auto& g : groups) {
            try {
                translated.push_back(translator.translate(g));
            } catch (const TranslateError& e) {
                if (!cmd.all_groups) throw;
                // A listed group with nothing to translate for this flow: skip it.
                (void)e;
            }
        }
        std::map<std::string, Written> written;
        if (failover && cmd.execute) written = execute(config, *flow, translated);
        if (cmd.format == OutputFormat::json) {
            JsonWriter j;
            j.begin_object();
            j.key("flow").value(flow->name);
            j.key("source_reachable").value(translator.source_reachable());
            if (failover) j.key("executed").value(cmd.execute);
            j.key("groups").begin_array();
            for (const auto& g : translated) write_json(j, g, written[g.group]);
            j.end_array();
            j.end_object();
            std::cout << j.str() << "\n";
        } else {
            for (const auto& g : translated) print_table(std::cout, g, written[g.group]);
            if (failover && !cmd.execute) {
                std::cout << "dry run: nothing written; add --execute to write these offsets "
                             "into the groups on target cluster '"
                          << flow->target << "'\n";
            }
        }
        for (const auto& [group, w] : written) {
            if (w.attempted && !w.ok) {
                std::cerr << "kmirror: group '" << group << "' not failed over: " << w.error
                          << "\n";
                failed = true;
            }
        }
        return failed ? kExitFailure : kExitOk;
    } catch (const TranslateError& e) {
        std::cerr << "kmirror: " << e.what() << "\n";
        return kExitFailure;
    } catch (const kafka::ConfigError& e) {
        std::cerr << "kmirror: " << e.what() << "\n";
        return kExitFailure;
    }
}

}  // namespace kmirror::daemon
