#include "bench/tool/records.h"

#include "bench/tool/raw_clients.h"

#include <algorithm>
#include <cstring>

namespace kmirror::bench {
namespace {

/// splitmix64: a small, fast, well-mixed generator (Steele, Lea, Flood 2014).
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

}  // namespace

Records::Records(std::size_t size, std::uint64_t seed) : size_(size) {
    // Values start on 8-byte steps of a block twice their size (at least
    // 64 KiB of steps): distinct neighbours without generating bytes per record.
    offsets_ = std::max<std::size_t>(size / 8, 8192);
    block_.resize(size + offsets_ * 8);
    std::uint64_t state = seed;
    for (std::size_t i = 0; i < block_.size(); i += 8) {
        const std::uint64_t r = splitmix64(state);
        std::memcpy(block_.data() + i, &r, std::min<std::size_t>(8, block_.size() - i));
    }
}

std::string_view Records::key(std::int64_t i, char (&out)[12]) noexcept {
    auto v = static_cast<std::uint64_t>(i);
    for (std::size_t d = sizeof out; d-- > 0; v /= 10) out[d] = static_cast<char>('0' + v % 10);
    return {out, sizeof out};
}

std::string_view Records::value(std::int64_t i) const noexcept {
    std::uint64_t state = static_cast<std::uint64_t>(i);
    const std::size_t at = (splitmix64(state) % offsets_) * 8;
    return {block_.data() + at, size_};
}

bool send_all(RawProducer& producer, const Records& records, std::int64_t count, int partitions) {
    char key[12];
    for (std::int64_t i = 0; i < count; ++i) {
        if (!producer.send(static_cast<std::int32_t>(i % partitions), Records::key(i, key),
                           records.value(i))) {
            return false;
        }
        if ((i & 1023) == 0) producer.poll();
    }
    return true;
}

}  // namespace kmirror::bench
