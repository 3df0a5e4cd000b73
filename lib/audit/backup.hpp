// Backups of the store: SQLite's online backup API (a consistent copy while the tools keep
// writing), an integrity check of the copy, a test restore into a scratch file, retention of
// the newest N copies; and the restore of a copy into a store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace okxkit::audit {

// The rows of one table of a store file.
struct TableRows {
    std::string table;
    std::int64_t rows = 0;
    bool operator==(const TableRows&) const = default;
};

// What a check of a store file found: it passed SQLite's integrity check, it is an okxkit
// store (schema_version), and these are its tables, by name.
struct CopyCheck {
    int schema_version = 0;
    std::int64_t bytes = 0;
    std::vector<TableRows> tables;
    [[nodiscard]] std::int64_t total_rows() const;
};

struct BackupReport {
    std::string path;                 // the new copy
    CopyCheck check;                  // of the copy, equal to its test restore's
    std::vector<std::string> removed; // older copies that retention removed
};

// The name of a copy taken at taken_ms (UTC): "okxkit-20261204T063000Z.db".
std::string backup_name(std::int64_t taken_ms);

// Copies the store at store_path (which must exist) into dir (made if missing) as
// backup_name(taken_ms) (with "-2", "-3"... when that name is taken), in one read transaction
// of the store, so the copy is the store as it was at one commit whatever other processes
// write meanwhile. The copy is a single file (rollback journal, not WAL), synced to disk, and
// becomes visible under its name only once it passed check_copy and a test restore into a
// scratch file beside it gave the same tables and rows. Then keeps the newest `keep` copies of
// dir (files named as backup_name makes them; nothing else there is touched).
// Throws core::RuntimeError (nothing left behind but older copies) when a step fails.
BackupReport backup(const std::string& store_path, const std::string& dir, int keep,
                    std::int64_t taken_ms);

// Checks a store file without changing it: PRAGMA integrity_check, an okxkit schema no newer
// than this build's, the rows of each table. Throws core::RuntimeError saying what is wrong.
CopyCheck check_copy(const std::string& path);

// The copies in dir, oldest first (named as backup_name makes them).
std::vector<std::string> list_backups(const std::string& dir);

// When the copy at path was taken, from its name; nullopt when it is not named as backup_name
// makes them.
std::optional<std::int64_t> backup_time(const std::string& path);

struct RestoreReport {
    CopyCheck check;  // of the copy restored
    std::string kept; // the store it replaced, copied aside first ("" when there was none)
};

// Restores the copy at backup_path into the store at store_path: checks the copy first
// (check_copy); an existing store is replaced only with force, after it was itself copied to
// "STORE.pre-restore-20261204T063000Z.db" beside it. The store is written through SQLite
// (its WAL mode kept), then opened as okxkit opens it, so an older copy is migrated.
// Throws core::UsageError when the store exists and force is false.
RestoreReport restore(const std::string& backup_path, const std::string& store_path, bool force,
                      std::int64_t now_ms);

} // namespace okxkit::audit
