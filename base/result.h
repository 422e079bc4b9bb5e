#pragma once
// The data path does not throw: it returns Result<T> (STYLE.md rule 8).

#include <boost/outcome/result.hpp>
#include <boost/outcome/try.hpp>
#include <system_error>

namespace kmirror {

namespace outcome = boost::outcome_v2;

template <typename T>
using Result = outcome::result<T, std::error_code>;

}  // namespace kmirror
