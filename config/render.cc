#include "config/render.h"

#include "config/byte_size.h"
#include "config/duration.h"
#include "config/field.h"
#include "config/properties.h"
#include "config/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace kmirror::config {
namespace {

const TableDoc& find_table(const std::vector<TableDoc>& docs, std::string_view name) {
    const auto it =
        std::find_if(docs.begin(), docs.end(), [&](const TableDoc& t) { return t.name == name; });
    return it != docs.end() ? *it : docs.front();  // names come from the same source file
}

bool is_nested(FieldType type) {
    return type == FieldType::section || type == FieldType::section_map ||
           type == FieldType::section_list;
}

std::string join(std::span<const std::string_view> names, std::string_view separator,
                 std::string_view quote) {
    std::string out;
    for (const std::string_view n : names) {
        out += (out.empty() ? "" : std::string(separator)) + std::string(quote) + std::string(n) +
               std::string(quote);
    }
    return out;
}

std::string type_name(const FieldSpec& spec) {
    switch (spec.type) {
        case FieldType::string:
            return "string";
        case FieldType::integer:
            return "integer";
        case FieldType::boolean:
            return "boolean";
        case FieldType::duration:
            return "duration";
        case FieldType::size:
            return "size";
        case FieldType::enumeration:
            return "enum";
        case FieldType::string_list:
            return "list of strings";
        case FieldType::regex_list:
            return "list of regexes";
        case FieldType::section:
            return "map";
        case FieldType::section_map:
            return "map of name to map";
        case FieldType::section_list:
            return "list of maps";
        case FieldType::properties:
            return "map of string to scalar";
        case FieldType::secret:
            return "secret string";
    }
    return "";
}

/// The validator in words: what the parser enforces beyond the type.
std::string rule_text(const FieldSpec& spec) {
    if (!spec.rule.empty()) {
        return std::string(spec.rule);
    }
    switch (spec.type) {
        case FieldType::integer:
            return std::to_string(spec.min) + ".." + std::to_string(spec.max);
        case FieldType::duration:
            return ">= " + format_duration(Duration{spec.min});
        case FieldType::size:
            return ">= " + format_byte_size(ByteSize{spec.min});
        case FieldType::enumeration:
            return join(spec.allowed, ", ", "`");
        default:
            return "";
    }
}

// ---- --print-defaults ---------------------------------------------------------------------------

std::string first_sentence(std::string_view text) {
    // A sentence ends at ". " before a capital, so "e.g. `dr-{topic}`" does not end one.
    std::size_t end = text.find(". ");
    while (end != std::string_view::npos && end + 2 < text.size() &&
           !(text[end + 2] >= 'A' && text[end + 2] <= 'Z')) {
        end = text.find(". ", end + 1);
    }
    std::string s(text.substr(0, end == std::string_view::npos ? text.size() : end + 1));
    s.erase(std::remove(s.begin(), s.end(), '`'), s.end());
    return s;
}

void add_line(std::string& out, const std::string& text, const std::string& comment) {
    constexpr std::size_t comment_column = 40;
    out += text;
    if (!comment.empty()) {
        out += std::string(text.size() < comment_column ? comment_column - text.size() : 1, ' ');
        out += "# " + comment;
    }
    out += '\n';
}

void render_defaults(std::string& out, const std::vector<TableDoc>& docs, const TableDoc& table,
                     std::size_t indent, bool list_item) {
    bool first = true;
    for (const FieldDoc& f : table.fields) {
        std::string prefix(indent, ' ');
        if (list_item) {
            prefix = std::string(indent, ' ') + (first ? "- " : "  ");
        }
        first = false;
        const std::size_t inner = prefix.size();
        const std::string key = prefix + std::string(f.spec.key) + ":";
        std::string comment = f.spec.required ? "required. " : "";
        comment += first_sentence(f.spec.description);
        if (const std::string rule = rule_text(f.spec); !rule.empty()) {
            std::string plain = rule;
            plain.erase(std::remove(plain.begin(), plain.end(), '`'), plain.end());
            comment += " (" + plain + ")";
        }
        switch (f.spec.type) {
            case FieldType::section:
                add_line(out, key, comment);
                render_defaults(out, docs, find_table(docs, f.spec.section), inner + 2, false);
                break;
            case FieldType::section_map:
                add_line(out, key, comment);
                add_line(out, std::string(inner + 2, ' ') + "<alias>:", "");
                render_defaults(out, docs, find_table(docs, f.spec.section), inner + 4, false);
                break;
            case FieldType::section_list:
                add_line(out, key, comment);
                render_defaults(out, docs, find_table(docs, f.spec.section), inner + 2, true);
                break;
            default:
                add_line(out, f.default_value.empty() ? key : key + " " + f.default_value, comment);
                break;
        }
    }
}

// ---- docs/configuration.md ----------------------------------------------------------------------

std::string cell(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += c == '|' ? std::string("\\|") : std::string(1, c);
    }
    return out;
}

// `text`, built with append(): GCC 12 -O3 misreports "`" + std::string as -Wrestrict (bug 105329).
std::string code(std::string_view text) { return std::string("`").append(text).append("`"); }

