#pragma once
// One deleter template and an alias per SQLite C type (STYLE.md rule 12).
// sqlite3_close_v2 rather than sqlite3_close: it never fails with SQLITE_BUSY
// because of an unfinalized statement; the handle closes when the last one goes.

#include <sqlite3.h>

#include <memory>

#include "base/c_deleter.h"

namespace kmirror::checkpoints {

using SqlitePtr = std::unique_ptr<sqlite3, CDeleter<&sqlite3_close_v2>>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, CDeleter<&sqlite3_finalize>>;

}  // namespace kmirror::checkpoints
