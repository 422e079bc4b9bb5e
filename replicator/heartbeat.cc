#include "replicator/heartbeat.h"

namespace kmirror::replicator {
namespace {

void put_int(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

void put_string(std::string& out, const std::string& s) {
    put_int(out, s.size(), 2);
    out += s;
}

// Reads big-endian fields from a byte span; any overrun sets ok = false.
struct Reader {
    std::span<const std::byte> in;
    std::size_t pos = 0;
    bool ok = true;

    std::uint64_t read_int(std::size_t bytes) {
        if (pos + bytes > in.size()) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            v = (v << 8) | std::to_integer<std::uint64_t>(in[pos + i]);
        }
        pos += bytes;
        return v;
    }
    std::string read_string() {
        const auto len = static_cast<std::int16_t>(read_int(2));
        if (!ok || len < 0 || pos + static_cast<std::size_t>(len) > in.size()) {
            ok = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in.data() + pos), static_cast<std::size_t>(len));
        pos += static_cast<std::size_t>(len);
        return s;
    }
};

}  // namespace

std::string encode_heartbeat_key(const Heartbeat& hb) {
    std::string out;
    put_string(out, hb.source_alias);
    put_string(out, hb.target_alias);
    return out;
}

std::string encode_heartbeat_value(const Heartbeat& hb) {
    std::string out;
    put_int(out, 0, 2);  // version
    put_int(out, static_cast<std::uint64_t>(hb.timestamp_ms), 8);
    return out;
}

std::optional<Heartbeat> decode_heartbeat(std::span<const std::byte> key,
                                          std::span<const std::byte> value) {
    Reader k{key};
    Reader v{value};
    Heartbeat hb;
    hb.source_alias = k.read_string();
    hb.target_alias = k.read_string();
    const auto version = v.read_int(2);
    hb.timestamp_ms = static_cast<std::int64_t>(v.read_int(8));
    if (!k.ok || !v.ok || version != 0) return std::nullopt;
    return hb;
}

}  // namespace kmirror::replicator
