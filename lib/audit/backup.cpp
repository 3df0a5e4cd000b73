#include "audit/backup.hpp"

#include "core/error.hpp"
#include "core/json_scan.hpp"
#include "core/timeutil.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sqlite3.h>
#include <system_error>
#include <unistd.h>

namespace okxkit::audit {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "okxkit-";
constexpr std::string_view kSuffix = ".db";
constexpr int kBusyMs = 10000;

// A raw connection to a file that is a copy, not a store in use: no WAL, no migrations.
class Db {
public:
    Db(const std::string& path, int flags) : path_(path) {
        const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            const std::string text = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw core::RuntimeError(path + ": cannot open: " + text);
        }
        sqlite3_busy_timeout(db_, kBusyMs);
    }
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    [[nodiscard]] sqlite3* handle() const { return db_; }

    void exec(const std::string& sql) const {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string text = err != nullptr ? err : sqlite3_errmsg(db_);
            sqlite3_free(err);
            throw core::RuntimeError(path_ + ": " + sql + ": " + text);
        }
    }

    // The text of each row's first column.
    [[nodiscard]] std::vector<std::string> column(const std::string& sql) const {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            throw core::RuntimeError(path_ + ": " + sqlite3_errmsg(db_) +
                                     " (is it an okxkit store?)");
        }
        std::vector<std::string> out;
        int rc = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const auto* t = sqlite3_column_text(st, 0);
            out.emplace_back(t != nullptr ? reinterpret_cast<const char*>(t) : "");
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            throw core::RuntimeError(path_ + ": " + sqlite3_errmsg(db_));
        }
        return out;
    }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

// Copies every page of src's main database into dst's with SQLite's backup API, in one step:
// one read transaction of src, so the copy is src as of one commit.
void copy_pages(sqlite3* src, sqlite3* dst, const std::string& what) {
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == nullptr) {
        throw core::RuntimeError(what + ": " + sqlite3_errmsg(dst));
    }
    int rc = 0;
    for (int waited = 0;;) {
        rc = sqlite3_backup_step(b, -1);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= kBusyMs) {
            break;
        }
        sqlite3_sleep(50); // a writer holds a lock SQLite cannot read past: wait, as a reader does
        waited += 50;
    }
    const int finished = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || finished != SQLITE_OK) {
        throw core::RuntimeError(what + ": " + sqlite3_errstr(rc != SQLITE_DONE ? rc : finished));
    }
}

void sync_path(const std::string& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int err = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        throw core::RuntimeError(path + ": cannot sync to disk: " + core::errno_text(err));
    }
    ::close(fd);
}

void remove_file(const std::string& path) {
    std::error_code ec;
    fs::remove(path, ec);
    fs::remove(path + "-journal", ec);
    fs::remove(path + "-wal", ec);
    fs::remove(path + "-shm", ec);
}

// A copy's name split into what orders it: its time ("20261204T063000Z") and its number (1 for
// none, 2 for "-2"...); nullopt for any other file.
std::optional<std::pair<std::string, int>> parse_name(std::string_view name) {
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
        return std::nullopt;
    }
    std::string_view mid =
        name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    if (mid.size() < 16) {
        return std::nullopt;
    }
    const std::string_view stamp = mid.substr(0, 16);
    for (std::size_t i = 0; i < stamp.size(); ++i) {
        const bool digit = stamp[i] >= '0' && stamp[i] <= '9';
        const bool ok = i == 8 ? stamp[i] == 'T' : i == 15 ? stamp[i] == 'Z' : digit;
        if (!ok) {
            return std::nullopt;
        }
    }
    mid.remove_prefix(16);
    int n = 1;
    if (!mid.empty()) {
        if (mid.size() < 2 || mid.size() > 6 || mid[0] != '-') {
            return std::nullopt;
        }
        n = 0;
        for (char c : mid.substr(1)) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            n = n * 10 + (c - '0');
        }
        if (n < 2) {
            return std::nullopt;
        }
    }
    return std::make_pair(std::string(stamp), n);
}

