#pragma once
// JsonWriter: just enough JSON for /status (objects, arrays, strings, numbers).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::daemon {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The key of the next value in an object.
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view v);
    JsonWriter& value(const char* v) { return value(std::string_view(v)); }
    JsonWriter& value(double v);
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(bool v);
    JsonWriter& null();
    [[nodiscard]] const std::string& str() const { return out_; }

private:
    void separate();
    void string(std::string_view s);

    std::string out_;
    std::vector<bool> first_;  // per open container: no element written yet
    bool after_key_ = false;
};

}  // namespace kmirror::daemon
