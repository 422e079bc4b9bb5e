#include "config/parser.h"

#include "config/reader.h"
#include "config/schema.h"
#include "config/validate.h"

#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace kmirror::config {
namespace {

Diagnostic file_diagnostic(const std::string& file, std::string message) {
    return Diagnostic{
        .file = file, .line = 0, .column = 0, .key = "", .message = std::move(message)};
}

ParseResult parse_document(const std::string& yaml, const std::string& file_name) {
    ParseResult result;
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(yaml);
    } catch (const YAML::ParserException& e) {
        // yaml-cpp's what() repeats the position in its own words; msg is the bare reason.
        result.errors.push_back(Diagnostic{.file = file_name,
                                           .line = e.mark.is_null() ? 1 : e.mark.line + 1,
                                           .column = e.mark.is_null() ? 1 : e.mark.column + 1,
                                           .key = "",
                                           .message = "invalid YAML: " + e.msg});
        return result;
    }
    Reader reader(file_name, std::filesystem::path(file_name).parent_path());
    // A trailing "---" yields an empty document: harmless, so only real ones count.
    std::erase_if(documents, [](const YAML::Node& d) { return d.IsNull(); });
    if (documents.size() > 1) {
        reader.error(documents[1].Mark(), "",
                     "expected one YAML document, found " + std::to_string(documents.size()));
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    Config config;
    if (root.IsNull()) {
        reader.error(root.Mark(), "", "the configuration is empty; it needs clusters and flows");
    } else {
        read_config(reader, Entry{root, root.Mark(), ""}, config);
        validate(reader, config);
    }
    result.errors = reader.errors();
    result.warnings = reader.warnings();
    if (result.errors.empty()) {
        result.config = std::move(config);
    }
    return result;
}

}  // namespace

ParseResult parse_string(const std::string& yaml, const std::string& file_name) {
    try {
        return parse_document(yaml, file_name);
    } catch (const std::exception& e) {
        // Only a bug or memory exhaustion gets here; still a diagnostic, never a crash at start-up.
        ParseResult result;
        result.errors.push_back(
            file_diagnostic(file_name, std::string("internal error: ") + e.what()));
        return result;
    }
}

ParseResult parse_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        ParseResult result;
        result.errors.push_back(
            file_diagnostic(path, "cannot read config file: it is a directory"));
        return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        ParseResult result;
        result.errors.push_back(file_diagnostic(
            path,
            "cannot read config file: " + std::error_code(err, std::generic_category()).message()));
        return result;
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    return parse_string(contents.str(), path);
}

}  // namespace kmirror::config