std::string stamp_of(std::int64_t ms) {
    std::string stamp;
    for (char c : core::format_iso_ms(ms - ((ms % 1000) + 1000) % 1000)) {
        if (c != '-' && c != ':') {
            stamp += c;
        }
    }
    return stamp;
}

} // namespace

std::int64_t CopyCheck::total_rows() const {
    std::int64_t n = 0;
    for (const TableRows& t : tables) {
        n += t.rows;
    }
    return n;
}

std::string backup_name(std::int64_t taken_ms) {
    std::string name(kPrefix);
    name += stamp_of(taken_ms);
    name += kSuffix;
    return name;
}

CopyCheck check_copy(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        throw core::RuntimeError(path + ": no such file");
    }
    Db db(path, SQLITE_OPEN_READONLY);
    const std::vector<std::string> problems = db.column("PRAGMA integrity_check(20)");
    if (problems.size() != 1 || problems[0] != "ok") {
        std::string text;
        for (std::size_t i = 0; i < problems.size() && i < 3; ++i) {
            if (i > 0) {
                text += "; ";
            }
            text += core::excerpt(problems[i], 120);
        }
        throw core::RuntimeError(path + ": fails SQLite's integrity check: " + text);
    }
    CopyCheck c;
    const std::vector<std::string> version = db.column("SELECT max(version) FROM schema_version");
    c.schema_version = version.empty() ? 0 : std::atoi(version[0].c_str());
    if (c.schema_version < 1) {
        throw core::RuntimeError(path + ": not an okxkit store (no schema version)");
    }
    if (c.schema_version > store::kSchemaVersion) {
        throw core::RuntimeError(path + ": schema version " + std::to_string(c.schema_version) +
                                 " is newer than this okxkit (" +
                                 std::to_string(store::kSchemaVersion) + "): upgrade okxkit");
    }
    for (const std::string& t :
         db.column("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                   "'sqlite_%' ORDER BY name")) {
        std::string quoted = "\"";
        for (char ch : t) {
            quoted += ch;
            if (ch == '"') {
                quoted += '"';
            }
        }
        quoted += '"';
        const std::vector<std::string> n = db.column("SELECT count(*) FROM " + quoted);
        c.tables.push_back({t, n.empty() ? 0 : std::stoll(n[0])});
    }
    c.bytes = static_cast<std::int64_t>(fs::file_size(path, ec));
    return c;
}

std::optional<std::int64_t> backup_time(const std::string& path) {
    const auto key = parse_name(fs::path(path).filename().string());
    if (!key) {
        return std::nullopt;
    }
    const std::string& s = key->first; // 20261204T063000Z
    std::string iso = s.substr(0, 4);
    iso += '-';
    iso += s.substr(4, 2);
    iso += '-';
    iso += s.substr(6, 2);
    iso += 'T';
    iso += s.substr(9, 2);
    iso += ':';
    iso += s.substr(11, 2);
    iso += ':';
    iso += s.substr(13, 2);
    iso += 'Z';
    return core::parse_time_ms(iso);
}

std::vector<std::string> list_backups(const std::string& dir) {
    std::vector<std::pair<std::pair<std::string, int>, std::string>> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (auto key = parse_name(name); key && e.is_regular_file(ec)) {
            found.emplace_back(*key, e.path().string());
        }
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    out.reserve(found.size());
    for (auto& f : found) {
        out.push_back(std::move(f.second));
    }
    return out;
}

