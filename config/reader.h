#pragma once
// Reader: walks the YAML tree against the schema tables, collecting every
// diagnostic instead of stopping at the first (STYLE.md rule 7: start-up
// errors are all printed together). Nothing here throws on bad input.

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/field.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kmirror::config {

class Reader {
public:
    /// `file` names the config in diagnostics; relative ${file:...} paths
    /// are resolved against `base_dir`.
    Reader(std::string file, std::filesystem::path base_dir);

    void error(const YAML::Mark& mark, const std::string& key, std::string message);
    void warning(const YAML::Mark& mark, const std::string& key, std::string message);
    [[nodiscard]] const std::vector<Diagnostic>& errors() const { return errors_; }
    [[nodiscard]] const std::vector<Diagnostic>& warnings() const { return warnings_; }
    [[nodiscard]] const std::filesystem::path& base_dir() const { return base_dir_; }

    /// Where the value at `path` was written, for checks that span sections.
    void remember(const std::string& path, const YAML::Mark& mark);
    /// Whether the file had a value at `path` (valid or not).
    [[nodiscard]] bool present(const std::string& path) const { return marks_.contains(path); }
    /// The remembered mark of `path`, else of its closest remembered parent.
    [[nodiscard]] YAML::Mark mark_of(const std::string& path) const;

    /// Typed reads. Each one reports a diagnostic and returns false, leaving
    /// `out` untouched, when the value has the wrong type or fails the spec.
    bool read(const FieldSpec& spec, const Entry& entry, std::string& out);
    /// A secret: ${env:NAME} and ${file:PATH} resolved; never in a diagnostic.
    bool read(const FieldSpec& spec, const Entry& entry, Secret& out);
    bool read(const FieldSpec& spec, const Entry& entry, int& out);
    bool read(const FieldSpec& spec, const Entry& entry, bool& out);
    bool read(const FieldSpec& spec, const Entry& entry, Duration& out);
    bool read(const FieldSpec& spec, const Entry& entry, ByteSize& out);
    bool read(const FieldSpec& spec, const Entry& entry, std::vector<std::string>& out);
    /// Enumerations: the index of the value in spec.allowed.
    bool read_enum(const FieldSpec& spec, const Entry& entry, std::size_t& index);

    /// Reports unless the entry is a map ("expected a map, got a list").
    bool expect_map(const Entry& entry);
    /// Reports unless the entry is a list.
    bool expect_list(const Entry& entry);
    /// A map key as a string; reports keys that are lists or maps.
    std::optional<std::string> key_of(const YAML::Node& key, const std::string& parent_path);

private:
    bool expect_scalar(const Entry& entry, std::string_view expected);

    std::string file_;
    std::filesystem::path base_dir_;
    std::vector<Diagnostic> errors_;
    std::vector<Diagnostic> warnings_;
    std::map<std::string, YAML::Mark> marks_;
};

/// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(const std::string& parent, std::string_view key);

/// The position to report for a map value: its own, or its key's when empty.
YAML::Mark value_mark(const YAML::Node& key, const YAML::Node& value);

/// "a list", "a map", ... for "expected X, got Y" messages.
std::string_view describe(const YAML::Node& node);

/// The "unknown key" message, with the closest known key as a suggestion.
std::string unknown_key_message(std::string_view key, const std::vector<std::string_view>& known);

/// Reads a map section key by key against its table: unknown, duplicate and
/// missing required keys are reported; each known key is read by its Field.
template <typename T>
void read_table(Reader& reader, const Table<T>& table, const Entry& entry, T& out) {
    if (!reader.expect_map(entry)) {
        return;
    }
    reader.remember(entry.path, entry.mark);
    std::vector<std::string_view> known;
    for (const Field<T>& f : table.fields) {
        known.push_back(f.spec.key);
    }
    std::set<std::string, std::less<>> seen;
    for (auto it = entry.node.begin(); it != entry.node.end(); ++it) {
        const std::optional<std::string> key = reader.key_of(it->first, entry.path);
        if (!key) {
            continue;
        }
        const std::string path = join_path(entry.path, *key);
        // yaml-cpp keeps both entries of a repeated key and lookups see the first: say so.
        if (!seen.insert(*key).second) {
            reader.error(it->first.Mark(), path, "duplicate key");
            continue;
        }
        const Field<T>* field = nullptr;
        for (const Field<T>& f : table.fields) {
            if (f.spec.key == *key) {
                field = &f;
            }
        }
        if (field == nullptr) {
            reader.error(it->first.Mark(), path, unknown_key_message(*key, known));
            continue;
        }
        const Entry value{it->second, value_mark(it->first, it->second), path};
        reader.remember(path, value.mark);
        field->read(reader, field->spec, value, out);
    }
    for (const Field<T>& f : table.fields) {
        if (f.spec.required && !seen.contains(f.spec.key)) {
            reader.error(entry.mark, join_path(entry.path, f.spec.key), "missing required key");
        }
    }
}

}  // namespace kmirror::config