// "flows[].topics" -> "flows-topics": an anchor id that every Markdown renderer keeps.
std::string anchor(std::string_view name) {
    if (name.empty()) {
        return "top-level";
    }
    std::string out;
    for (const char c : name) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (alnum) {
            out += c;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out;
}

std::string default_cell(const FieldDoc& f) {
    if (f.spec.required) {
        return "*required*";
    }
    if (is_nested(f.spec.type)) {
        return "see [`" + std::string(f.spec.section) + "`](#" + anchor(f.spec.section) + ")";
    }
    return f.default_value.empty() ? "*none*" : code(cell(f.default_value));
}

void render_table_markdown(std::string& out, const TableDoc& table) {
    // An explicit anchor: renderers disagree on ids for headings like "`flows[].topics`".
    const std::string title = table.name.empty() ? "Top level" : code(table.name);
    out += "<a id=\"" + anchor(table.name) + "\"></a>\n\n";
    out += "## " + title + "\n\n";
    out += std::string(table.description) + "\n\n";
    out += "| Key | Type | Default | Description |\n";
    out += "|---|---|---|---|\n";
    for (const FieldDoc& f : table.fields) {
        std::string type = type_name(f.spec);
        if (const std::string rule = rule_text(f.spec); !rule.empty()) {
            type += ": " + rule;
        }
        if (f.spec.secret) {
            type += " (secret)";
        }
        out += "| `" + std::string(f.spec.key) + "` | " + cell(type) + " | " + default_cell(f) +
               " | " + cell(f.spec.description) + " |\n";
    }
    out += "\n";
}

void render_properties_markdown(std::string& out) {
    out += "## Cluster properties\n\n";
    out +=
        "`clusters.<alias>.properties` is a map of librdkafka property to scalar value, "
        "passed verbatim to every client kmirror makes for that cluster (see librdkafka's "
        "CONFIGURATION.md). Values that librdkafka rejects are reported at start-up with "
        "the line of the property.\n\n";
    out +=
        "kmirror sets the properties below itself, because mirroring without loss or "
        "reordering depends on them. Setting one of them is a configuration error unless "
        "the value is one that kmirror would choose too:\n\n";
    out += "| Property | Allowed values | Why |\n";
    out += "|---|---|---|\n";
    for (const PropertyRule& rule : property_rules()) {
        const std::string allowed = rule.allowed.empty() ? "*none*" : join(rule.allowed, ", ", "`");
        out +=
            "| `" + std::string(rule.key) + "` | " + allowed + " | " + cell(rule.reason) + " |\n";
    }
    out += "\n### Secrets\n\n";
    out += "A property is a secret when its name contains " +
           join(secret_key_fragments(), " or ", "`") + ", or is " +
           join(secret_keys(), " or ", "`") +
           ". A value that comes from a reference below is a secret too, whatever the name. "
           "Secrets never appear in logs, `/status`, metrics or `kmirror check-config`, which "
           "prints `[secret]` instead.\n\n";
    out +=
        "Values may reference the environment or a file, so that credentials stay out of "
        "the config file:\n\n";
    out += "| Reference | Value |\n";
    out += "|---|---|\n";
    out += "| `${env:NAME}` | the environment variable `NAME`; an error if it is not set |\n";
    out +=
        "| `${file:/path}` | the contents of the file, without one trailing newline; an "
        "error if it cannot be read. A relative path is relative to the config file's "
        "directory. |\n";
    out += "| `$${` | a literal `${` |\n\n";
    out += "Errors name the property and the variable or file, never the value.\n";
}

}  // namespace

std::string to_yaml(const Config& config) {
    YAML::Emitter out;
    out << dump_config(config);
    return std::string(out.c_str()) + "\n";
}

std::string defaults_yaml() {
    const std::vector<TableDoc> docs = schema_docs();
    std::string out =
        "# kmirror configuration: every key with its default. Keys without a value are\n"
        "# required. Reference: docs/configuration.md.\n";
    render_defaults(out, docs, docs.front(), 0, false);
    return out;
}

std::string configuration_markdown() {
    std::string out;
    out += "# Configuration reference\n\n";
    out +=
        "<!-- Generated by kmirror::config::configuration_markdown() from config/schema.cc; "
        "do not edit.\n     tests/unit/config/docs_test.cc fails when this file and the "
        "code disagree. -->\n\n";
    out +=
        "kmirror reads one YAML file. `kmirror check-config` validates it and prints it "
        "back normalized, with every default filled in; `kmirror --print-defaults` prints "
        "every key with its default.\n\n";
    out +=
        "All problems are reported together, each as `file:line:column: key.path: "
        "message`, for example\n`kmirror.yaml:14:5: flows[0].topics.include: invalid "
        "regex \"orders.(\": ...`. Unknown keys are errors, at every level.\n\n";
    out +=
        "- **Durations** are a whole number and a unit: `500ms`, `30s`, `5m`, `1h`. A bare "
        "number is an error.\n";
    out +=
        "- **Sizes** are a whole number and a unit: `512KiB`, `256MiB`, `1GiB` (powers of "
        "1024), or `KB`, `MB`, `GB` (powers of 1000), or `B`. A bare number is an error.\n";
    out +=
        "- **Regexes** are ECMAScript (`std::regex`) and must match the whole name: "
        "`orders` matches only `orders`, `orders.*` also matches `orders.eu`.\n";
    out +=
        "- **Flows** must name defined clusters, have unique names, and not overlap: two "
        "flows may not share both source and target, and two flows into one cluster may "
        "not both use a policy without the source alias in topic names (`identity`, or a "
        "`template` without `{source}`). A flow from a cluster into itself needs the "
        "`prefix` policy or a template with `{source}`.\n\n";
    for (const TableDoc& table : schema_docs()) {
        render_table_markdown(out, table);
    }
    render_properties_markdown(out);
    return out;
}

}  // namespace kmirror::config
