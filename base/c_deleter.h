#pragma once
// CDeleter: the one deleter template for C handles (STYLE.md rule 12), used
// by kafka/handles.h (librdkafka) and checkpoints/sqlite_handles.h (SQLite).

namespace kmirror {

template <auto Fn>
struct CDeleter {
    void operator()(auto* p) const noexcept {
        if (p) Fn(p);
    }
};

}  // namespace kmirror
