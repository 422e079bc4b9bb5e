#pragma once
// Test inputs written as hex dumps, as the reference's worked examples are.

#include <sstream>
#include <string>

namespace kmirror::checkpoints::test {

/// "00 07 70 72" -> the bytes 0x00 0x07 0x70 0x72
inline std::string bytes(const std::string& hex) {
    std::istringstream in(hex);
    std::string out;
    std::string byte;
    while (in >> byte) out.push_back(static_cast<char>(std::stoi(byte, nullptr, 16)));
    return out;
}

}  // namespace kmirror::checkpoints::test
