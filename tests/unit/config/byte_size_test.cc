#include "config/byte_size.h"

#include "parse_helpers.h"

#include <gtest/gtest.h>

#include <string>

namespace kmirror::config {
namespace {

using testing::has_error;
using testing::parse;

ByteSize parse_ok(std::string_view text) {
    std::string error;
    const std::optional<ByteSize> size = parse_byte_size(text, error);
    EXPECT_TRUE(size.has_value()) << text << ": " << error;
    return size.value_or(ByteSize{-1});
}

std::string parse_error(std::string_view text) {
    std::string error;
    EXPECT_FALSE(parse_byte_size(text, error).has_value()) << text;
    return error;
}

TEST(ByteSize, ParsesBinaryAndDecimalUnits) {
    EXPECT_EQ(parse_ok("256MiB").bytes, 256LL << 20);
    EXPECT_EQ(parse_ok("1GiB").bytes, 1LL << 30);
    EXPECT_EQ(parse_ok("512KiB").bytes, 512LL << 10);
    EXPECT_EQ(parse_ok("10MB").bytes, 10'000'000);
    EXPECT_EQ(parse_ok("3KB").bytes, 3000);
    EXPECT_EQ(parse_ok("2GB").bytes, 2'000'000'000);
    EXPECT_EQ(parse_ok("1500B").bytes, 1500);
    EXPECT_EQ(parse_ok("0B").bytes, 0);
}

TEST(ByteSize, RejectsABareNumberWithAHintNamingTheUnits) {
    const std::string error = parse_error("256");
    EXPECT_NE(error.find("no unit"), std::string::npos) << error;
    EXPECT_NE(error.find("256MiB"), std::string::npos) << error;
}

TEST(ByteSize, RejectsUnknownUnitsFractionsNegativesAndOverflow) {
    EXPECT_NE(parse_error("5TiB").find("unit must be one of"), std::string::npos);
    EXPECT_NE(parse_error("1.5GiB").find("no fractions"), std::string::npos);
    EXPECT_NE(parse_error("-1MiB").find("negative"), std::string::npos);
    EXPECT_NE(parse_error("99999999999GiB").find("too large"), std::string::npos);
    EXPECT_FALSE(parse_error("").empty());
    EXPECT_FALSE(parse_error("256 MiB").empty());
    EXPECT_FALSE(parse_error("256mib").empty());
}

TEST(ByteSize, FormatsInTheShortestExactForm) {
    EXPECT_EQ(format_byte_size(ByteSize{0}), "0B");
    EXPECT_EQ(format_byte_size(ByteSize{256LL << 20}), "256MiB");
    EXPECT_EQ(format_byte_size(ByteSize{1LL << 30}), "1GiB");
    EXPECT_EQ(format_byte_size(ByteSize{10'000'000}), "10MB");
    EXPECT_EQ(format_byte_size(ByteSize{1500}), "1500B");
}

TEST(MemoryBudget, DefaultsTo256MiB) {
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"h:1\" }, b: { bootstrap: \"h:2\" } }\n"
        "flows: [{ name: f, source: a, target: b }]\n");
    ASSERT_TRUE(r.errors.empty()) << testing::all_errors(r);
    EXPECT_EQ(r.config->memory.budget.bytes, 256LL << 20);
}

TEST(MemoryBudget, TooSmallForTheWorkersIsReportedWithWhatFits) {
    // 3 workers need 48MiB at 16MiB each: 40MiB fits two.
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"h:1\" }, b: { bootstrap: \"h:2\" } }\n"  // 1
        "flows:\n"                                                              // 2
        "  - { name: f, source: a, target: b, workers: 2 }\n"                   // 3
        "  - { name: g, source: b, target: a }\n"                               // 4
        "memory:\n"                                                             // 5
        "  budget: 40MiB\n");                                                   // 6
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:11: memory.budget: ",
                          "40MiB is too small for 2 flow(s) with 3 worker(s)"))
        << testing::all_errors(r);
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:11: memory.budget: ", "set at least 48MiB"));
    EXPECT_TRUE(has_error(r, "kmirror.yaml:6:11: memory.budget: ", "at most 2 worker(s)"));
}

TEST(MemoryBudget, BelowTheMinimumOrWithoutAUnitIsReported) {
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"h:1\" }, b: { bootstrap: \"h:2\" } }\n"
        "flows: [{ name: f, source: a, target: b, max_bytes_per_second: 10 }]\n"
        "memory: { budget: 8MiB }\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:3:19: memory.budget: ", "at least 16MiB"))
        << testing::all_errors(r);
    EXPECT_TRUE(has_error(r, "kmirror.yaml:2:64: flows[0].max_bytes_per_second: ", "no unit"))
        << testing::all_errors(r);
}

TEST(FlowThroughput, ReadsTheCapAndTheCodec) {
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"h:1\" }, b: { bootstrap: \"h:2\" } }\n"
        "flows: [{ name: f, source: a, target: b, max_bytes_per_second: 10MB, "
        "compression: zstd }]\n");
    ASSERT_TRUE(r.errors.empty()) << testing::all_errors(r);
    EXPECT_EQ(r.config->flows[0].max_bytes_per_second.bytes, 10'000'000);
    EXPECT_EQ(r.config->flows[0].compression, Compression::zstd);
}

TEST(FlowThroughput, AnUnknownCodecNamesTheAllowedOnes) {
    const ParseResult r = parse(
        "clusters: { a: { bootstrap: \"h:1\" }, b: { bootstrap: \"h:2\" } }\n"
        "flows: [{ name: f, source: a, target: b, compression: brotli }]\n");
    EXPECT_TRUE(has_error(r, "kmirror.yaml:2:55: flows[0].compression: ",
                          "allowed: source, none, gzip, snappy, lz4, zstd"))
        << testing::all_errors(r);
}

}  // namespace
}  // namespace kmirror::config
