#include "config/reader.h"

#include "config/properties.h"

#include "config/byte_size.h"
#include "config/duration.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>
#include <utility>

namespace kmirror::config {
namespace {

// yaml-cpp marks are 0-based, diagnostics 1-based. Nodes that were never in the
// file (an empty document) carry a null mark: report those at the top.
Diagnostic make_diagnostic(const std::string& file, const YAML::Mark& mark, const std::string& key,
                           std::string message) {
    const bool known = !mark.is_null();
    return Diagnostic{.file = file,
                      .line = known ? mark.line + 1 : 1,
                      .column = known ? mark.column + 1 : 1,
                      .key = key,
                      .message = std::move(message)};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string join_names(std::span<const std::string_view> names) {
    std::string out;
    for (const std::string_view n : names) {
        out += (out.empty() ? "" : ", ") + std::string(n);
    }
    return out;
}

}  // namespace

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

YAML::Mark value_mark(const YAML::Node& key, const YAML::Node& value) {
    return value.IsNull() ? key.Mark() : value.Mark();
}

std::string_view describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
            return "an empty value";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::string unknown_key_message(std::string_view key, const std::vector<std::string_view>& known) {
    std::string message = "unknown key";
    std::string_view best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const std::string_view k : known) {
        const std::size_t d = edit_distance(key, k);
        if (d < best_distance) {
            best = k;
            best_distance = d;
        }
    }
    // Up to a third of the letters wrong still reads as a typo of that key.
    if (!best.empty() && best_distance <= std::max<std::size_t>(1, key.size() / 3)) {
        return message + "; did you mean '" + std::string(best) + "'?";
    }
    return message + "; expected one of: " + join_names(known);
}

Reader::Reader(std::string file, std::filesystem::path base_dir)
    : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

void Reader::error(const YAML::Mark& mark, const std::string& key, std::string message) {
    errors_.push_back(make_diagnostic(file_, mark, key, std::move(message)));
}

void Reader::warning(const YAML::Mark& mark, const std::string& key, std::string message) {
    warnings_.push_back(make_diagnostic(file_, mark, key, std::move(message)));
}

void Reader::remember(const std::string& path, const YAML::Mark& mark) { marks_[path] = mark; }

YAML::Mark Reader::mark_of(const std::string& path) const {
    std::string p = path;
    while (!p.empty()) {
        if (const auto it = marks_.find(p); it != marks_.end()) {
            return it->second;
        }
        const std::size_t cut = p.find_last_of(".[");
        p = cut == std::string::npos ? std::string() : p.substr(0, cut);
    }
    return YAML::Mark::null_mark();
}

bool Reader::expect_scalar(const Entry& entry, std::string_view expected) {
    if (entry.node.IsScalar()) {
        return true;
    }
    error(entry.mark, entry.path,
          "expected " + std::string(expected) + ", got " + std::string(describe(entry.node)));
    return false;
}

bool Reader::expect_map(const Entry& entry) {
    if (entry.node.IsMap()) {
        return true;
    }
    error(entry.mark, entry.path, "expected a map, got " + std::string(describe(entry.node)));
    return false;
}

bool Reader::expect_list(const Entry& entry) {
    if (entry.node.IsSequence()) {
        return true;
    }
    error(entry.mark, entry.path, "expected a list, got " + std::string(describe(entry.node)));
    return false;
}

std::optional<std::string> Reader::key_of(const YAML::Node& key, const std::string& parent_path) {
    if (key.IsScalar()) {
        return key.Scalar();
    }
    error(key.Mark(), parent_path, "expected a plain key, got " + std::string(describe(key)));
    return std::nullopt;
}

bool Reader::read(const FieldSpec& spec, const Entry& entry, std::string& out) {
    if (!expect_scalar(entry, "a string")) {
        return false;
    }
    const std::string& value = entry.node.Scalar();
    if (value.empty()) {
        error(entry.mark, entry.path, "must not be empty");
        return false;
    }
    if (spec.check != nullptr) {
        if (std::string why = spec.check(value); !why.empty()) {
            error(entry.mark, entry.path, std::move(why));
            return false;
        }
    }
    out = value;
    return true;
}

bool Reader::read(const FieldSpec& /*spec*/, const Entry& entry, Secret& out) {
    if (!expect_scalar(entry, "a string")) {
        return false;
    }
    std::string value;
    std::string why;
    bool referenced = false;
    if (!interpolate(entry.node.Scalar(), base_dir_.string(), value, why, referenced)) {
        error(entry.mark, entry.path, std::move(why));
        return false;
    }
    if (value.empty()) {
        error(entry.mark, entry.path, "must not be empty");
        return false;
    }
    out = Secret(std::move(value));
    return true;
}

bool Reader::read(const FieldSpec& spec, const Entry& entry, int& out) {
    if (!expect_scalar(entry, "an integer")) {
        return false;
    }
    const std::string& text = entry.node.Scalar();
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        error(entry.mark, entry.path, "expected an integer, got '" + text + "'");
        return false;
    }
    const bool in_range = value >= spec.min && value <= spec.max;
    const std::string why =
        spec.check != nullptr ? spec.check(std::to_string(value)) : std::string();
    if (!in_range || !why.empty()) {
        const std::string range = spec.rule.empty()
                                      ? std::to_string(spec.min) + ".." + std::to_string(spec.max)
                                      : std::string(spec.rule);
        error(entry.mark, entry.path, "must be " + range + ", got " + text);
        return false;
    }
    out = static_cast<int>(value);
    return true;
}

