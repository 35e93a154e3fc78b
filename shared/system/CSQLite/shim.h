// The system's SQLite (Debian's libsqlite3-dev), and what Swift cannot import from its header.
#ifndef PAKIT_CSQLITE_SHIM_H
#define PAKIT_CSQLITE_SHIM_H
#include <sqlite3.h>

/// Binds text that SQLite copies at once (`SQLITE_TRANSIENT`, a macro Swift cannot import).
static inline int pakit_sqlite3_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

/// Binds a blob that SQLite copies at once (`SQLITE_TRANSIENT`).
static inline int pakit_sqlite3_bind_blob_copy(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}
#endif