BackupReport backup(const std::string& store_path, const std::string& dir, int keep,
                    std::int64_t taken_ms) {
    if (keep < 1) {
        throw core::UsageError("keep at least 1 backup");
    }
    // The store as okxkit opens it: an okxkit store, not newer than this build.
    store::Store::Options so;
    so.read_only = true;
    so.create = false;
    store::Store src(store_path, so);

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir, ec)) {
        throw core::RuntimeError("backup folder " + dir + ": cannot create it" +
                                 (ec ? ": " + ec.message() : std::string()));
    }
    const std::string stamp = stamp_of(taken_ms);
    std::string final_path;
    for (int n = 1;; ++n) {
        std::string name(kPrefix);
        name += stamp;
        if (n > 1) {
            name += '-';
            name += std::to_string(n);
        }
        name += kSuffix;
        final_path = (fs::path(dir) / name).string();
        if (!fs::exists(final_path, ec)) {
            break;
        }
    }
    // Dot files while they are made: never taken for a copy, by list_backups or by a person.
    std::string hidden = ".";
    hidden += fs::path(final_path).filename().string();
    const std::string partial = (fs::path(dir) / (hidden + ".partial")).string();
    const std::string scratch = (fs::path(dir) / (hidden + ".restore-test")).string();
    remove_file(partial);
    remove_file(scratch);

    BackupReport r;
    try {
        {
            Db dst(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
            copy_pages(src.handle(), dst.handle(), "backup of " + store_path + " into " + partial);
            dst.exec("PRAGMA journal_mode=DELETE"); // one file, nothing beside it
        }
        sync_path(partial, false);
        r.check = check_copy(partial);
        // The test restore: the copy written back into a fresh file as a restore would, then
        // checked again; it must hold the same tables and rows.
        {
            Db from(partial, SQLITE_OPEN_READONLY);
            Db into(scratch, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
            copy_pages(from.handle(), into.handle(), "test restore of " + partial);
        }
        const CopyCheck restored = check_copy(scratch);
        if (restored.tables != r.check.tables ||
            restored.schema_version != r.check.schema_version) {
            throw core::RuntimeError("the test restore of " + partial +
                                     " does not hold the same tables and rows as the copy");
        }
        remove_file(scratch);
        fs::rename(partial, final_path, ec);
        if (ec) {
            throw core::RuntimeError("cannot rename " + partial + " to " + final_path + ": " +
                                     ec.message());
        }
        sync_path(dir, true);
    } catch (...) {
        remove_file(partial);
        remove_file(scratch);
        throw;
    }
    r.path = final_path;
    r.check.bytes = static_cast<std::int64_t>(fs::file_size(final_path, ec));

    std::vector<std::string> all = list_backups(dir);
    const std::size_t excess = all.size() > static_cast<std::size_t>(keep)
                                   ? all.size() - static_cast<std::size_t>(keep)
                                   : 0;
    for (std::size_t i = 0; i < excess; ++i) {
        if (all[i] == final_path) {
            continue; // never the copy just made (a clock set back names it older)
        }
        if (fs::remove(all[i], ec)) {
            r.removed.push_back(all[i]);
        }
    }
    return r;
}

RestoreReport restore(const std::string& backup_path, const std::string& store_path, bool force,
                      std::int64_t now_ms) {
    RestoreReport r;
    r.check = check_copy(backup_path);
    std::error_code ec;
    const bool exists = fs::exists(store_path, ec);
    if (exists && !force) {
        throw core::UsageError("store " + store_path +
                               " exists: a restore replaces it, so add --force (it is first "
                               "copied beside itself as " +
                               fs::path(store_path).filename().string() + ".pre-restore-" +
                               stamp_of(now_ms) + ".db)");
    }
    if (exists) {
        store::Store::Options so;
        so.read_only = true;
        so.create = false;
        store::Store current(store_path, so);
        r.kept = store_path + ".pre-restore-" + stamp_of(now_ms) + ".db";
        remove_file(r.kept);
        {
            Db dst(r.kept, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
            copy_pages(current.handle(), dst.handle(),
                       "copy of " + store_path + " before the restore");
            dst.exec("PRAGMA journal_mode=DELETE");
        }
        sync_path(r.kept, false);
        check_copy(r.kept);
    } else {
        const auto parent = fs::path(store_path).parent_path();
        if (!parent.empty()) {
            fs::create_directories(parent, ec);
        }
    }
    {
        Db from(backup_path, SQLITE_OPEN_READONLY);
        Db into(store_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        copy_pages(from.handle(), into.handle(),
                   "restore of " + backup_path + " into " + store_path);
    }
    // Opened as every tool opens it: WAL mode, and the migrations of a newer okxkit.
    store::Store restored(store_path);
    (void)restored.schema_version();
    return r;
}

} // namespace okxkit::audit