bool Reader::read(const FieldSpec& /*spec*/, const Entry& entry, bool& out) {
    bool value = false;
    if (!entry.node.IsScalar() || !YAML::convert<bool>::decode(entry.node, value)) {
        error(entry.mark, entry.path,
              "expected true or false, got " + (entry.node.IsScalar()
                                                    ? "'" + entry.node.Scalar() + "'"
                                                    : std::string(describe(entry.node))));
        return false;
    }
    out = value;
    return true;
}

bool Reader::read(const FieldSpec& spec, const Entry& entry, Duration& out) {
    if (!expect_scalar(entry, "a duration (e.g. 30s)")) {
        return false;
    }
    std::string why;
    const std::optional<Duration> value = parse_duration(entry.node.Scalar(), why);
    if (!value) {
        error(entry.mark, entry.path, why);
        return false;
    }
    if (value->count() < spec.min) {
        error(entry.mark, entry.path,
              "must be at least " + format_duration(Duration{spec.min}) + ", got " +
                  entry.node.Scalar());
        return false;
    }
    out = *value;
    return true;
}

bool Reader::read(const FieldSpec& spec, const Entry& entry, ByteSize& out) {
    if (!expect_scalar(entry, "a size (e.g. 256MiB)")) {
        return false;
    }
    std::string why;
    const std::optional<ByteSize> value = parse_byte_size(entry.node.Scalar(), why);
    if (!value) {
        error(entry.mark, entry.path, why);
        return false;
    }
    if (value->bytes < spec.min) {
        error(entry.mark, entry.path,
              "must be at least " + format_byte_size(ByteSize{spec.min}) + ", got " +
                  entry.node.Scalar());
        return false;
    }
    out = *value;
    return true;
}

bool Reader::read(const FieldSpec& spec, const Entry& entry, std::vector<std::string>& out) {
    if (!expect_list(entry)) {
        return false;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < entry.node.size(); ++i) {
        const YAML::Node item = entry.node[i];
        // The example format names the list, not the element: "flows[0].topics.include".
        const Entry element{item, item.IsNull() ? entry.mark : item.Mark(), entry.path};
        if (!expect_scalar(element, "a string")) {
            ok = false;
            continue;
        }
        if (item.Scalar().empty()) {
            error(element.mark, entry.path, "list entries must not be empty");
            ok = false;
            continue;
        }
        if (spec.check != nullptr) {
            if (std::string why = spec.check(item.Scalar()); !why.empty()) {
                error(element.mark, entry.path, std::move(why));
                ok = false;
                continue;
            }
        }
        values.push_back(item.Scalar());
    }
    if (ok) {
        out = std::move(values);
    }
    return ok;
}

bool Reader::read_enum(const FieldSpec& spec, const Entry& entry, std::size_t& index) {
    if (!expect_scalar(entry, "one of " + join_names(spec.allowed))) {
        return false;
    }
    const auto it = std::find(spec.allowed.begin(), spec.allowed.end(), entry.node.Scalar());
    if (it == spec.allowed.end()) {
        error(entry.mark, entry.path,
              "unknown value '" + entry.node.Scalar() + "'; allowed: " + join_names(spec.allowed));
        return false;
    }
    index = static_cast<std::size_t>(it - spec.allowed.begin());
    return true;
}

}  // namespace kmirror::config
