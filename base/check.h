#pragma once
// KMIRROR_CHECK: an impossible state in release builds too. Never use it on
// broker or network input; those are runtime errors handled as values.

#include <cstdio>
#include <cstdlib>

#define KMIRROR_CHECK(cond, msg)                                                   \
    do {                                                                           \
        if (!(cond)) {                                                             \
            std::fprintf(stderr, "kmirror: check failed at %s:%d: %s (%s)\n",      \
                         __FILE__, __LINE__, #cond, msg);                          \
            std::abort();                                                          \
        }                                                                          \
    } while (false)

#ifdef NDEBUG
#define KMIRROR_ASSERT(cond, msg) ((void)0)
#else
#define KMIRROR_ASSERT(cond, msg) KMIRROR_CHECK(cond, msg)
#endif
