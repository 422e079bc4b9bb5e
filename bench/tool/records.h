#pragma once
// Records: the records of a workload, the same wherever they are made. The
// loader writes them into the source, the ceiling writes them again into the
// target, and verify compares a mirror's copy with them:
//   record i goes to partition i % partitions,
//   its key is i as 12 decimal digits,
//   its value is `size` bytes of a pseudo-random block (not compressible), at
//   an offset derived from i, so neighbouring records differ.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kmirror::bench {

class Records {
public:
    Records(std::size_t size, std::uint64_t seed);

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Writes the key of record i into `out` and returns a view of it.
    static std::string_view key(std::int64_t i, char (&out)[12]) noexcept;
    /// The value of record i; a view into this object.
    [[nodiscard]] std::string_view value(std::int64_t i) const noexcept;

private:
    std::size_t size_;
    std::string block_;
    std::size_t offsets_;  ///< how many distinct offsets into block_ values start at
};

class RawProducer;

/// Queues records 0..count-1 of `records` on `producer`. False when the
/// producer failed (RawProducer::first_error()).
bool send_all(RawProducer& producer, const Records& records, std::int64_t count, int partitions);

}  // namespace kmirror::bench
