#include "config/validate.h"

#include "config/byte_size.h"
#include "config/reader.h"
#include "config/schema.h"
#include "config/security.h"

#include <string>

namespace kmirror::config {
namespace {

std::string flow_path(std::size_t i) { return "flows[" + std::to_string(i) + "]"; }

std::string describe_flow(const Config& config, std::size_t i) {
    return flow_path(i) + " ('" + config.flows[i].name + "')";
}

// Topic names written by a flow carry the source alias (prefix, or a template
// with {source}): two such flows from different sources can never write the
// same target topic, and one cannot write a topic back onto its own name.
bool names_carry_source(const Flow& flow) {
    return flow.rename.policy == RenamePolicy::prefix ||
           (flow.rename.policy == RenamePolicy::template_ &&
            flow.rename.format.find("{source}") != std::string::npos);
}

std::string cluster_list(const Config& config) {
    std::string out;
    for (const auto& [alias, cluster] : config.clusters) {
        out += (out.empty() ? "" : ", ") + alias;
    }
    return out;
}

void check_cluster_reference(Reader& reader, const Config& config, const std::string& path,
                             const std::string& alias) {
    // An empty alias was already reported while reading (missing or wrong type).
    if (alias.empty() || config.clusters.contains(alias)) {
        return;
    }
    reader.error(reader.mark_of(path), path,
                 "unknown cluster '" + alias + "'; defined clusters: " +
                     (config.clusters.empty() ? std::string("none") : cluster_list(config)));
}

void check_rename(Reader& reader, const Flow& flow, const std::string& path) {
    const std::string rename = path + ".rename";
    // A format that was given but invalid has been reported already.
    if (flow.rename.policy == RenamePolicy::template_ && flow.rename.format.empty() &&
        !reader.present(rename + ".format")) {
        reader.error(reader.mark_of(rename + ".policy"), rename + ".format",
                     "missing required key: the template policy needs a format such as "
                     "\"{source}.{topic}\"");
    }
    if (flow.rename.policy != RenamePolicy::template_ && !flow.rename.format.empty()) {
        reader.warning(reader.mark_of(rename + ".format"), rename + ".format",
                       "ignored: only the template policy uses a format (policy is " +
                           std::string(to_string(flow.rename.policy)) + ")");
    }
}

void check_flow_pair(Reader& reader, const Config& config, std::size_t earlier, std::size_t i) {
    const Flow& a = config.flows[earlier];
    const Flow& b = config.flows[i];
    const std::string path = flow_path(i);
    if (!a.name.empty() && a.name == b.name) {
        reader.error(reader.mark_of(path + ".name"), path + ".name",
                     "duplicate flow name '" + b.name + "' (also " + flow_path(earlier) + ")");
    }
    if (a.target.empty() || a.target != b.target || a.source.empty() || b.source.empty()) {
        return;
    }
    if (a.source == b.source) {
        reader.error(reader.mark_of(path + ".target"), path + ".target",
                     describe_flow(config, earlier) + " already mirrors '" + b.source + "' into '" +
                         b.target + "'; merge the two flows' topic filters");
        return;
    }
    if (!names_carry_source(a) && !names_carry_source(b)) {
        reader.error(reader.mark_of(path + ".rename"), path + ".rename",
                     describe_flow(config, earlier) + " also writes into cluster '" + b.target +
                         "', and neither flow puts the source alias in topic names, so both "
                         "can write the same topic; use the prefix policy or a template with "
                         "{source} for one of them");
    }
}

void check_memory_budget(Reader& reader, const Config& config) {
    std::int64_t workers = 0;
    for (const Flow& flow : config.flows) workers += flow.workers;
    const std::int64_t needed = workers * kMinWorkerMemory.bytes;
    if (workers == 0 || config.memory.budget.bytes >= needed) return;
    const std::int64_t fits = config.memory.budget.bytes / kMinWorkerMemory.bytes;
    reader.error(reader.mark_of("memory.budget"), "memory.budget",
                 format_byte_size(config.memory.budget) + " is too small for " +
                     std::to_string(config.flows.size()) + " flow(s) with " +
                     std::to_string(workers) + " worker(s) in all: each worker needs at least " +
                     format_byte_size(kMinWorkerMemory) + ", so set at least " +
                     format_byte_size(ByteSize{needed}) + ", or use at most " +
                     std::to_string(fits) + " worker(s)");
}

}  // namespace

void validate(Reader& reader, const Config& config) {
    validate_security(reader, config);
    check_memory_budget(reader, config);
    for (std::size_t i = 0; i < config.flows.size(); ++i) {
        const Flow& flow = config.flows[i];
        const std::string path = flow_path(i);
        check_cluster_reference(reader, config, path + ".source", flow.source);
        check_cluster_reference(reader, config, path + ".target", flow.target);
        check_rename(reader, flow, path);
        if (flow.include.empty()) {
            reader.warning(reader.mark_of(path + ".topics.include"), path + ".topics.include",
                           "empty: this flow mirrors no topic");
        }
        if (!flow.source.empty() && flow.source == flow.target && !names_carry_source(flow)) {
            reader.error(reader.mark_of(path + ".target"), path + ".target",
                         "source and target are both '" + flow.target + "', and the " +
                             std::string(to_string(flow.rename.policy)) +
                             " policy does not put the source alias in topic names, so the "
                             "flow would mirror topics into themselves or mirror its own "
                             "output again; use the prefix policy or a template with {source}");
        }
        for (std::size_t earlier = 0; earlier < i; ++earlier) {
            check_flow_pair(reader, config, earlier, i);
        }
    }
}

}  // namespace kmirror::config
